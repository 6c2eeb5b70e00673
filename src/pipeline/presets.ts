/**
 * Named pipelines. `seed` reproduces the original Python model; `forest` and `boosting` are
 * the engineered-feature models of the first round; `group` adds what travelling companions'
 * fates say (src/pipeline/group.ts). `default` is not fixed: it is whichever candidate of the
 * selection space (src/eval/search.ts) the selection picks on the training rows, and nested
 * cross-validation (src/eval/nested.ts) estimates that whole procedure.
 * @module
 */

import { BOOSTING, type Candidate, candidate } from "../eval/search.ts";
import type { Pipeline } from "./pipeline.ts";

export { AGE_EDGES, AGE_LABELS } from "./features.ts";

/** A fixed pipeline. */
export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly candidate: Candidate;
  readonly build: (seed: number) => Pipeline;
}

function preset(name: string, what: string, c: Candidate): Preset {
  return { name, description: `${what}: ${c.name}`, candidate: c, build: c.build };
}

/** The fixed presets (each is also a candidate of the selection space). */
export const PRESETS: Readonly<Record<string, Preset>> = {
  seed: preset(
    "seed",
    "the original Python pipeline (7 raw features, age groups, one-hot)",
    candidate("original", { learner: "forest", params: { nEstimators: 100 } }),
  ),
  forest: preset(
    "forest",
    "engineered features (title, family, ticket group, fare per person, age by title)",
    candidate("engineered", {
      learner: "forest",
      params: { nEstimators: 100, maxDepth: 8, maxFeatures: "sqrt" },
    }),
  ),
  boosting: preset("boosting", "engineered features", candidate("engineered", BOOSTING)),
  group: preset(
    "group",
    "sex, title and the survival of the family's women and boys",
    candidate("group", {
      learner: "forest",
      params: { nEstimators: 100, maxDepth: 4, maxFeatures: "sqrt" },
    }),
  ),
};

/** The preset the selection picks (see the module documentation). */
export const DEFAULT_PRESET = "default";

/** Every name `--preset` takes. */
export const PRESET_NAMES: readonly string[] = [...Object.keys(PRESETS), DEFAULT_PRESET];

export const DEFAULT_SEED = 42;

/** Throws unless `name` is a known preset (fixed or default), listing the known ones. */
export function checkPresetName(name: string): string {
  if (!PRESET_NAMES.includes(name)) {
    throw new Error(`unknown preset "${name}"; known: ${PRESET_NAMES.join(", ")}`);
  }
  return name;
}
