/**
 * Age with missing values filled by the median age of the passenger's title (a "Master" is a
 * boy, a "Miss" often young), falling back to the overall median for titles with fewer than
 * `minCount` known ages or unseen ones.
 * ONNX: ai.onnx.ml.LabelEncoder (title -> median) ; IsNaN(Age) ; Where.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import type { GraphBuilder } from "../onnx/builder.ts";
import { median } from "./impute.ts";
import { lookup, lookupOnnx, orFallback, type StringTable, stringTable } from "./lookup.ts";
import {
  type FeatureBlock,
  numericInput,
  requireFitted,
  stringInput,
  type Transformer,
} from "./transformer.ts";

interface Fitted {
  /** Median age per title with enough known ages; the overall median otherwise. */
  medians: StringTable;
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
    const kept = [...byTitle].filter(([, a]) => a.length >= this.minCount);
    this.#fitted = {
      medians: stringTable(
        kept.map(([t, a]) => [t, median(Float32Array.from(a))]),
        orFallback(median(ages)),
      ),
    };
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const f = requireFitted(this.#fitted, "AgeByTitleImputer");
    const fill = lookup(f.medians, stringInput(data, "Title"));
    const age = numericInput(data, "Age").map((a, r) => (Number.isNaN(a) ? fill[r] : a));
    return { names: ["Age"], columns: [age] };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "AgeByTitleImputer");
    const fill = lookupOnnx(g, tensors.Title, f.medians);
    return g.op("Where", [g.op("IsNaN", [tensors.Age]), fill, tensors.Age]);
  }

  describe(): Record<string, unknown> {
    const f = requireFitted(this.#fitted, "AgeByTitleImputer");
    return {
      step: "AgeByTitleImputer",
      inputs: this.inputs,
      minCount: this.minCount,
      medians: Object.fromEntries(f.medians.keys.map((t, i) => [t, f.medians.values[i]])),
      overall: f.medians.fallback,
    };
  }
}
