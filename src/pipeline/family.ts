/**
 * Family features from SibSp and Parch: FamilySize = SibSp + Parch + 1 (a missing count
 * counts as 0) and IsAlone = FamilySize == 1.
 * ONNX: Concat -> Imputer(0) -> ReduceSum -> Add(1); Equal(1) -> Cast.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { castTo, type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";
import { type FeatureBlock, numericInput, type Transformer } from "./transformer.ts";

/** Stateless: nothing is learned in fit. */
export class FamilyFeatures implements Transformer {
  readonly inputs: readonly string[] = ["SibSp", "Parch"];

  fit(_data: ModelInputs): this {
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const sibsp = numericInput(data, "SibSp");
    const parch = numericInput(data, "Parch");
    const zero = (v: number) => (Number.isNaN(v) ? 0 : v);
    const size = sibsp.map((s, r) => Math.fround(Math.fround(zero(s) + zero(parch[r])) + 1));
    const alone = size.map((s) => (s === 1 ? 1 : 0));
    return { names: ["FamilySize", "IsAlone"], columns: [size, alone] };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const both = g.op("Concat", [tensors.SibSp, tensors.Parch], {
      attributes: { axis: { int: 1 } },
    });
    const filled = g.op("Imputer", [both], {
      domain: ML_DOMAIN,
      attributes: {
        imputed_value_floats: { floats: [0, 0] },
        replaced_value_float: { float: NaN },
      },
    });
    const sum = g.op("ReduceSum", [filled, g.int64s("axis1", [1])], {
      attributes: { keepdims: { int: 1 } },
    });
    const one = g.floats("one", [1], [1, 1]);
    const size = g.op("Add", [sum, one]);
    const alone = g.op("Cast", [g.op("Equal", [size, one])], { attributes: castTo("float32") });
    return g.op("Concat", [size, alone], { attributes: { axis: { int: 1 } } });
  }

  describe(): Record<string, unknown> {
    return { step: "FamilyFeatures", inputs: this.inputs, outputs: ["FamilySize", "IsAlone"] };
  }
}
