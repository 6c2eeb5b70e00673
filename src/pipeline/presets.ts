/**
 * Named pipelines. `seed` reproduces the original Python model. `forest` and `boosting` are
 * the best of each learner in `deno task search` (5 x 5 stratified CV on the training rows
 * only); `default` is whichever of them won.
 * @module
 */

import { GradientBoostingClassifier } from "../learners/boosting.ts";
import { RandomForestClassifier } from "../learners/forest.ts";
import { FEATURE_SETS } from "./features.ts";
import { Pipeline } from "./pipeline.ts";

export { AGE_EDGES, AGE_LABELS } from "./features.ts";

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly build: (seed: number) => Pipeline;
}

const seed: Preset = {
  name: "seed",
  description: "the original Python pipeline: 7 raw features, age groups, one-hot, " +
    "random forest of 100 trees",
  build: (s) =>
    new Pipeline(
      FEATURE_SETS.original.steps(),
      new RandomForestClassifier({ nEstimators: 100, randomState: s }),
    ),
};

const forest: Preset = {
  name: "forest",
  description: "engineered features (title, family, ticket group, fare per person, age by " +
    "title); random forest, 200 trees of depth <= 8, sqrt features per split",
  build: (s) =>
    new Pipeline(
      FEATURE_SETS.engineered.steps(),
      new RandomForestClassifier({
        nEstimators: 100,
        maxDepth: 8,
        minSamplesLeaf: 1,
        maxFeatures: "sqrt",
        randomState: s,
      }),
    ),
};

const boosting: Preset = {
  name: "boosting",
  description: "engineered features; gradient-boosted trees of depth 4, early stopping",
  build: (s) =>
    new Pipeline(
      FEATURE_SETS.engineered.steps(),
      new GradientBoostingClassifier({
        nEstimators: 500,
        learningRate: 0.03,
        maxDepth: 4,
        minChildWeight: 1,
        subsample: 0.8,
        colsampleByTree: 0.8,
        earlyStoppingRounds: 20,
        randomState: s,
      }),
    ),
};

export const PRESETS: Readonly<Record<string, Preset>> = {
  seed,
  forest,
  boosting,
  default: { ...forest, name: "default", description: `= forest: ${forest.description}` },
};

export const DEFAULT_SEED = 42;

/** The preset called `name`, or an error listing the known ones. */
export function preset(name: string): Preset {
  const found = PRESETS[name];
  if (!found) {
    throw new Error(`unknown preset "${name}"; known: ${Object.keys(PRESETS).join(", ")}`);
  }
  return found;
}
