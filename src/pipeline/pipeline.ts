/**
 * A pipeline in the spirit of scikit-learn's: derivations that add string columns (title,
 * deck), feature steps whose outputs are concatenated (a FeatureUnion over the inputs) and a
 * classifier. `toOnnx` emits every step's converter into one graph, so training-time features
 * and the exported model share code.
 * @module
 */

import { inputSpec, type ModelInputs } from "../codec/inputs.ts";
import { GraphBuilder } from "../onnx/builder.ts";
import type { Classifier } from "../learners/classifier.ts";
import { type Matrix, matrix } from "../learners/matrix.ts";
import { explanationProperty, FEATURES_OUTPUT } from "../inference/explainer.ts";
import type { Derivation } from "./derive.ts";
import { featureSources } from "./provenance.ts";
import type { FeatureBlock, Transformer } from "./transformer.ts";

/** A pipeline step: a feature transformer, or a derivation of a string column. */
export type Step = Transformer | Derivation;

const isDerivation = (step: Step): step is Derivation => "output" in step;

/** Version written into exported models. */
export const PRODUCER = { name: "titanic-deno", version: "0.1.0" };

/** Derivations, feature steps and a classifier. */
export class Pipeline {
  featureNames: string[] = [];
  /** The feature names each transformer makes (known once fitted). */
  featureBlocks: string[][] = [];
  readonly derivations: readonly Derivation[];
  readonly transformers: readonly Transformer[];

  constructor(readonly steps: readonly Step[], readonly model: Classifier) {
    this.derivations = steps.filter(isDerivation);
    this.transformers = steps.filter((s): s is Transformer => !isDerivation(s));
  }

  /** Graph inputs (raw columns) used by the steps, in order of first use. */
  inputs(): string[] {
    const derived = new Set(this.derivations.map((d) => d.output));
    return [...new Set(this.steps.flatMap((s) => s.inputs))].filter((n) => !derived.has(n));
  }

  /** The inputs plus every derived column. */
  #derive(data: ModelInputs, fit: boolean): ModelInputs {
    const all: ModelInputs = { ...data };
    for (const d of this.derivations) {
      if (fit) d.fit(all);
      all[d.output] = d.derive(all);
    }
    return all;
  }

  /**
   * Fits every step, then the model on the training rows' features (a step with
   * `fitTransform` gives them their leave-one-out values).
   */
  fit(data: ModelInputs, y: Uint8Array): this {
    this.fitTransform(data, y);
    return this;
  }

  /**
   * {@link fit}, returning the training rows' features as the model saw them (which
   * {@link transform} of the same rows is not, for steps with `fitTransform`).
   */
  fitTransform(data: ModelInputs, y: Uint8Array): Matrix {
    const all = this.#derive(data, true);
    const blocks = this.transformers.map((step) =>
      step.fitTransform ? step.fitTransform(all, y) : step.fit(all, y).transform(all)
    );
    const features = this.#matrix(blocks);
    this.model.fit(features, y);
    return features;
  }

  /** The feature matrix the model sees. */
  transform(data: ModelInputs): Matrix {
    return this.#features(this.#derive(data, false));
  }

  #features(all: ModelInputs): Matrix {
    return this.#matrix(this.transformers.map((s) => s.transform(all)));
  }

  #matrix(blocks: readonly FeatureBlock[]): Matrix {
    this.featureBlocks = blocks.map((b) => b.names);
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
    for (const d of this.derivations) tensors[d.output] = d.toOnnx(g, tensors);
    const blocks = this.transformers.map((s) => s.toOnnx(g, tensors));
    // The features are a graph output too, so that a server can explain what the trees saw.
    const features = g.op(blocks.length === 1 ? "Identity" : "Concat", blocks, {
      attributes: blocks.length === 1 ? {} : { axis: { int: 1 } },
      outputNames: [FEATURES_OUTPUT],
    });
    g.output(features, "float32", ["N", this.featureNames.length]);
    this.model.toOnnx(g, features);
    return g.encode({
      producerName: PRODUCER.name,
      producerVersion: PRODUCER.version,
      docString,
      properties: this.#explanationProperty(),
    });
  }

  /** Raw inputs of each feature, from the steps' inputs and outputs. */
  featureSources(): string[][] {
    return featureSources(this.derivations, this.transformers, this.featureBlocks);
  }

  /** Covers, output space and feature sources for TreeSHAP, when the model is a tree ensemble. */
  #explanationProperty(): Record<string, string> {
    const ensemble = this.model.shapEnsemble?.();
    return ensemble ? explanationProperty(ensemble, this.featureNames, this.featureSources()) : {};
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
