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

/** Exact powers of ten: an integer under 2^53 over one of them is rounded once, correctly. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The value of a plain decimal (`[+-]digits[.digits]`, `[+-].digits`) of at most 15 digits,
 * as Number() gives it, without a regular expression; undefined for any other text (which the
 * caller checks the slow way). CSV cells are numbers as text: this halves their checking.
 * `from` and `to` read the text's characters [from, to) only (a CSV cell in the body's text).
 */
export function plainDecimal(
  text: string,
  from = 0,
  to: number = text.length,
): number | undefined {
  const n = to;
  let i = from;
  let c = text.charCodeAt(i);
  const negative = c === 45;
  if (negative || c === 43) c = text.charCodeAt(++i);
  let mantissa = 0;
  let digits = 0;
  let fraction = -1; // digits after the point, once there is one
  for (; i < n; c = text.charCodeAt(++i)) {
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) fraction = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15) return undefined;
  const value = fraction > 0 ? mantissa / POW10[fraction] : mantissa;
  return negative ? -value : value;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Parses one value of a numeric field; NaN when missing. Throws {@link FieldError}. */
export function parseNumber(field: RawField, value: unknown): number {
  let n: number;
  if (typeof value === "number") n = value; // the common case first: JSON numbers
  else if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return missingNumber(field);
    const plain = plainDecimal(text);
    if (plain !== undefined) n = plain;
    else if (!NUMERIC.test(text)) {
      throw new FieldError(field.name, `expected a number, got ${describe(value)}`);
    } else n = Number(text);
  } else if (value === undefined || value === null) return missingNumber(field);
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

function missingNumber(field: RawField): number {
  if (field.required) throw new FieldError(field.name, "is required");
  return NaN;
}

/** Parses one value of a string field; "" when missing. Throws {@link FieldError}. */
export function parseString(field: RawField, value: unknown): string {
  let text: string;
  if (typeof value === "string") text = value.trim();
  else if (typeof value === "number") text = String(value);
  else if (value === undefined || value === null) text = "";
  else throw new FieldError(field.name, `expected a string, got ${describe(value)}`);
  if (text === "") {
    if (field.required) throw new FieldError(field.name, "is required");
    return "";
  }
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
