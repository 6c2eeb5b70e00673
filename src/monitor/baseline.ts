/**
 * The drift baseline stored in the model card at train time: per raw model input, its missing
 * rate and distribution (quantile bins for numbers, category shares for strings with few
 * values, length bins for free text such as Name), and the distribution of the predicted
 * survival probability. `deno task drift` compares captured traffic with it.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";

/** Strings with more distinct values than this are free text (their length is binned). */
export const MAX_CATEGORIES = 20;
/** Quantiles whose values become bin edges. */
const QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Fixed edges for P(survived). */
export const PROBABILITY_EDGES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Bins on right-closed edges: (-inf, e0], (e0, e1], ..., (e_last, inf). */
export interface Bins {
  edges: number[];
  /** Share of the non-missing values in each bin (edges.length + 1 of them). */
  shares: number[];
}

export interface Summary {
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
  mean: number;
  std: number;
}

interface BaseInput {
  name: string;
  /** Rows seen. */
  count: number;
  /** Share of rows with the value missing (NaN or ""). */
  missingRate: number;
}

export interface NumericBaseline extends BaseInput {
  kind: "numeric";
  summary: Summary;
  bins: Bins;
}

export interface CategoricalBaseline extends BaseInput {
  kind: "categorical";
  /** Share of the non-missing values per category. */
  categories: Record<string, number>;
}

export interface TextBaseline extends BaseInput {
  kind: "text";
  distinct: number;
  /** Bins of the string length. */
  lengthBins: Bins;
}

export type InputBaseline = NumericBaseline | CategoricalBaseline | TextBaseline;

export interface PredictionBaseline {
  count: number;
  /** Share of rows predicted to survive (P > 0.5, the model's label). */
  survivalShare: number;
  meanProbability: number;
  bins: Bins;
}

export interface DriftBaseline {
  rows: number;
  inputs: InputBaseline[];
  predictions: PredictionBaseline;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** The value at quantile q of sorted values (nearest rank below: an observed value). */
function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/** Index of the bin of `x` on right-closed `edges`. */
export function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Share of `values` in each bin of `edges`. */
export function binShares(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i])]++;
  return counts.map((c) => (values.length ? round(c / values.length) : 0));
}

/** Bins on the deciles of `values` (distinct edges only, so discrete inputs get a bin per value). */
export function quantileBins(values: ArrayLike<number>): Bins {
  const sorted = Float64Array.from(values).sort();
  // Exact values, not rounded: a value equal to an edge must stay in that edge's bin.
  const edges = sorted.length ? [...new Set(QUANTILES.map((q) => quantile(sorted, q)))] : [];
  return { edges, shares: binShares(edges, values) };
}

function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { min: NaN, p25: NaN, median: NaN, p75: NaN, max: NaN, mean: NaN, std: NaN };
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let squares = 0;
  for (const v of sorted) squares += (v - mean) ** 2;
  return {
    min: round(sorted[0]),
    p25: round(quantile(sorted, 0.25)),
    median: round(quantile(sorted, 0.5)),
    p75: round(quantile(sorted, 0.75)),
    max: round(sorted[n - 1]),
    mean: round(mean),
    std: round(Math.sqrt(squares / n)),
  };
}

/** The non-missing numbers of a column. */
export function presentNumbers(column: Float32Array): Float64Array {
  return Float64Array.from(column.filter((v) => !Number.isNaN(v)));
}

/** Share of each distinct non-missing string. */
export function categoryShares(values: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return Object.fromEntries(
    [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map((
      [k, c],
    ) => [k, round(c / values.length)]),
  );
}

function inputBaseline(name: string, column: Float32Array | string[]): InputBaseline {
  const count = column.length;
  if (column instanceof Float32Array) {
    const present = presentNumbers(column);
    return {
      name,
      kind: "numeric",
      count,
      missingRate: round(count ? 1 - present.length / count : 0),
      summary: summarize(present),
      bins: quantileBins(present),
    };
  }
  const present = column.filter((v) => v !== "");
  const missingRate = round(count ? 1 - present.length / count : 0);
  const distinct = new Set(present).size;
  if (distinct <= MAX_CATEGORIES) {
    return { name, kind: "categorical", count, missingRate, categories: categoryShares(present) };
  }
  return {
    name,
    kind: "text",
    count,
    missingRate,
    distinct,
    lengthBins: quantileBins(present.map((v) => v.length)),
  };
}

/** The prediction part: share predicted to survive, mean and bins of P(survived). */
export function predictionSummary(probabilities: ArrayLike<number>): PredictionBaseline {
  let survived = 0;
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    if (probabilities[i] > 0.5) survived++;
    sum += probabilities[i];
  }
  const n = probabilities.length;
  return {
    count: n,
    survivalShare: round(n ? survived / n : 0),
    meanProbability: round(n ? sum / n : 0),
    bins: { edges: PROBABILITY_EDGES, shares: binShares(PROBABILITY_EDGES, probabilities) },
  };
}

/**
 * The baseline of a model's training inputs (the tensors it was fitted on, one per raw input)
 * and its predicted P(survived) on them.
 */
export function driftBaseline(
  inputs: ModelInputs,
  probabilities: ArrayLike<number>,
): DriftBaseline {
  const names = Object.keys(inputs);
  const rows = names.length ? inputs[names[0]].length : 0;
  if (probabilities.length !== rows) {
    throw new Error(`driftBaseline: ${probabilities.length} probabilities for ${rows} rows`);
  }
  return {
    rows,
    inputs: names.map((name) => inputBaseline(name, inputs[name])),
    predictions: predictionSummary(probabilities),
  };
}
