/**
 * A request's records written straight into the model's input columns: one raw value per field
 * and record goes through the schema's checks (values.ts) and lands in the graph input's typed
 * array (float32) or string array, or, for a field the graph does not take, is checked and
 * dropped. PassengerId is kept for the answer. No object per record, no intermediate columns.
 * @module
 */

import { encodeInputs, inputSpec, type ModelInputs } from "./inputs.ts";
import type { RawColumns } from "./columns.ts";
import { PASSENGER_FIELDS } from "./schema.ts";
import { FieldError, parseNumber, parseString } from "./values.ts";

/** Records as the graph takes them, and their PassengerIds (NaN when absent). */
export interface ModelBatch {
  readonly length: number;
  readonly ids: Float64Array;
  readonly inputs: ModelInputs;
}

/** Index of each raw field in {@link PASSENGER_FIELDS}. */
export const FIELD_INDEX: ReadonlyMap<string, number> = new Map(
  PASSENGER_FIELDS.map((f, i) => [f.name, i]),
);
const ID_FIELD = FIELD_INDEX.get("PassengerId")!;
const FIELD_COUNT = PASSENGER_FIELDS.length;

/**
 * Takes one record at a time as raw values in schema order (`undefined` = absent), checks
 * every field and appends it to the columns; grows by doubling.
 */
export class BatchBuilder {
  length = 0;
  #capacity: number;
  #numbers: (Float32Array | Float64Array | undefined)[] = [];
  #strings: (string[] | undefined)[] = [];
  readonly #names: readonly string[];

  constructor(inputNames: readonly string[], capacity = 64) {
    this.#names = inputNames;
    this.#capacity = Math.max(1, capacity);
    for (let f = 0; f < FIELD_COUNT; f++) {
      const field = PASSENGER_FIELDS[f];
      const used = f === ID_FIELD || inputNames.includes(field.name);
      if (!used) continue;
      if (field.kind === "string") this.#strings[f] = new Array<string>(this.#capacity);
      else if (f === ID_FIELD) this.#numbers[f] = new Float64Array(this.#capacity);
      else this.#numbers[f] = new Float32Array(this.#capacity);
    }
    for (const name of inputNames) inputSpec(name); // an unknown input fails here, not per record
  }

  /**
   * Appends a record from `values` (indexed like PASSENGER_FIELDS). Throws {@link FieldError}
   * naming the record and the first bad field in schema order, as columnsFromRecords does.
   */
  push(values: readonly unknown[]): void {
    const i = this.length;
    if (i === this.#capacity) this.#grow();
    let f = 0;
    try {
      for (; f < FIELD_COUNT; f++) {
        const field = PASSENGER_FIELDS[f];
        if (field.kind === "string") {
          const text = parseString(field, values[f]);
          const column = this.#strings[f];
          if (column) column[i] = text;
        } else {
          const n = parseNumber(field, values[f]);
          const column = this.#numbers[f];
          if (column) column[i] = n;
        }
      }
    } catch (err) {
      if (err instanceof FieldError) throw new FieldError(err.field, err.problem, i);
      throw err;
    }
    this.length = i + 1;
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    for (let f = 0; f < FIELD_COUNT; f++) {
      const numbers = this.#numbers[f];
      if (numbers) {
        const next = numbers instanceof Float32Array
          ? new Float32Array(capacity)
          : new Float64Array(capacity);
        next.set(numbers);
        this.#numbers[f] = next;
      }
      const strings = this.#strings[f];
      if (strings) strings.length = capacity;
    }
    this.#capacity = capacity;
  }

  /** The batch so far, arrays cut to its length. */
  build(): ModelBatch {
    const n = this.length;
    const fit = <T extends Float32Array | Float64Array>(a: T) =>
      (a.length === n ? a : a.slice(0, n)) as T;
    const inputs: ModelInputs = {};
    for (const name of this.#names) {
      const f = FIELD_INDEX.get(name)!;
      const strings = this.#strings[f];
      const numbers = this.#numbers[f];
      if (strings) {
        strings.length = n;
        inputs[name] = strings;
      } else if (numbers instanceof Float32Array) inputs[name] = fit(numbers);
      else inputs[name] = Float32Array.from(numbers!.subarray(0, n)); // PassengerId as an input
    }
    return { length: n, ids: fit(this.#numbers[ID_FIELD] as Float64Array), inputs };
  }
}

/**
 * The schema field of each column of a header or column list (names trimmed; of repeated
 * names the last counts; -1 for others), as columnsFromRows reads them; undefined when a
 * required field has no column.
 */
export function fieldPositions(names: readonly string[]): number[] | undefined {
  const trimmed = names.map((name) => name.trim());
  const position = trimmed.map((name, i) => {
    const f = FIELD_INDEX.get(name);
    return f !== undefined && trimmed.lastIndexOf(name) === i ? f : -1;
  });
  const required = PASSENGER_FIELDS.every((field, f) => !field.required || position.includes(f));
  return required ? position : undefined;
}

/** The same batch from raw columns (the reference path, and bodies the fast readers leave). */
export function batchFromColumns(columns: RawColumns, inputNames: readonly string[]): ModelBatch {
  return {
    length: columns.length,
    ids: columns.numbers.PassengerId,
    inputs: encodeInputs(columns, inputNames),
  };
}
