/**
 * Parsing and checking single raw values. Numbers may arrive as numbers or numeric strings;
 * null, "" and absent all mean missing. Missing numbers become NaN, missing strings "".
 * @module
 */

import type { RawField } from "./schema.ts";

/** A value that breaks the schema; names the field (and the record, when known). */
export class FieldError extends Error {
  constructor(readonly field: string, readonly problem: string, readonly record?: number) {
    super(`${record === undefined ? "" : `record ${record}: `}field "${field}": ${problem}`);
    this.name = "FieldError";
  }
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** True for the three spellings of "missing". */
export function isMissing(value: unknown): boolean {
  return value === undefined || value === null ||
    (typeof value === "string" && value.trim() === "");
}

/** Parses one value of a numeric field; NaN when missing. Throws {@link FieldError}. */
export function parseNumber(field: RawField, value: unknown): number {
  if (isMissing(value)) {
    if (field.required) throw new FieldError(field.name, "is required");
    return NaN;
  }
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && NUMERIC.test(value.trim())) n = Number(value.trim());
  else throw new FieldError(field.name, `expected a number, got ${describe(value)}`);
  if (!Number.isFinite(n)) throw new FieldError(field.name, `expected a finite number, got ${n}`);
  if (field.kind === "integer" && !Number.isInteger(n)) {
    throw new FieldError(field.name, `expected a whole number, got ${n}`);
  }
  if (field.allowed && !field.allowed.includes(n)) {
    throw new FieldError(field.name, `must be one of ${field.allowed.join(", ")}, got ${n}`);
  }
  if (field.min !== undefined && n < field.min) {
    throw new FieldError(field.name, `must be at least ${field.min}, got ${n}`);
  }
  if (field.max !== undefined && n > field.max) {
    throw new FieldError(field.name, `must be at most ${field.max}, got ${n}`);
  }
  return n;
}

/** Parses one value of a string field; "" when missing. Throws {@link FieldError}. */
export function parseString(field: RawField, value: unknown): string {
  if (isMissing(value)) {
    if (field.required) throw new FieldError(field.name, "is required");
    return "";
  }
  if (typeof value !== "string" && typeof value !== "number") {
    throw new FieldError(field.name, `expected a string, got ${describe(value)}`);
  }
  const text = String(value).trim();
  if (field.allowed && !field.allowed.includes(text)) {
    throw new FieldError(
      field.name,
      `must be one of ${field.allowed.map((v) => JSON.stringify(v)).join(", ")}, got ${
        describe(value)
      }`,
    );
  }
  return text;
}

/** Parses one value of any field. */
export function parseValue(field: RawField, value: unknown): number | string {
  return field.kind === "string" ? parseString(field, value) : parseNumber(field, value);
}
