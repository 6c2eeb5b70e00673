/**
 * TreeSHAP explanations of a fitted pipeline, straight from its learner's trees and covers
 * (the same numbers the exported model carries): for notebooks and tests.
 * @module
 */

import { type BatchExplanation, Explainer } from "../inference/explainer.ts";
import type { ModelInputs } from "../codec/inputs.ts";
import type { Matrix } from "../learners/matrix.ts";
import type { Pipeline } from "./pipeline.ts";

/** The explainer of a fitted pipeline whose model is a tree ensemble. */
export function pipelineExplainer(pipeline: Pipeline): Explainer {
  const ensemble = pipeline.model.shapEnsemble?.();
  if (!ensemble) throw new Error(`${pipeline.model.estimator} has no TreeSHAP explanation`);
  return new Explainer(ensemble, pipeline.featureNames, pipeline.featureSources());
}

/** Row-major float32 [rows, k] from the learners' column-major matrix. */
export function rowMajor(x: Matrix): Float32Array {
  const k = x.columns.length;
  const out = new Float32Array(x.rows * k);
  x.columns.forEach((column, f) => column.forEach((v, r) => (out[r * k + f] = v)));
  return out;
}

/** Features, and values per feature and per raw input, of every row of `data`. */
export function explainPipeline(
  pipeline: Pipeline,
  data: ModelInputs,
  explainer = pipelineExplainer(pipeline),
): { features: Matrix; explanation: BatchExplanation } {
  const features = pipeline.transform(data);
  return { features, explanation: explainer.explain(rowMajor(features), features.rows) };
}
