/**
 * Raw passenger data in columns, built from objects (JSON) or from string rows (CSV), every
 * value checked against the schema.
 * @module
 */

import { FIELD_BY_NAME, PASSENGER_FIELDS } from "./schema.ts";
import { FieldError, parseNumber, parseString } from "./values.ts";

/** One column per raw field: numbers as Float64Array (NaN = missing), strings with "" = missing. */
export interface RawColumns {
  readonly length: number;
  readonly numbers: Readonly<Record<string, Float64Array>>;
  readonly strings: Readonly<Record<string, string[]>>;
}

function emptyColumns(length: number): {
  length: number;
  numbers: Record<string, Float64Array>;
  strings: Record<string, string[]>;
} {
  const numbers: Record<string, Float64Array> = {};
  const strings: Record<string, string[]> = {};
  for (const field of PASSENGER_FIELDS) {
    if (field.kind === "string") strings[field.name] = new Array<string>(length);
    else numbers[field.name] = new Float64Array(length);
  }
  return { length, numbers, strings };
}

/** Where each field's values go, in schema order: resolved once per batch, not per value. */
function targetsOf(columns: ReturnType<typeof emptyColumns>): (Float64Array | string[])[] {
  return PASSENGER_FIELDS.map((f) =>
    f.kind === "string" ? columns.strings[f.name] : columns.numbers[f.name]
  );
}

/** Parses record `i`, reading field `f`'s raw value with `get(f)`; errors name the record. */
function parseRecord(
  targets: (Float64Array | string[])[],
  i: number,
  get: (f: number) => unknown,
): void {
  try {
    for (let f = 0; f < PASSENGER_FIELDS.length; f++) {
      const field = PASSENGER_FIELDS[f];
      if (field.kind === "string") (targets[f] as string[])[i] = parseString(field, get(f));
      else (targets[f] as Float64Array)[i] = parseNumber(field, get(f));
    }
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError(err.field, err.problem, i);
    throw err;
  }
}

const FIELD_NAMES = PASSENGER_FIELDS.map((f) => f.name);

/**
 * Builds columns from one object per passenger. Unknown keys are ignored.
 * Throws {@link FieldError} naming the first bad record and field.
 */
export function columnsFromRecords(records: readonly unknown[]): RawColumns {
  const columns = emptyColumns(records.length);
  const targets = targetsOf(columns);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new FieldError("(record)", "expected an object with passenger fields", i);
    }
    const object = record as Record<string, unknown>;
    parseRecord(targets, i, (f) => object[FIELD_NAMES[f]]);
  }
  return columns;
}

/**
 * Builds columns from rows of cells under `header` (CSV). Columns not in the schema are
 * ignored; a required column that is absent is an error.
 */
export function columnsFromRows(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): RawColumns {
  const columns = emptyColumns(rows.length);
  const positions = new Map(header.map((name, i) => [name.trim(), i]));
  for (const field of PASSENGER_FIELDS) {
    if (field.required && !positions.has(field.name)) {
      throw new FieldError(field.name, "is a required column and is missing");
    }
  }
  const targets = targetsOf(columns);
  const at = FIELD_NAMES.map((name) => positions.get(name) ?? -1);
  rows.forEach((row, i) => parseRecord(targets, i, (f) => (at[f] < 0 ? undefined : row[at[f]])));
  return columns;
}

/** Picks rows `indices` of `columns` (for cross-validation folds). */
export function takeRows(columns: RawColumns, indices: ArrayLike<number>): RawColumns {
  const n = indices.length;
  const numbers: Record<string, Float64Array> = {};
  const strings: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(columns.numbers)) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = values[indices[i]];
    numbers[name] = out;
  }
  for (const [name, values] of Object.entries(columns.strings)) {
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = values[indices[i]];
    strings[name] = out;
  }
  return { length: n, numbers, strings };
}

/** The schema field for a column name, or undefined. */
export function fieldOf(name: string) {
  return FIELD_BY_NAME.get(name);
}
