/**
 * Which raw inputs each model feature comes from, derived from the steps themselves: a
 * transformer's outputs read its `inputs` (or, finer, what its optional `featureInputs` says
 * per output), and a derived column (the title) stands for the inputs it was derived from
 * (the name). New steps need nothing more than their `inputs` to be reported soundly.
 * @module
 */

import type { Derivation } from "./derive.ts";
import type { Transformer } from "./transformer.ts";

/**
 * Raw inputs of every feature, in feature order, sorted within a feature. `outputs[i]` are the
 * names of the features transformer `i` produces.
 */
export function featureSources(
  derivations: readonly Derivation[],
  transformers: readonly Transformer[],
  outputs: readonly (readonly string[])[],
): string[][] {
  const derivedFrom = new Map(derivations.map((d) => [d.output, d.inputs]));
  const raw = (name: string, seen: readonly string[] = []): string[] => {
    const from = derivedFrom.get(name);
    if (!from || seen.includes(name)) return [name];
    return from.flatMap((n) => raw(n, [...seen, name]));
  };
  return transformers.flatMap((step, i) => {
    const perFeature = step.featureInputs?.() ?? outputs[i].map(() => step.inputs);
    if (perFeature.length !== outputs[i].length) {
      throw new Error(
        `a step names the inputs of ${perFeature.length} features but makes ` +
          `${outputs[i].length}`,
      );
    }
    return perFeature.map((inputs) => [...new Set(inputs.flatMap((n) => raw(n)))].sort());
  });
}
