/**
 * Fills missing numbers (NaN) with a per-column statistic, like scikit-learn's SimpleImputer.
 * ONNX: Concat -> ai.onnx.ml.Imputer (replaced_value_float = NaN).
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";
import { type FeatureBlock, numericInput, requireFitted, type Transformer } from "./transformer.ts";

/** How the fill value is learned. */
export type ImputeStrategy = "median" | "mean" | "constant";

/** The median of the non-NaN values (mean of the middle two for an even count), or NaN. */
export function median(values: Float32Array): number {
  const present = values.filter((v) => !Number.isNaN(v)).sort();
  if (present.length === 0) return NaN;
  const mid = present.length >> 1;
  return present.length % 2 ? present[mid] : (present[mid - 1] + present[mid]) / 2;
}

/** Imputes numeric inputs and passes them through as features. */
export class NumericImputer implements Transformer {
  fillValues?: number[];

  constructor(
    readonly inputs: readonly string[],
    readonly strategy: ImputeStrategy = "median",
    readonly fillValue = 0,
  ) {}

  fit(data: ModelInputs): this {
    this.fillValues = this.inputs.map((name) => {
      const column = numericInput(data, name);
      let value = this.fillValue;
      if (this.strategy === "median") value = median(column);
      if (this.strategy === "mean") {
        const present = column.filter((v) => !Number.isNaN(v));
        value = present.reduce((a, b) => a + b, 0) / present.length;
      }
      // A column with no values at all falls back to the constant, never to NaN.
      return Math.fround(Number.isNaN(value) ? this.fillValue : value);
    });
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const fills = requireFitted(this.fillValues, "NumericImputer");
    return {
      names: [...this.inputs],
      columns: this.inputs.map((name, j) =>
        numericInput(data, name).map((v) => (Number.isNaN(v) ? fills[j] : v))
      ),
    };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const fills = requireFitted(this.fillValues, "NumericImputer");
    const columns = this.inputs.map((name) => tensors[name]);
    const joined = columns.length === 1
      ? columns[0]
      : g.op("Concat", columns, { attributes: { axis: { int: 1 } } });
    return g.op("Imputer", [joined], {
      domain: ML_DOMAIN,
      attributes: {
        imputed_value_floats: { floats: fills },
        replaced_value_float: { float: NaN },
      },
    });
  }

  /** Each column is imputed from itself only. */
  featureInputs(): string[][] {
    return this.inputs.map((name) => [name]);
  }

  describe(): Record<string, unknown> {
    return {
      step: "NumericImputer",
      inputs: this.inputs,
      strategy: this.strategy,
      fillValues: this.fillValues,
    };
  }
}
