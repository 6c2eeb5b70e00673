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

/** Parses record `i`, reading each field's raw value with `get`; errors name the record. */
function parseRecord(
  columns: ReturnType<typeof emptyColumns>,
  i: number,
  get: (field: string) => unknown,
): void {
  try {
    for (const field of PASSENGER_FIELDS) {
      const value = get(field.name);
      if (field.kind === "string") columns.strings[field.name][i] = parseString(field, value);
      else columns.numbers[field.name][i] = parseNumber(field, value);
    }
  } catch (err) {
    if (err instanceof FieldError) throw new FieldError(err.field, err.problem, i);
    throw err;
  }
}

/**
 * Builds columns from one object per passenger. Unknown keys are ignored.
 * Throws {@link FieldError} naming the first bad record and field.
 */
export function columnsFromRecords(records: readonly unknown[]): RawColumns {
  const columns = emptyColumns(records.length);
  records.forEach((record, i) => {
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new FieldError("(record)", "expected an object with passenger fields", i);
    }
    const object = record as Record<string, unknown>;
    parseRecord(columns, i, (name) => object[name]);
  });
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
  rows.forEach((row, i) => {
    parseRecord(columns, i, (name) => {
      const at = positions.get(name);
      return at === undefined ? undefined : row[at];
    });
  });
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
