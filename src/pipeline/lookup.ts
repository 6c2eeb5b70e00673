/**
 * A fitted string -> number table with a fallback, computed the same way in TypeScript and in
 * the graph (ai.onnx.ml.LabelEncoder). Used by the ticket-group and age-by-title steps.
 * @module
 */

import { type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";

export interface StringTable {
  /** Sorted keys. */
  readonly keys: readonly string[];
  readonly values: readonly number[];
  /** Value for a key not in the table. */
  readonly fallback: number;
}

/** Builds a table from entries (sorted by key, values as float32). */
export function stringTable(entries: Iterable<[string, number]>, fallback: number): StringTable {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    keys: sorted.map(([k]) => k),
    values: sorted.map(([, v]) => Math.fround(v)),
    fallback: Math.fround(fallback),
  };
}

/** Looks up every value of a string column. */
export function lookup(table: StringTable, column: readonly string[]): Float32Array {
  const map = new Map(table.keys.map((k, i) => [k, table.values[i]]));
  return Float32Array.from(column, (key) => map.get(key) ?? table.fallback);
}

/** The same lookup as a graph node: string [N,1] in, float32 [N,1] out. */
export function lookupOnnx(g: GraphBuilder, input: string, table: StringTable): string {
  // LabelEncoder needs at least one key; "\0" never occurs in the data.
  const empty = table.keys.length === 0;
  return g.op("LabelEncoder", [input], {
    domain: ML_DOMAIN,
    attributes: {
      keys_strings: { strings: empty ? ["\u0000"] : table.keys },
      values_floats: { floats: empty ? [table.fallback] : table.values },
      default_float: { float: table.fallback },
    },
  });
}

/** A fitted statistic, or `fallback` when there was nothing to compute it from. */
export function orFallback(value: number, fallback = 0): number {
  return Math.fround(Number.isNaN(value) ? fallback : value);
}
