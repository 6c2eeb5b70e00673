/**
 * A pipeline in the spirit of scikit-learn's: feature steps whose outputs are concatenated
 * (a FeatureUnion over the model inputs) and a classifier. `toOnnx` emits every step's
 * converter into one graph, so training-time features and the exported model share code.
 * @module
 */

import { inputSpec, type ModelInputs } from "../codec/inputs.ts";
import { GraphBuilder } from "../onnx/builder.ts";
import type { Classifier } from "../learners/classifier.ts";
import { type Matrix, matrix } from "../learners/matrix.ts";
import type { Transformer } from "./transformer.ts";

/** Version written into exported models. */
export const PRODUCER = { name: "titanic-deno", version: "0.1.0" };

/** Feature steps and a classifier. */
export class Pipeline {
  featureNames: string[] = [];

  constructor(readonly steps: readonly Transformer[], readonly model: Classifier) {}

  /** Graph inputs used by the steps, in order of first use. */
  inputs(): string[] {
    return [...new Set(this.steps.flatMap((s) => s.inputs))];
  }

  /** Fits every step, then the model on their features. */
  fit(data: ModelInputs, y: Uint8Array): this {
    for (const step of this.steps) step.fit(data);
    this.model.fit(this.transform(data), y);
    return this;
  }

  /** The feature matrix the model sees. */
  transform(data: ModelInputs): Matrix {
    const blocks = this.steps.map((s) => s.transform(data));
    this.featureNames = blocks.flatMap((b) => b.names);
    return matrix(blocks.flatMap((b) => b.columns), this.featureNames);
  }

  /** P(survived) per row, bit-identical to the ONNX graph's `probabilities[:, 1]`. */
  predictProba(data: ModelInputs): Float32Array {
    return this.model.predictProba(this.transform(data));
  }

  /** 0/1 per row, as the graph's `label`. */
  predict(data: ModelInputs): Uint8Array {
    return this.model.predict(this.transform(data));
  }

  /** Probabilities and labels from one transform. */
  predictBoth(data: ModelInputs): { proba: Float32Array; labels: Uint8Array } {
    const x = this.transform(data);
    return { proba: this.model.predictProba(x), labels: this.model.predict(x) };
  }

  /** The fitted pipeline as one ONNX model. */
  toOnnx(docString = ""): Uint8Array {
    const g = new GraphBuilder("titanic_pipeline");
    const tensors: Record<string, string> = {};
    for (const name of this.inputs()) {
      tensors[name] = g.input(name, inputSpec(name).type, ["N", 1]);
    }
    const blocks = this.steps.map((s) => s.toOnnx(g, tensors));
    const features = blocks.length === 1
      ? blocks[0]
      : g.op("Concat", blocks, { attributes: { axis: { int: 1 } } });
    this.model.toOnnx(g, features);
    return g.encode({
      producerName: PRODUCER.name,
      producerVersion: PRODUCER.version,
      docString,
    });
  }

  /** Steps and model parameters, for the model card. */
  describe(): Record<string, unknown> {
    return {
      steps: this.steps.map((s) => s.describe()),
      model: { estimator: this.model.estimator, ...this.model.params },
      features: this.featureNames,
    };
  }
}
