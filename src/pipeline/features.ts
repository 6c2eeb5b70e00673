/**
 * Named feature sets: the transformer steps in front of a classifier.
 * @module
 */

import { AgeByTitleImputer } from "./age_by_title.ts";
import { IntervalBinner } from "./bin.ts";
import { FamilyFeatures } from "./family.ts";
import { NumericImputer } from "./impute.ts";
import { OneHotEncoder } from "./onehot.ts";
import { TicketGroupFeatures } from "./ticket.ts";
import { DeckFromCabin, SurnameFromName, TitleFromName } from "./derive.ts";
import { GroupSurvival } from "./group.ts";
import type { Step } from "./pipeline.ts";

/** Age groups of the original notebook: right-closed (0,18], (18,35], (35,60], (60,100]. */
export const AGE_EDGES = [0, 18, 35, 60, 100];
export const AGE_LABELS = ["Child", "Young Adult", "Adult", "Senior"];

export const FEATURE_SETS: Readonly<
  Record<string, { description: string; steps: () => Step[] }>
> = {
  original: {
    description: "Pclass, Sex, Age, SibSp, Parch, Fare, Embarked; age groups; one-hot",
    steps: () => [
      new NumericImputer(["Age", "SibSp", "Parch", "Fare"], "median"),
      new OneHotEncoder("Sex"),
      new OneHotEncoder("Embarked", { imputeMostFrequent: true }),
      new OneHotEncoder("Pclass"),
      new IntervalBinner("Age", AGE_EDGES, AGE_LABELS, "AgeGroup"),
    ],
  },
  basic: {
    description: "Pclass, Age, Fare, Sex, title, family size and alone, deck, Embarked",
    steps: () => [
      new TitleFromName(),
      new DeckFromCabin(),
      new NumericImputer(["Pclass", "Age", "Fare"], "median"),
      new OneHotEncoder("Sex"),
      new OneHotEncoder("Title", { minFrequency: 10 }),
      new FamilyFeatures(),
      new OneHotEncoder("Deck", { minFrequency: 10 }),
      new OneHotEncoder("Embarked", { imputeMostFrequent: true }),
    ],
  },
  engineered: {
    description: "Pclass, Fare, age imputed by title, Sex, title, family size and alone, " +
      "ticket group size, fare per person",
    steps: () => [
      new TitleFromName(),
      new NumericImputer(["Pclass", "Fare"], "median"),
      new AgeByTitleImputer(),
      new OneHotEncoder("Sex"),
      new OneHotEncoder("Title", { minFrequency: 10 }),
      new FamilyFeatures(),
      new TicketGroupFeatures(),
    ],
  },
  group: {
    description: "Sex, title and the survival of the family's women and boys",
    steps: () => [
      new TitleFromName(),
      new SurnameFromName(),
      new OneHotEncoder("Sex"),
      new OneHotEncoder("Title", { minFrequency: 10 }),
      new GroupSurvival("family"),
    ],
  },
  groups: {
    description: "Sex, title, Pclass and the survival of the family's and the ticket's " +
      "women and boys",
    steps: () => [
      ...FEATURE_SETS.group.steps(),
      new GroupSurvival("ticket"),
      new NumericImputer(["Pclass"], "median"),
    ],
  },
  engineered_groups: {
    description: "engineered plus the survival of the family's and the ticket's women and boys",
    steps: () => [
      ...FEATURE_SETS.engineered.steps(),
      new SurnameFromName(),
      new GroupSurvival("family"),
      new GroupSurvival("ticket"),
    ],
  },
  full: {
    description: "engineered plus deck and port of embarkation",
    steps: () => [
      ...FEATURE_SETS.engineered.steps(),
      new DeckFromCabin(),
      new OneHotEncoder("Deck", { minFrequency: 10 }),
      new OneHotEncoder("Embarked", { imputeMostFrequent: true }),
    ],
  },
};
