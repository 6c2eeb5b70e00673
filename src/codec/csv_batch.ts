/**
 * text/csv request bodies read straight into a {@link BatchBuilder}: each field goes from the
 * CSV reader to its column, no array per row. A header row naming Pclass and Sex maps columns
 * by name; otherwise the first row's width picks Kaggle's test.csv or train.csv order (see
 * container/payload.ts). A fast path: any body it does not take in full (bad CSV, a bad value,
 * rows of the wrong width) makes it return `false`, and the caller reads the body row by row,
 * which gives the answer or the error exactly as before (a CSV error on a later line comes
 * before a bad value on an earlier one, as it always did).
 * @module
 */

import { type BatchBuilder, fieldPositions } from "./batch.ts";
import { type CsvSink, readCsv } from "./csv.ts";
import { headerlessColumns, PASSENGER_FIELDS } from "./schema.ts";

const LEAVE = new Error("left to the row reader");

class CsvColumns implements CsvSink {
  /** The first row, until it says how columns map to fields. */
  readonly #first: string[] = [];
  /** Schema field of each column, -1 for others; undefined while reading the first row. */
  #position?: number[];
  /** Header-less bodies: every row has the first row's width. */
  #width = -1;
  readonly #values: unknown[] = new Array(PASSENGER_FIELDS.length).fill(undefined);

  constructor(readonly out: BatchBuilder) {}

  field(column: number, value: string): void {
    const position = this.#position;
    if (!position) this.#first.push(value);
    else if (column < position.length) {
      const f = position[column];
      if (f >= 0) this.#values[f] = value;
    }
  }

  rowEnd(width: number): void {
    if (this.#position) {
      if (this.#width >= 0 && width !== this.#width) throw LEAVE;
      this.out.push(this.#values);
      this.#values.fill(undefined);
      return;
    }
    const names = this.#first.map((c) => c.trim());
    if (names.includes("Pclass") && names.includes("Sex")) {
      this.#position = fieldPositions(names);
      if (!this.#position) throw LEAVE;
      return;
    }
    const columns = headerlessColumns(width);
    if (!columns) throw LEAVE;
    this.#position = fieldPositions(columns)!;
    this.#width = width;
    this.#first.forEach((value, column) => this.field(column, value));
    this.rowEnd(width);
  }
}

/** Reads a text/csv body into `out`; false when the caller must read it row by row. */
export function csvBodyInto(text: string, out: BatchBuilder): boolean {
  try {
    readCsv(text, new CsvColumns(out));
    return true;
  } catch {
    return false;
  }
}
