import assert from "node:assert/strict";
import { columnsFromRecords } from "../codec/columns.ts";
import { encodeInputs } from "../codec/inputs.ts";
import { RandomForestClassifier } from "../learners/forest.ts";
import { Random } from "../learners/random.ts";
import { NumericImputer } from "../pipeline/impute.ts";
import { OneHotEncoder } from "../pipeline/onehot.ts";
import { Pipeline } from "../pipeline/pipeline.ts";
import { reliability } from "./calibration.ts";
import { crossValidatedImportance, permutationImportance } from "./importance.ts";
import { candidate, choose, runSearch, standardError } from "./search.ts";
import { MAJORITY, nestedCrossValidate, select } from "./nested.ts";
import { stratifiedFolds } from "./cv.ts";
import { takeRows } from "../codec/columns.ts";
import { dataset } from "../../tests/helpers.ts";

Deno.test("reliability: bins, observed rates and calibration error", () => {
  const y = [0, 0, 1, 1, 1, 0];
  const p = [0.05, 0.15, 0.15, 0.95, 0.9, 0.92];
  const { bins, expectedCalibrationError } = reliability(y, p, 10);
  assert.deepEqual(bins.map((b) => [b.lower, b.count]), [[0, 1], [0.1, 2], [0.9, 3]]);
  assert.equal(bins[1].observed, 0.5);
  assert.ok(Math.abs(bins[2].meanPredicted - 0.9233333) < 1e-6);
  const perfect = reliability([0, 1], [0, 1], 10);
  assert.equal(perfect.expectedCalibrationError, 0);
  assert.ok(expectedCalibrationError > 0);
});

function toyData(n: number) {
  const random = new Random(3);
  const records = Array.from({ length: n }, () => ({
    Pclass: 1 + random.nextInt(3),
    Sex: random.nextFloat() < 0.5 ? "male" : "female",
    Age: Math.round(random.nextFloat() * 60),
  }));
  const y = Uint8Array.from(records, (r) => (r.Sex === "female" ? 1 : 0));
  return { columns: columnsFromRecords(records), y };
}

const toyPipeline = () =>
  new Pipeline(
    [new OneHotEncoder("Sex"), new NumericImputer(["Pclass", "Age"])],
    new RandomForestClassifier({ nEstimators: 10, maxDepth: 3, randomState: 1 }),
  );

Deno.test("permutation importance: the input that decides the label matters, the others not", () => {
  const { columns, y } = toyData(300);
  const pipeline = toyPipeline();
  const data = encodeInputs(columns, pipeline.inputs());
  pipeline.fit(data, y);
  const scores = permutationImportance(pipeline, data, y, { repeats: 3 });
  assert.equal(scores[0].input, "Sex");
  assert.ok(scores[0].mean > 0.3);
  for (const s of scores.slice(1)) assert.ok(Math.abs(s.mean) < 0.05, JSON.stringify(s));
  const held = crossValidatedImportance(toyPipeline, columns, y, { folds: 3, repeats: 2 });
  assert.equal(held[0].input, "Sex");
});

Deno.test("search: ranks candidates by CV accuracy and charges the trees a model keeps", () => {
  const { columns, y } = toyData(200);
  const weak = {
    name: "weak",
    learner: "forest" as const,
    features: "toy",
    params: { maxDepth: 1 },
    build: () =>
      new Pipeline(
        [new NumericImputer(["Age"])],
        new RandomForestClassifier({ nEstimators: 5, maxDepth: 1 }),
      ),
  };
  const strong = { ...weak, name: "strong", params: { maxDepth: 3 }, build: toyPipeline };
  const results = runSearch([weak, strong], columns, y, { folds: 3, repeats: 1 });
  assert.deepEqual(results.map((r) => r.candidate.name), ["strong", "weak"]);
  assert.ok(results[0].report.accuracy.mean > 0.95);
  // Cost = trees kept x depth, from the fitted models: 5 trees of depth <= 1 for the weak one.
  assert.equal(results[1].cost, 5 * 1);
  assert.equal(results[0].cost, 10 * 3); // toyPipeline: 10 trees, maxDepth 3
});

Deno.test("search: the choice is the cheapest within one corrected standard error", () => {
  // Ten fold scores with std s: Nadeau-Bengio's SE = sqrt((1/10 + 1/(5-1)) * s^2 * 10/9).
  const result = (name: string, accuracy: number, cost: number, std = 0.02) => ({
    candidate: { name } as never,
    report: { accuracy: { mean: accuracy, std }, perFold: new Array(10), folds: 5 } as never,
    cost,
    seconds: 0,
  });
  const se = Math.sqrt((1 / 10 + 1 / 4) * 0.02 ** 2 * 10 / 9);
  assert.ok(Math.abs(standardError(result("a", 0.8, 1)) - se) < 1e-15);
  const best = result("best", 0.85, 800);
  const near = result("near", 0.85 - se * 0.99, 400);
  const far = result("far", 0.85 - se * 1.01, 100);
  assert.equal(choose([best, near, far]).candidate.name, "near");
  // With no spread there is no noise to forgive: the best wins.
  const exact = (name: string, a: number, cost: number) => result(name, a, cost, 0);
  assert.equal(
    choose([exact("best", 0.85, 800), exact("near", 0.849, 400)]).candidate.name,
    "best",
  );
  // Equal cost: the more accurate.
  assert.equal(choose([result("x", 0.84, 400), result("y", 0.845, 400)]).candidate.name, "y");
});

Deno.test("nested CV: the selection runs inside each outer fold, reproducible from its seed", async () => {
  const { train } = await dataset();
  const y = train.labels!;
  const space = [
    candidate("original", { learner: "forest", params: { nEstimators: 5, maxDepth: 2 } }),
    candidate("group", { learner: "forest", params: { nEstimators: 5, maxDepth: 3 } }),
  ];
  const options = { folds: 3, repeats: 1, innerFolds: 3, innerRepeats: 1, comparators: [MAJORITY] };
  const a = nestedCrossValidate(space, train.columns, y, { ...options, seed: 1 });
  const b = nestedCrossValidate(space, train.columns, y, { ...options, seed: 1 });
  const c = nestedCrossValidate(space, train.columns, y, { ...options, seed: 2 });
  assert.deepEqual(a.perFold, b.perFold);
  assert.deepEqual(a.outOfFold, b.outOfFold);
  assert.notDeepEqual(a.perFold.map((f) => f.accuracy), c.perFold.map((f) => f.accuracy));
  // Each outer fold's choice is the selection run on that fold's training rows alone.
  const folds = stratifiedFolds(y, 3, 1, 0);
  folds.forEach((testIdx, f) => {
    const held = new Set(testIdx);
    const rows = Int32Array.from(Array.from(y.keys()).filter((i) => !held.has(i)));
    const inner = select(space, takeRows(train.columns, rows), Uint8Array.from(rows, (i) => y[i]), {
      innerFolds: 3,
      innerRepeats: 1,
      seed: 1 + 1000 + f,
    });
    assert.equal(a.perFold[f].chosen, inner.chosen.candidate.name);
    assert.equal(a.perFold[f].selectionScore, inner.chosen.report.accuracy.mean);
  });
  // The paired difference with the majority class is the mean of the per-fold differences.
  const diffs = a.perFold.map((f) => f.accuracy - f.comparators["majority class"]);
  assert.ok(Math.abs(a.comparisons[0].difference.mean - diffs.reduce((s, d) => s + d) / 3) < 1e-15);
});
