/**
 * Stratified k-fold cross-validation, seeded, with out-of-fold predictions and per-fold
 * metrics.
 * @module
 */

import type { RawColumns } from "../codec/columns.ts";
import { takeRows } from "../codec/columns.ts";
import { encodeInputs, type ModelInputs } from "../codec/inputs.ts";
import { Random } from "../learners/random.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { accuracy, confusionMatrix, logLoss, meanStd, rocAuc } from "./metrics.ts";

/**
 * Test-fold indices: each class is shuffled (seeded) and dealt round-robin over the folds, so
 * every fold keeps the class balance (scikit-learn's StratifiedKFold with shuffle=True).
 */
export function stratifiedFolds(y: Uint8Array, k: number, seed: number, repeat = 0): Int32Array[] {
  if (k < 2) throw new Error("k must be at least 2");
  const random = new Random(seed, 1_000_000 + repeat);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const label of [0, 1]) {
    const members = Array.from(y.keys()).filter((i) => y[i] === label);
    random.shuffle(members);
    for (const i of members) folds[next++ % k].push(i);
  }
  return folds.map((f) => Int32Array.from(f.sort((a, b) => a - b)));
}

/** The training rows of a fold: every row not in `testIdx`, ascending. */
export function trainingRows(rows: number, testIdx: Int32Array): Int32Array {
  const isTest = new Uint8Array(rows);
  testIdx.forEach((i) => (isTest[i] = 1));
  return Int32Array.from({ length: rows }, (_, i) => i).filter((i) => !isTest[i]);
}

/** A fresh pipeline fitted on the rows outside `testIdx`, and the test rows encoded for it. */
export function fitFold(
  makePipeline: () => Pipeline,
  columns: RawColumns,
  y: Uint8Array,
  testIdx: Int32Array,
): { pipeline: Pipeline; test: ModelInputs; yTest: Uint8Array } {
  const trainIdx = trainingRows(y.length, testIdx);
  const pipeline = makePipeline();
  const names = pipeline.inputs();
  pipeline.fit(
    encodeInputs(takeRows(columns, trainIdx), names),
    Uint8Array.from(trainIdx, (i) => y[i]),
  );
  return {
    pipeline,
    test: encodeInputs(takeRows(columns, testIdx), names),
    yTest: Uint8Array.from(testIdx, (i) => y[i]),
  };
}

/** Metrics of one fold or of the whole run. */
export interface FoldMetrics {
  accuracy: number;
  rocAuc: number;
  logLoss: number;
}

/** A cross-validation report. */
export interface CvReport {
  folds: number;
  repeats: number;
  seed: number;
  perFold: FoldMetrics[];
  accuracy: { mean: number; std: number };
  rocAuc: { mean: number; std: number };
  logLoss: { mean: number; std: number };
  /** Of the out-of-fold predictions of the first repeat. */
  confusionMatrix: [[number, number], [number, number]];
  /** Out-of-fold P(survived), first repeat. */
  outOfFold: Float32Array;
}

export interface CvOptions {
  folds?: number;
  repeats?: number;
  seed?: number;
  onFold?: (repeat: number, fold: number, metrics: FoldMetrics) => void;
  /** Called with each fold's fitted pipeline (e.g. to count the trees it kept). */
  onFitted?: (pipeline: Pipeline) => void;
}

/** Cross-validates a pipeline factory on raw columns and labels. */
export function crossValidate(
  makePipeline: () => Pipeline,
  columns: RawColumns,
  y: Uint8Array,
  options: CvOptions = {},
): CvReport {
  const { folds: k = 5, repeats = 1, seed = 42 } = options;
  const perFold: FoldMetrics[] = [];
  const outOfFold = new Float32Array(y.length);
  const outOfFoldLabels = new Uint8Array(y.length);
  for (let repeat = 0; repeat < repeats; repeat++) {
    const folds = stratifiedFolds(y, k, seed, repeat);
    folds.forEach((testIdx, f) => {
      const { pipeline, test, yTest } = fitFold(makePipeline, columns, y, testIdx);
      options.onFitted?.(pipeline);
      const { proba: p, labels } = pipeline.predictBoth(test);
      const metrics = {
        accuracy: accuracy(yTest, labels),
        rocAuc: rocAuc(yTest, p),
        logLoss: logLoss(yTest, p),
      };
      perFold.push(metrics);
      if (repeat === 0) {
        testIdx.forEach((i, j) => {
          outOfFold[i] = p[j];
          outOfFoldLabels[i] = labels[j];
        });
      }
      options.onFold?.(repeat, f, metrics);
    });
  }
  return {
    folds: k,
    repeats,
    seed,
    perFold,
    accuracy: meanStd(perFold.map((m) => m.accuracy)),
    rocAuc: meanStd(perFold.map((m) => m.rocAuc)),
    logLoss: meanStd(perFold.map((m) => m.logLoss)),
    confusionMatrix: confusionMatrix(y, outOfFoldLabels),
    outOfFold,
  };
}
