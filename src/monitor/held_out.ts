/**
 * Held-out predictions for the drift baseline. A model's answers on its own training rows are
 * not what it says about new passengers (a forest is surer of rows it has seen, and the group
 * survival features read those rows' own labels from the graph's tables), so the baseline's
 * P(survived) comes from stratified k-fold: each row predicted by a pipeline fitted without it.
 * @module
 */

import type { RawColumns } from "../codec/columns.ts";
import { fitFold, stratifiedFolds } from "../eval/cv.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";

/** P(survived) per row from k pipelines, each fitted on the other folds (default 5). */
export function heldOutProbabilities(
  makePipeline: () => Pipeline,
  columns: RawColumns,
  y: Uint8Array,
  seed: number,
  k = 5,
): Float32Array {
  const out = new Float32Array(y.length);
  for (const testIdx of stratifiedFolds(y, k, seed)) {
    const { pipeline, test } = fitFold(makePipeline, columns, y, testIdx);
    const p = pipeline.predictProba(test);
    testIdx.forEach((row, i) => (out[row] = p[i]));
  }
  return out;
}
