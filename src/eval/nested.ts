/**
 * Nested cross-validation of the whole model selection: in each outer training fold the
 * selection ({@link runSearch} over a selection space, then {@link choose}) runs on that fold
 * alone, the chosen candidate is fitted there and scored on the outer test fold. The outer
 * scores estimate what the procedure that picks the default model achieves on passengers it
 * has never seen; the inner winner's own CV score is only a selection score.
 *
 * Baselines and fixed models are scored on the same outer folds and compared with the
 * procedure by their paired per-fold differences.
 * @module
 */

import { type RawColumns, takeRows } from "../codec/columns.ts";
import { encodeInputs } from "../codec/inputs.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { PRESETS } from "../pipeline/presets.ts";
import { stratifiedFolds, trainingRows } from "./cv.ts";
import { accuracy, logLoss, meanStd, rocAuc } from "./metrics.ts";
import { type Candidate, choose, runSearch, type SearchResult } from "./search.ts";

/** Labels and P(survived) for a test fold. */
export interface FoldPrediction {
  labels: Uint8Array;
  proba: Float32Array;
}

/** Something scored on the same outer folds as the procedure. */
export interface Comparator {
  readonly name: string;
  fitPredict(train: RawColumns, y: Uint8Array, test: RawColumns): FoldPrediction;
}

/** The majority class of the training fold for everyone (61.6 % of train.csv died). */
export const MAJORITY: Comparator = {
  name: "majority class",
  fitPredict(_train, y, test) {
    const rate = y.reduce((a, b) => a + b, 0) / y.length;
    const n = test.numbers.Pclass.length;
    return {
      labels: new Uint8Array(n).fill(rate > 0.5 ? 1 : 0),
      proba: new Float32Array(n).fill(rate),
    };
  },
};

/** Women survive, men die; P(survived) = the training fold's rate for the sex. */
export const WOMEN_SURVIVE: Comparator = {
  name: "women survive",
  fitPredict(train, y, test) {
    const rate = (sex: string) => {
      let n = 0, s = 0;
      train.strings.Sex.forEach((v, i) => {
        if (v === sex) [n, s] = [n + 1, s + y[i]];
      });
      return n ? s / n : 0.5;
    };
    const female = rate("female"), male = rate("male");
    const sex = test.strings.Sex;
    return {
      labels: Uint8Array.from(sex, (v) => (v === "female" ? 1 : 0)),
      proba: Float32Array.from(sex, (v) => (v === "female" ? female : male)),
    };
  },
};

/** A fixed pipeline, fitted on each outer training fold. */
export function pipelineComparator(name: string, make: () => Pipeline): Comparator {
  return {
    name,
    fitPredict(train, y, test) {
      const pipeline = make();
      const names = pipeline.inputs();
      pipeline.fit(encodeInputs(train, names), y);
      return pipeline.predictBoth(encodeInputs(test, names));
    },
  };
}

/** The selection's own CV, inside each outer training fold and on all rows. */
export const INNER_CV = { innerFolds: 5, innerRepeats: 2 } as const;

/** What every report compares with: the two baselines and each fixed preset. */
export function comparatorsFor(seed: number): Comparator[] {
  return [
    MAJORITY,
    WOMEN_SURVIVE,
    ...Object.values(PRESETS).map((p) =>
      pipelineComparator(`preset ${p.name}`, () => p.build(seed))
    ),
  ];
}

export interface NestedOptions {
  /** Outer folds and repeats (default 5 x 3). */
  folds?: number;
  repeats?: number;
  /** The selection's own CV inside each outer training fold (default 5 x 2). */
  innerFolds?: number;
  innerRepeats?: number;
  seed?: number;
  comparators?: readonly Comparator[];
  onFold?: (fold: NestedFold) => void;
}

/** One outer fold. */
export interface NestedFold {
  repeat: number;
  fold: number;
  /** The candidate the selection chose on the outer training fold (the only one, if one). */
  chosen: string;
  /** The chosen candidate's inner CV accuracy (a selection score, optimistic); NaN if one. */
  selectionScore: number;
  accuracy: number;
  rocAuc: number;
  logLoss: number;
  /** Accuracy of each comparator on the same test fold. */
  comparators: Record<string, number>;
}

/** A comparator against the procedure on the same folds. */
export interface Comparison {
  name: string;
  accuracy: { mean: number; std: number };
  /** Procedure minus comparator, per outer fold. */
  difference: { mean: number; std: number };
  /** Outer folds where the procedure was better, equal, worse. */
  wins: number;
  ties: number;
  losses: number;
}

export interface NestedReport {
  folds: number;
  repeats: number;
  innerFolds: number;
  innerRepeats: number;
  seed: number;
  /** The estimate: outer-fold scores of the selected models. */
  accuracy: { mean: number; std: number };
  rocAuc: { mean: number; std: number };
  logLoss: { mean: number; std: number };
  /** Mean inner CV accuracy of the chosen candidates: optimistic, for contrast. */
  selectionScore: { mean: number; std: number };
  /** How often each candidate was chosen. */
  choices: Record<string, number>;
  perFold: NestedFold[];
  comparisons: Comparison[];
  /** Out-of-fold P(survived) and labels of the first repeat, and who made them. */
  outOfFold: { proba: Float32Array; labels: Uint8Array; chosen: string[] };
}

/** The selection on given rows: every candidate scored, and the choice. */
export function select(
  space: readonly Candidate[],
  columns: RawColumns,
  y: Uint8Array,
  options: { innerFolds: number; innerRepeats: number; seed: number },
): { results: SearchResult[]; chosen: SearchResult } {
  const results = runSearch(space, columns, y, {
    folds: options.innerFolds,
    repeats: options.innerRepeats,
    seed: options.seed,
  });
  return { results, chosen: choose(results) };
}

/** Nested cross-validation of selecting from `space`; see the module documentation. */
export function nestedCrossValidate(
  space: readonly Candidate[],
  columns: RawColumns,
  y: Uint8Array,
  options: NestedOptions = {},
): NestedReport {
  const {
    folds: k = 5,
    repeats = 3,
    innerFolds = 5,
    innerRepeats = 2,
    seed = 42,
    comparators = [],
  } = options;
  const perFold: NestedFold[] = [];
  const outOfFold = {
    proba: new Float32Array(y.length),
    labels: new Uint8Array(y.length),
    chosen: new Array<string>(y.length).fill(""),
  };
  for (let repeat = 0; repeat < repeats; repeat++) {
    stratifiedFolds(y, k, seed, repeat).forEach((testIdx, fold) => {
      const trainIdx = trainingRows(y.length, testIdx);
      const train = takeRows(columns, trainIdx);
      const test = takeRows(columns, testIdx);
      const yTrain = Uint8Array.from(trainIdx, (i) => y[i]);
      const yTest = Uint8Array.from(testIdx, (i) => y[i]);
      // The inner folds differ from the outer ones: a seed of their own per outer fold.
      const innerSeed = seed + 1000 * (repeat + 1) + fold;
      // One candidate: nothing to select, and this is plain cross-validation.
      const chosen = space.length === 1
        ? undefined
        : select(space, train, yTrain, { innerFolds, innerRepeats, seed: innerSeed }).chosen;
      const candidate = chosen?.candidate ?? space[0];
      const prediction = pipelineComparator(candidate.name, () => candidate.build(seed))
        .fitPredict(train, yTrain, test);
      const scores: Record<string, number> = {};
      for (const c of comparators) {
        scores[c.name] = accuracy(yTest, c.fitPredict(train, yTrain, test).labels);
      }
      const result: NestedFold = {
        repeat,
        fold,
        chosen: candidate.name,
        selectionScore: chosen?.report.accuracy.mean ?? NaN,
        accuracy: accuracy(yTest, prediction.labels),
        rocAuc: rocAuc(yTest, prediction.proba),
        logLoss: logLoss(yTest, prediction.proba),
        comparators: scores,
      };
      perFold.push(result);
      if (repeat === 0) {
        testIdx.forEach((i, j) => {
          outOfFold.proba[i] = prediction.proba[j];
          outOfFold.labels[i] = prediction.labels[j];
          outOfFold.chosen[i] = candidate.name;
        });
      }
      options.onFold?.(result);
    });
  }
  const choices: Record<string, number> = {};
  for (const f of perFold) choices[f.chosen] = (choices[f.chosen] ?? 0) + 1;
  return {
    folds: k,
    repeats,
    innerFolds,
    innerRepeats,
    seed,
    accuracy: meanStd(perFold.map((f) => f.accuracy)),
    rocAuc: meanStd(perFold.map((f) => f.rocAuc)),
    logLoss: meanStd(perFold.map((f) => f.logLoss)),
    selectionScore: meanStd(perFold.map((f) => f.selectionScore)),
    choices,
    perFold,
    comparisons: comparators.map((c) => compare(c.name, perFold)),
    outOfFold,
  };
}

/** Paired comparison of the procedure with one comparator over the outer folds. */
function compare(name: string, perFold: readonly NestedFold[]): Comparison {
  const theirs = perFold.map((f) => f.comparators[name]);
  const differences = perFold.map((f, i) => f.accuracy - theirs[i]);
  // Equal accuracy on a fold means the same number of passengers right.
  const eps = 1e-12;
  return {
    name,
    accuracy: meanStd(theirs),
    difference: meanStd(differences),
    wins: differences.filter((d) => d > eps).length,
    ties: differences.filter((d) => Math.abs(d) <= eps).length,
    losses: differences.filter((d) => d < -eps).length,
  };
}
