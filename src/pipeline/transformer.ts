/**
 * What every pipeline step provides: fit on the model inputs, transform them to float32
 * feature columns, and emit the same computation as ONNX nodes.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import type { GraphBuilder } from "../onnx/builder.ts";

/** Float32 feature columns with their names. */
export interface FeatureBlock {
  readonly names: string[];
  readonly columns: Float32Array[];
}

/** A fitted-or-not feature transformer (scikit-learn's TransformerMixin, plus ONNX). */
export interface Transformer {
  /** The graph inputs (codec input names) the step reads. */
  readonly inputs: readonly string[];
  /** Learns the step's state; steps computed from outcomes (group survival) also get `y`. */
  fit(data: ModelInputs, y?: Uint8Array): this;
  transform(data: ModelInputs): FeatureBlock;
  /**
   * Fits, then the training rows' own features, where they differ from `transform`'s (as in
   * scikit-learn's TargetEncoder): a statistic of the labels is computed for each training
   * row without its own label, so the row looks as a new passenger would.
   */
  fitTransform?(data: ModelInputs, y: Uint8Array): FeatureBlock;
  /**
   * Adds the step's nodes; `tensors` maps input names to graph tensor names ([N,1]).
   * Returns the name of a float32 tensor [N, k] equal to {@link transform}'s columns.
   */
  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string;
  /** The categories the step learned for raw input `input`, if it encodes that input. */
  knownCategories?(input: string): (string | number)[] | undefined;
  /** Parameters and fitted state, for the model card. */
  describe(): Record<string, unknown>;
  /**
   * Which of `inputs` each output feature reads, when finer than "all of them" (e.g. an imputer
   * of several columns): for explanations per raw input.
   */
  featureInputs?(): readonly (readonly string[])[];
}

/** The float32 column of input `name`, or an error naming it. */
export function numericInput(data: ModelInputs, name: string): Float32Array {
  const column = data[name];
  if (!(column instanceof Float32Array)) throw new Error(`input "${name}" must be float32`);
  return column;
}

/** The string column of input `name`, or an error naming it. */
export function stringInput(data: ModelInputs, name: string): string[] {
  const column = data[name];
  if (!Array.isArray(column)) throw new Error(`input "${name}" must be strings`);
  return column;
}

/** Rows in a set of model inputs. */
export function rowCount(data: ModelInputs): number {
  const first = Object.values(data)[0];
  return first ? first.length : 0;
}

/** Throws when a step is used before fit. */
export function requireFitted<T>(value: T | undefined, step: string): T {
  if (value === undefined) throw new Error(`${step} is not fitted`);
  return value;
}
