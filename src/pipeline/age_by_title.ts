/**
 * Age with missing values filled by the median age of the passenger's title (a "Master" is a
 * boy, a "Miss" often young), falling back to the overall median for titles with fewer than
 * `minCount` known ages or unseen ones.
 * ONNX: ai.onnx.ml.LabelEncoder (title -> median) ; IsNaN(Age) ; Where.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";
import { median } from "./impute.ts";
import {
  type FeatureBlock,
  numericInput,
  requireFitted,
  stringInput,
  type Transformer,
} from "./transformer.ts";

interface Fitted {
  titles: string[];
  medians: number[];
  overall: number;
}

/** One feature, "Age", imputed by title. */
export class AgeByTitleImputer implements Transformer {
  readonly inputs: readonly string[] = ["Age", "Title"];
  #fitted?: Fitted;

  constructor(readonly minCount = 5) {}

  fit(data: ModelInputs): this {
    const ages = numericInput(data, "Age");
    const titles = stringInput(data, "Title");
    const byTitle = new Map<string, number[]>();
    titles.forEach((t, r) => {
      if (Number.isNaN(ages[r])) return;
      if (!byTitle.has(t)) byTitle.set(t, []);
      byTitle.get(t)!.push(ages[r]);
    });
    const overall = median(ages);
    const kept = [...byTitle].filter(([, a]) => a.length >= this.minCount)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    this.#fitted = {
      titles: kept.map(([t]) => t),
      medians: kept.map(([, a]) => Math.fround(median(Float32Array.from(a)))),
      overall: Math.fround(Number.isNaN(overall) ? 0 : overall),
    };
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const f = requireFitted(this.#fitted, "AgeByTitleImputer");
    const lookup = new Map(f.titles.map((t, i) => [t, f.medians[i]]));
    const titles = stringInput(data, "Title");
    const age = numericInput(data, "Age").map((a, r) =>
      Number.isNaN(a) ? lookup.get(titles[r]) ?? f.overall : a
    );
    return { names: ["Age"], columns: [age] };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "AgeByTitleImputer");
    const fill = g.op("LabelEncoder", [tensors.Title], {
      domain: ML_DOMAIN,
      attributes: {
        keys_strings: { strings: f.titles.length ? f.titles : ["\u0000"] },
        values_floats: { floats: f.titles.length ? f.medians : [f.overall] },
        default_float: { float: f.overall },
      },
    });
    return g.op("Where", [g.op("IsNaN", [tensors.Age]), fill, tensors.Age]);
  }

  describe(): Record<string, unknown> {
    const f = requireFitted(this.#fitted, "AgeByTitleImputer");
    return {
      step: "AgeByTitleImputer",
      inputs: this.inputs,
      minCount: this.minCount,
      medians: Object.fromEntries(f.titles.map((t, i) => [t, f.medians[i]])),
      overall: f.overall,
    };
  }
}
