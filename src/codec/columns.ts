/**
 * Raw passenger data in columns, built from objects (JSON) or from string rows (CSV), every
 * value checked against the schema.
 * @module
 */

import type { CsvCells } from "./csv.ts";
import { FIELD_BY_NAME, PASSENGER_FIELDS } from "./schema.ts";
import { FieldError, parseNumber, parseString, plainDecimal } from "./values.ts";

/** One column per raw field: numbers as Float64Array (NaN = missing), strings with "" = missing. */
export interface RawColumns {
  readonly length: number;
  readonly numbers: Readonly<Record<string, Float64Array>>;
  readonly strings: Readonly<Record<string, string[]>>;
}

/** How a {@link ColumnBuilder} keeps a field: a column of these, or nothing (checked only). */
export type Storage = "float64" | "float32" | "string" | undefined;

const FIELD_COUNT = PASSENGER_FIELDS.length;
const FIELD_NAMES = PASSENGER_FIELDS.map((f) => f.name);

/**
 * Takes one record at a time as raw values in schema order (`undefined` = absent), checks
 * every field (values.ts) and appends it to the columns kept; grows by doubling.
 */
export class ColumnBuilder {
  length = 0;
  #capacity: number;
  readonly #columns: (Float64Array | Float32Array | string[] | undefined)[];

  /** `storage[f]`: how field f of PASSENGER_FIELDS is kept. */
  constructor(storage: readonly Storage[], capacity: number) {
    this.#capacity = Math.max(1, capacity);
    this.#columns = PASSENGER_FIELDS.map((_, f) => newColumn(storage[f], this.#capacity));
  }

  /**
   * Appends a record from `values` (indexed like PASSENGER_FIELDS). Throws {@link FieldError}
   * naming the record and its first bad field in schema order.
   */
  push(values: readonly unknown[]): void {
    const i = this.length;
    if (i === this.#capacity) this.#grow();
    const columns = this.#columns;
    try {
      for (let f = 0; f < FIELD_COUNT; f++) {
        const field = PASSENGER_FIELDS[f];
        const column = columns[f];
        if (field.kind === "string") {
          const text = parseString(field, values[f]);
          if (column) (column as string[])[i] = text;
        } else {
          const n = parseNumber(field, values[f]);
          if (column) (column as Float64Array)[i] = n;
        }
      }
    } catch (err) {
      if (err instanceof FieldError) throw new FieldError(err.field, err.problem, i);
      throw err;
    }
    this.length = i + 1;
  }

  /** Whether field f's values are kept (else only checked). */
  keeps(f: number): boolean {
    return this.#columns[f] !== undefined;
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    this.#columns.forEach((column, f) => {
      if (Array.isArray(column)) column.length = capacity;
      else if (column) {
        const next = new (column.constructor as Float64ArrayConstructor)(capacity);
        next.set(column);
        this.#columns[f] = next;
      }
    });
    this.#capacity = capacity;
  }

  /** Field f's column, cut to the records pushed (undefined when not kept). */
  column(f: number): Float64Array | Float32Array | string[] | undefined {
    const column = this.#columns[f];
    const n = this.length;
    if (Array.isArray(column)) column.length = n;
    else if (column && column.length !== n) return column.slice(0, n);
    return column;
  }
}

function newColumn(storage: Storage, capacity: number) {
  if (storage === "string") return new Array<string>(capacity);
  if (storage === "float32") return new Float32Array(capacity);
  if (storage === "float64") return new Float64Array(capacity);
  return undefined;
}

/** What a record reader writes to: a {@link ColumnBuilder}, usually. */
export interface RecordSink {
  push(values: readonly unknown[]): void;
}

/**
 * Pushes one object per passenger into `sink`. Unknown keys are ignored.
 * Throws {@link FieldError} naming the first bad record and field.
 */
export function recordsInto(records: readonly unknown[], sink: RecordSink): void {
  const values = new Array<unknown>(FIELD_COUNT).fill(undefined); // packed: read fastest
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new FieldError("(record)", "expected an object with passenger fields", i);
    }
    readFields(record as Record<string, unknown>, values);
    sink.push(values);
  }
}

/**
 * `values[f] = record[FIELD_NAMES[f]]` for every field, written out with each name as a
 * constant: one property read per name, each of which V8 caches for the records' shape. The
 * loop over names was one keyed read site for eleven names, which V8 cannot cache per shape:
 * 90 against 37 µs per 1000 records of JSON.parse's objects (2026-12-04).
 */
const readFields = new Function(
  "record",
  "values",
  FIELD_NAMES.map((name, f) => `values[${f}] = record[${JSON.stringify(name)}];`).join("\n"),
) as (record: Record<string, unknown>, values: unknown[]) => void;

/**
 * Pushes rows of cells under `header` (CSV) into `sink`. Columns not in the schema are
 * ignored (of repeated names the last counts); a required column that is absent is an error.
 */
export function rowsInto(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
  sink: RecordSink,
): void {
  const at = fieldColumns(header);
  const values = new Array<unknown>(FIELD_COUNT).fill(undefined);
  for (const row of rows) {
    for (let f = 0; f < FIELD_COUNT; f++) values[f] = at[f] < 0 ? undefined : row[at[f]];
    sink.push(values);
  }
}

/** How {@link cellsInto} reads a field's cell. */
const enum CellRead {
  /** A string field kept by nobody and checked for nothing: its cell is never read. */
  Skip,
  Number,
  Text,
}

/**
 * As {@link rowsInto}, from the rows `from`.. of a CSV text's cells: the same values reach
 * `builder`, so the same checks and errors, but a cell becomes a string only when its field
 * needs one. A number cell of plain decimal characters (no space at either end, no quotes) is
 * read straight from the text, as values.ts reads a plain decimal string.
 */
export function cellsInto(
  header: readonly string[],
  cells: CsvCells,
  from: number,
  builder: ColumnBuilder,
): void {
  const at = fieldColumns(header);
  const reads = PASSENGER_FIELDS.map((field, f) => {
    if (field.kind !== "string") return CellRead.Number;
    const checked = field.required || field.allowed !== undefined;
    return checked || builder.keeps(f) ? CellRead.Text : CellRead.Skip;
  });
  const text = cells.text;
  const values = new Array<unknown>(FIELD_COUNT).fill(undefined);
  for (let r = from; r < cells.rows; r++) {
    const first = cells.rowStart(r);
    const width = cells.width(r);
    for (let f = 0; f < FIELD_COUNT; f++) {
      const column = at[f];
      const read = reads[f];
      if (column < 0 || column >= width) values[f] = undefined;
      else if (read === CellRead.Skip) values[f] = "";
      else {
        const k = first + column;
        const start = read === CellRead.Number ? cells.plainStart(k) : -1;
        const end = cells.end(k);
        const plain = start >= 0 && start < end && untrimmed(text, start, end)
          ? plainDecimal(text, start, end)
          : undefined;
        values[f] = plain ?? cells.cellText(k);
      }
    }
    builder.push(values);
  }
}

/** Whether text[start, end) (not empty) has nothing String.prototype.trim would take off. */
function untrimmed(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  const last = text.charCodeAt(end - 1);
  // trim's white space is ASCII up to the space, or outside ASCII.
  return first > 32 && first < 127 && last > 32 && last < 127;
}

/**
 * The column of each schema field in `header` (names trimmed; of repeated names the last),
 * -1 when absent. Throws {@link FieldError} for the first required field without a column.
 */
export function fieldColumns(header: readonly string[]): number[] {
  const positions = new Map(header.map((name, i) => [name.trim(), i]));
  for (const field of PASSENGER_FIELDS) {
    if (field.required && !positions.has(field.name)) {
      throw new FieldError(field.name, "is a required column and is missing");
    }
  }
  return FIELD_NAMES.map((name) => positions.get(name) ?? -1);
}

/** Every field kept: numbers as float64, strings as strings. */
const RAW: readonly Storage[] = PASSENGER_FIELDS.map((f) =>
  f.kind === "string" ? "string" : "float64"
);

function rawColumns(builder: ColumnBuilder): RawColumns {
  const numbers: Record<string, Float64Array> = {};
  const strings: Record<string, string[]> = {};
  PASSENGER_FIELDS.forEach((field, f) => {
    const column = builder.column(f)!;
    if (field.kind === "string") strings[field.name] = column as string[];
    else numbers[field.name] = column as Float64Array;
  });
  return { length: builder.length, numbers, strings };
}

/**
 * Builds columns from one object per passenger. Unknown keys are ignored.
 * Throws {@link FieldError} naming the first bad record and field.
 */
export function columnsFromRecords(records: readonly unknown[]): RawColumns {
  const builder = new ColumnBuilder(RAW, records.length);
  recordsInto(records, builder);
  return rawColumns(builder);
}

/**
 * Builds columns from rows of cells under `header` (CSV). Columns not in the schema are
 * ignored; a required column that is absent is an error.
 */
export function columnsFromRows(
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): RawColumns {
  const builder = new ColumnBuilder(RAW, rows.length);
  rowsInto(header, rows, builder);
  return rawColumns(builder);
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
