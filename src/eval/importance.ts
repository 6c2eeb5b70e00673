/**
 * Permutation importance of each model input (scikit-learn's permutation_importance on a
 * whole pipeline): the drop in accuracy when one input column is shuffled, on held-out rows.
 * @module
 */

import type { RawColumns } from "../codec/columns.ts";
import type { ModelInputs } from "../codec/inputs.ts";
import { fitFold, stratifiedFolds } from "./cv.ts";
import { Random } from "../learners/random.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { accuracy, meanStd } from "./metrics.ts";

export interface Importance {
  input: string;
  mean: number;
  std: number;
}

/** Importance of every input of a fitted pipeline on `data`/`y`, most important first. */
export function permutationImportance(
  pipeline: Pipeline,
  data: ModelInputs,
  y: Uint8Array,
  options: { repeats?: number; seed?: number } = {},
): Importance[] {
  const { repeats = 10, seed = 42 } = options;
  const random = new Random(seed, 99);
  const baseline = accuracy(y, pipeline.predict(data));
  const rows = y.length;
  return pipeline.inputs().map((input) => {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const order = Int32Array.from({ length: rows }, (_, i) => i);
      random.shuffle(order);
      const column = data[input];
      const shuffled = column instanceof Float32Array
        ? Float32Array.from(order, (i) => column[i])
        : Array.from(order, (i) => column[i]);
      drops.push(baseline - accuracy(y, pipeline.predict({ ...data, [input]: shuffled })));
    }
    return { input, ...meanStd(drops) };
  }).sort((a, b) => b.mean - a.mean);
}

/**
 * Permutation importance on held-out rows: for each stratified fold, fit on the other folds
 * and permute on this one; importances are averaged over folds.
 */
export function crossValidatedImportance(
  makePipeline: () => Pipeline,
  columns: RawColumns,
  y: Uint8Array,
  options: { folds?: number; seed?: number; repeats?: number } = {},
): Importance[] {
  const { folds = 5, seed = 42, repeats = 5 } = options;
  const sums = new Map<string, { mean: number; std: number }>();
  for (const testIdx of stratifiedFolds(y, folds, seed)) {
    const { pipeline, test, yTest } = fitFold(makePipeline, columns, y, testIdx);
    const scores = permutationImportance(pipeline, test, yTest, { repeats, seed });
    for (const s of scores) {
      const acc = sums.get(s.input) ?? { mean: 0, std: 0 };
      sums.set(s.input, { mean: acc.mean + s.mean / folds, std: acc.std + s.std / folds });
    }
  }
  return [...sums].map(([input, v]) => ({ input, ...v })).sort((a, b) => b.mean - a.mean);
}
