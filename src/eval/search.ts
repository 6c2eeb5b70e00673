/**
 * A small grid search: every candidate pipeline is scored by repeated stratified k-fold CV on
 * the training rows, and the table is ranked by accuracy, then log loss.
 * @module
 */

import type { RawColumns } from "../codec/columns.ts";
import { GradientBoostingClassifier } from "../learners/boosting.ts";
import type { Classifier } from "../learners/classifier.ts";
import { RandomForestClassifier } from "../learners/forest.ts";
import { FEATURE_SETS } from "../pipeline/features.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { crossValidate, type CvReport } from "./cv.ts";

/** One point of the grid. */
export interface Candidate {
  readonly learner: "forest" | "boosting";
  readonly features: string;
  readonly params: Record<string, unknown>;
  build(seed: number): Pipeline;
}

function grid(axes: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(axes).reduce<Record<string, unknown>[]>(
    (acc, [key, values]) => acc.flatMap((p) => values.map((v) => ({ ...p, [key]: v }))),
    [{}],
  );
}

function candidate(
  learner: "forest" | "boosting",
  features: string,
  params: Record<string, unknown>,
): Candidate {
  const make = (seed: number): Classifier =>
    learner === "forest"
      ? new RandomForestClassifier({ ...params, randomState: seed })
      : new GradientBoostingClassifier({ ...params, randomState: seed });
  return {
    learner,
    features,
    params,
    build: (seed) => new Pipeline(FEATURE_SETS[features].steps(), make(seed)),
  };
}

/** The default search space: a forest grid and a boosting grid on one feature set. */
export function searchSpace(features = "engineered"): Candidate[] {
  const forests = grid({
    nEstimators: [100, 200],
    maxDepth: [6, 8, null],
    minSamplesLeaf: [1, 3],
    maxFeatures: ["sqrt", 0.5],
  }).map((p) => candidate("forest", features, p));
  const boosted = grid({
    nEstimators: [500],
    learningRate: [0.03, 0.1],
    maxDepth: [3, 4],
    minChildWeight: [1, 3],
    subsample: [0.8],
    colsampleByTree: [0.8],
    earlyStoppingRounds: [20],
  }).map((p) => candidate("boosting", features, p));
  return [...forests, ...boosted];
}

/** A scored candidate. */
export interface SearchResult {
  candidate: Candidate;
  report: CvReport;
  seconds: number;
}

/** Scores every candidate; best first (accuracy, then lower log loss). */
export function runSearch(
  candidates: readonly Candidate[],
  columns: RawColumns,
  y: Uint8Array,
  options: {
    folds?: number;
    repeats?: number;
    seed?: number;
    onResult?: (r: SearchResult) => void;
  } = {},
): SearchResult[] {
  const { folds = 5, repeats = 5, seed = 42 } = options;
  const results = candidates.map((c) => {
    const t0 = performance.now();
    const report = crossValidate(() => c.build(seed), columns, y, { folds, repeats, seed });
    const result = { candidate: c, report, seconds: (performance.now() - t0) / 1000 };
    options.onResult?.(result);
    return result;
  });
  return results.sort((a, b) =>
    b.report.accuracy.mean - a.report.accuracy.mean ||
    a.report.logLoss.mean - b.report.logLoss.mean
  );
}

/** A rough inference cost of a candidate: trees times depth (unlimited depth counts as 16). */
export function inferenceCost(candidate: Candidate): number {
  const trees = Number(candidate.params.nEstimators ?? 100);
  const depth = candidate.params.maxDepth == null ? 16 : Number(candidate.params.maxDepth);
  return trees * depth;
}

/**
 * The parsimonious choice: among the results within `tolerance` (accuracy, e.g. 0.001 = 0.1
 * point) of the best, the cheapest to run; ties go to the more accurate.
 */
export function choose(results: readonly SearchResult[], tolerance = 0.001): SearchResult {
  const best = Math.max(...results.map((r) => r.report.accuracy.mean));
  const close = results.filter((r) => r.report.accuracy.mean >= best - tolerance);
  return close.sort((a, b) =>
    inferenceCost(a.candidate) - inferenceCost(b.candidate) ||
    b.report.accuracy.mean - a.report.accuracy.mean
  )[0];
}
