/**
 * Bins a number into right-closed intervals (edge_i, edge_i+1], one-hot encoded, plus a
 * column for "missing" (NaN or outside every interval), as pandas `cut` leaves such values
 * NaN and one-hot encoding keeps them as their own category.
 * ONNX: Greater / LessOrEqual against the edges, And, Cast, and 1 - ReduceSum for missing.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { castTo, type GraphBuilder } from "../onnx/builder.ts";
import { type FeatureBlock, numericInput, type Transformer } from "./transformer.ts";

/** Fixed bins: nothing is learned in fit. */
export class IntervalBinner implements Transformer {
  readonly inputs: readonly string[];
  readonly #lower: Float32Array;
  readonly #upper: Float32Array;

  constructor(
    readonly input: string,
    readonly edges: readonly number[],
    readonly labels: readonly string[],
    readonly prefix = input,
  ) {
    if (labels.length !== edges.length - 1) throw new Error("one label per interval is needed");
    this.inputs = [input];
    this.#lower = Float32Array.from(edges.slice(0, -1));
    this.#upper = Float32Array.from(edges.slice(1));
  }

  fit(_data: ModelInputs): this {
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const x = numericInput(data, this.input);
    const k = this.labels.length;
    const columns = Array.from({ length: k + 1 }, () => new Float32Array(x.length));
    for (let r = 0; r < x.length; r++) {
      let binned = 0;
      for (let b = 0; b < k; b++) {
        if (x[r] > this.#lower[b] && x[r] <= this.#upper[b]) {
          columns[b][r] = 1;
          binned++;
        }
      }
      columns[k][r] = 1 - binned;
    }
    return {
      names: [...this.labels.map((l) => `${this.prefix}=${l}`), `${this.prefix}=missing`],
      columns,
    };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const x = tensors[this.input];
    const k = this.labels.length;
    const above = g.op("Greater", [x, g.floats(`${this.prefix}_lower`, this.#lower, [1, k])]);
    const within = g.op("LessOrEqual", [x, g.floats(`${this.prefix}_upper`, this.#upper, [1, k])]);
    const bins = g.op("Cast", [g.op("And", [above, within])], {
      attributes: castTo("float32"),
    });
    const binned = g.op("ReduceSum", [bins, g.int64s("axis1", [1])], {
      attributes: { keepdims: { int: 1 } },
    });
    const missing = g.op("Sub", [g.floats("one", [1], [1, 1]), binned]);
    return g.op("Concat", [bins, missing], { attributes: { axis: { int: 1 } } });
  }

  describe(): Record<string, unknown> {
    return {
      step: "IntervalBinner",
      input: this.input,
      edges: this.edges,
      labels: this.labels,
      closed: "right",
    };
  }
}
