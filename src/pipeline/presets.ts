/**
 * Named pipelines. `seed` reproduces the original Python model; `default` is ours, chosen by
 * cross-validation on the training rows only.
 * @module
 */

import { RandomForestClassifier } from "../learners/forest.ts";
import { IntervalBinner } from "./bin.ts";
import { FamilyFeatures } from "./family.ts";
import { NumericImputer } from "./impute.ts";
import { OneHotEncoder } from "./onehot.ts";
import { Pipeline } from "./pipeline.ts";

/** Age groups of the original notebook: right-closed (0,18], (18,35], (35,60], (60,100]. */
export const AGE_EDGES = [0, 18, 35, 60, 100];
export const AGE_LABELS = ["Child", "Young Adult", "Adult", "Senior"];

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly build: (seed: number) => Pipeline;
}

export const PRESETS: Readonly<Record<string, Preset>> = {
  seed: {
    name: "seed",
    description: "the original Python pipeline: 7 raw features, age groups, one-hot, " +
      "random forest of 100 trees",
    build: (seed) =>
      new Pipeline(
        [
          new NumericImputer(["Age", "SibSp", "Parch", "Fare"], "median"),
          new OneHotEncoder("Sex"),
          new OneHotEncoder("Embarked", { imputeMostFrequent: true }),
          new OneHotEncoder("Pclass"),
          new IntervalBinner("Age", AGE_EDGES, AGE_LABELS, "AgeGroup"),
        ],
        new RandomForestClassifier({ nEstimators: 100, randomState: seed }),
      ),
  },
  default: {
    name: "default",
    description: "title, family size, deck and the raw features; 300 trees of depth <= 7 " +
      "(chosen by 5 x 5 stratified CV on train.csv)",
    build: (seed) =>
      new Pipeline(
        [
          new NumericImputer(["Pclass", "Age", "Fare"], "median"),
          new OneHotEncoder("Sex"),
          new OneHotEncoder("Title", { minFrequency: 10 }),
          new FamilyFeatures(),
          new OneHotEncoder("Deck", { minFrequency: 10 }),
          new OneHotEncoder("Embarked", { imputeMostFrequent: true }),
        ],
        new RandomForestClassifier({
          nEstimators: 300,
          maxDepth: 7,
          minSamplesLeaf: 2,
          maxFeatures: 0.5,
          randomState: seed,
        }),
      ),
  },
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
