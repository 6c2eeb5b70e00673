/**
 * Model selection: candidate pipelines (a feature set and a learner with its parameters) are
 * scored by repeated stratified k-fold CV on the rows they are given, and the choice is the
 * cheapest to run among those within one standard error of the best (the "one-standard-error
 * rule": differences smaller than the noise of the folds do not pay for a bigger model; the
 * standard error is corrected for the overlap of CV training sets, see {@link standardError}).
 * The cost counts the trees a fitted model keeps (early stopping) times their depth.
 *
 * Selection scores are optimistic for the winner; {@link nestedCrossValidate} in nested.ts
 * runs this whole selection inside each outer training fold for an estimate that holds.
 * @module
 */

import type { RawColumns } from "../codec/columns.ts";
import { type BoostingParams, XGBoostStyleClassifier } from "../learners/boosting.ts";
import type { Classifier } from "../learners/classifier.ts";
import { type ForestParams, RandomForestClassifier } from "../learners/forest.ts";
import { FEATURE_SETS } from "../pipeline/features.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { crossValidate, type CvReport } from "./cv.ts";

/** Learner parameters a candidate sets (the seed comes from the caller). */
export type CandidateParams =
  | { readonly learner: "forest"; readonly params: Partial<Omit<ForestParams, "randomState">> }
  | {
    readonly learner: "boosting";
    readonly params: Partial<Omit<BoostingParams, "randomState">>;
  };

/** One point of a selection space. */
export type Candidate = CandidateParams & {
  /** Unique, e.g. "group / forest 100 x depth 4". */
  readonly name: string;
  readonly features: string;
  build(seed: number): Pipeline;
};

/** A readable name of a learner setting. */
function describeLearner(c: CandidateParams): string {
  if (c.learner === "forest") {
    const p = c.params;
    const depth = p.maxDepth == null ? "unlimited depth" : `depth ${p.maxDepth}`;
    const features = p.maxFeatures === undefined
      ? ""
      : p.maxFeatures === null
      ? ", all features"
      : `, ${p.maxFeatures} features`;
    const leaf = (p.minSamplesLeaf ?? 1) > 1 ? `, leaves >= ${p.minSamplesLeaf}` : "";
    return `forest ${p.nEstimators ?? 100} x ${depth}${features}${leaf}`;
  }
  const p = c.params;
  return `boosting depth ${p.maxDepth ?? 3}, rate ${p.learningRate ?? 0.1}` +
    ((p.earlyStoppingRounds ?? 0) > 0 ? ", early stopping" : `, ${p.nEstimators ?? 200} trees`);
}

/** A candidate from a feature set and learner parameters. */
export function candidate(features: string, learner: CandidateParams): Candidate {
  if (!FEATURE_SETS[features]) throw new Error(`unknown feature set "${features}"`);
  const make = (seed: number): Classifier =>
    learner.learner === "forest"
      ? new RandomForestClassifier({ ...learner.params, randomState: seed })
      : new XGBoostStyleClassifier({ ...learner.params, randomState: seed });
  return {
    ...learner,
    name: `${features} / ${describeLearner(learner)}`,
    features,
    build: (seed) => new Pipeline(FEATURE_SETS[features].steps(), make(seed)),
  } as Candidate;
}

function grid<T extends object>(axes: { [K in keyof T]: T[K][] }): T[] {
  return Object.entries(axes).reduce<Record<string, unknown>[]>(
    (acc, [key, values]) =>
      acc.flatMap((p) => (values as unknown[]).map((v) => ({ ...p, [key]: v }))),
    [{}],
  ) as T[];
}

/** The boosting setting every feature set is tried with. */
export const BOOSTING: CandidateParams = {
  learner: "boosting",
  params: {
    nEstimators: 500,
    learningRate: 0.03,
    maxDepth: 3,
    subsample: 0.8,
    colsampleByTree: 0.8,
    earlyStoppingRounds: 20,
  },
};

/**
 * What the default model is selected from: the seed pipeline, and every feature set that
 * uses the data (engineered, group-aware) with forests of three depths and one boosting
 * setting. The group-aware sets are small and their signal is an interaction (a boy whose
 * family's women and boys died), so their forests are also tried with every feature at each
 * split (scikit-learn's max_features=None) besides the square root.
 */
export function selectionSpace(): Candidate[] {
  const seed = candidate("original", { learner: "forest", params: { nEstimators: 100 } });
  const forests = (features: string, maxFeatures: readonly ("sqrt" | null)[]) =>
    maxFeatures.flatMap((m) =>
      [4, 6, 8].map((maxDepth) =>
        candidate(features, {
          learner: "forest",
          params: { nEstimators: 100, maxDepth, maxFeatures: m },
        })
      )
    );
  return [
    seed,
    ...forests("engineered", ["sqrt"]),
    candidate("engineered", BOOSTING),
    ...["group", "groups", "engineered_groups"].flatMap((features) => [
      ...forests(features, ["sqrt", null]),
      candidate(features, BOOSTING),
    ]),
  ];
}

/** A wider grid on one feature set, for exploring (`deno task search`). */
export function searchSpace(features = "engineered"): Candidate[] {
  const forests = grid<Partial<ForestParams>>({
    nEstimators: [100, 200],
    maxDepth: [4, 6, 8, null],
    minSamplesLeaf: [1, 3],
    maxFeatures: ["sqrt", 0.5],
  }).map((params) => candidate(features, { learner: "forest", params }));
  const boosted = grid<Partial<BoostingParams>>({
    nEstimators: [500],
    learningRate: [0.03, 0.1],
    maxDepth: [3, 4],
    minChildWeight: [1, 3],
    subsample: [0.8],
    colsampleByTree: [0.8],
    earlyStoppingRounds: [20],
  }).map((params) => candidate(features, { learner: "boosting", params }));
  return [...forests, ...boosted];
}

/** A scored candidate. */
export interface SearchResult {
  candidate: Candidate;
  report: CvReport;
  /** Mean over the CV fits of trees kept x depth (unlimited depth counts as 16). */
  cost: number;
  seconds: number;
}

export interface SearchOptions {
  folds?: number;
  repeats?: number;
  seed?: number;
  onResult?: (r: SearchResult) => void;
}

/** The depth a candidate's trees may reach, for the cost. */
function depthOf(c: Candidate): number {
  const depth = c.params.maxDepth;
  return depth == null ? (c.learner === "forest" ? 16 : 3) : depth;
}

/** Scores every candidate by CV; best first (accuracy, then lower log loss). */
export function runSearch(
  candidates: readonly Candidate[],
  columns: RawColumns,
  y: Uint8Array,
  options: SearchOptions = {},
): SearchResult[] {
  const { folds = 5, repeats = 5, seed = 42 } = options;
  const results = candidates.map((c) => {
    const t0 = performance.now();
    let trees = 0, fits = 0;
    const report = crossValidate(() => c.build(seed), columns, y, {
      folds,
      repeats,
      seed,
      onFitted: (pipeline) => {
        trees += pipeline.model.trees.length;
        fits++;
      },
    });
    const result: SearchResult = {
      candidate: c,
      report,
      cost: (trees / fits) * depthOf(c),
      seconds: (performance.now() - t0) / 1000,
    };
    options.onResult?.(result);
    return result;
  });
  return results.sort((a, b) =>
    b.report.accuracy.mean - a.report.accuracy.mean ||
    a.report.logLoss.mean - b.report.logLoss.mean
  );
}

/** The rule {@link choose} applies, in words (for reports and the model card). */
export const SELECTION_RULE = "the cheapest (trees kept x depth) within one corrected " +
  "standard error of the best CV accuracy";

/**
 * Standard error of a result's mean accuracy over repeated k-fold CV, with Nadeau and
 * Bengio's correction (2003, "Inference for the generalization error"): the folds share
 * training rows, so their scores are not independent and s / sqrt(J) would be too small;
 * the corrected variance is (1/J + n_test/n_train) s^2 for J fold scores, and
 * n_test/n_train = 1/(k-1) for k folds.
 */
export function standardError(r: SearchResult): number {
  const scores = r.report.perFold.length;
  const variance = r.report.accuracy.std ** 2 * scores / Math.max(1, scores - 1);
  return Math.sqrt((1 / scores + 1 / (r.report.folds - 1)) * variance);
}

/**
 * The one-standard-error choice: among the results whose accuracy is within one standard
 * error of the best one's, the cheapest; ties go to the more accurate, then the first listed.
 */
export function choose(results: readonly SearchResult[]): SearchResult {
  if (results.length === 0) throw new Error("nothing to choose from");
  const best = results.reduce((a, b) => (b.report.accuracy.mean > a.report.accuracy.mean ? b : a));
  const floor = best.report.accuracy.mean - standardError(best);
  const close = results.filter((r) => r.report.accuracy.mean >= floor);
  return close.reduce((a, b) =>
    b.cost < a.cost || (b.cost === a.cost && b.report.accuracy.mean > a.report.accuracy.mean)
      ? b
      : a
  );
}
