/**
 * What a pipeline's final estimator provides: fit, P(class 1) and labels exactly as the
 * exported graph computes them, and its own ONNX converter (which declares the graph's
 * `label` and `probabilities` outputs).
 * @module
 */

import type { GraphBuilder } from "../onnx/builder.ts";
import type { ShapEnsemble } from "../inference/treeshap.ts";
import type { BoostingParams } from "./boosting.ts";
import type { ForestParams } from "./forest.ts";
import type { Matrix } from "./matrix.ts";

/** The parameters of the project's learners, as the model card records them. */
export type LearnerParams = Readonly<ForestParams> | Readonly<BoostingParams>;

export interface Classifier {
  /** scikit-learn style class name, for the model card. */
  readonly estimator: string;
  readonly params: LearnerParams;
  /** The fitted trees (what the model keeps, e.g. after early stopping). */
  readonly trees: readonly object[];
  fit(x: Matrix, y: Uint8Array): this;
  /** P(class 1) per row, as the graph's `probabilities[:, 1]` (float32). */
  predictProba(x: Matrix): Float32Array;
  /** 0/1 per row, exactly as the graph's `label`. */
  predict(x: Matrix): Uint8Array;
  /** Adds the model and the outputs `label` ([N] int64) and `probabilities` ([N,2] float32). */
  toOnnx(g: GraphBuilder, features: string): void;
  /** Normalised importance per feature. */
  featureImportances(): Float64Array;
  /** The fitted trees with their covers, as TreeSHAP explains them (tree ensembles only). */
  shapEnsemble?(): ShapEnsemble;
}

/** Rounds `values` onto the grid 2^-bits (in place) and returns them. */
export function quantize(values: Float64Array, bits: number): Float64Array {
  const scale = 2 ** bits;
  for (let i = 0; i < values.length; i++) values[i] = Math.round(values[i] * scale) / scale;
  return values;
}

/**
 * Fraction bits for leaf values whose sums, in any order, must stay exact in float32: every
 * partial sum is bounded by `bound`, so values on a 2^-bits grid need at most 24 bits.
 */
export function exactSumBits(bound: number): number {
  return 24 - Math.max(0, Math.ceil(Math.log2(bound + 1)));
}
