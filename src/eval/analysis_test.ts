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
import { choose, runSearch } from "./search.ts";

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

Deno.test("search: ranks candidates by CV accuracy", () => {
  const { columns, y } = toyData(200);
  const weak = {
    learner: "forest" as const,
    features: "toy",
    params: { weak: true },
    build: () =>
      new Pipeline(
        [new NumericImputer(["Age"])],
        new RandomForestClassifier({ nEstimators: 5, maxDepth: 1 }),
      ),
  };
  const strong = { ...weak, params: { weak: false }, build: toyPipeline };
  const results = runSearch([weak, strong], columns, y, { folds: 3, repeats: 1 });
  assert.deepEqual(results.map((r) => r.candidate.params), [{ weak: false }, { weak: true }]);
  assert.ok(results[0].report.accuracy.mean > 0.95);
});

Deno.test("search: the choice is the cheapest candidate within the tolerance of the best", () => {
  const result = (params: Record<string, unknown>, accuracy: number) => ({
    candidate: {
      learner: "forest" as const,
      features: "x",
      params,
      build: () => undefined as never,
    },
    report: { accuracy: { mean: accuracy, std: 0 } } as never,
    seconds: 0,
  });
  const results = [
    result({ nEstimators: 200, maxDepth: 8 }, 0.8474),
    result({ nEstimators: 100, maxDepth: 8 }, 0.8469),
    result({ nEstimators: 100, maxDepth: 6 }, 0.8400),
  ];
  assert.deepEqual(choose(results).candidate.params, { nEstimators: 100, maxDepth: 8 });
  assert.deepEqual(choose(results, 0).candidate.params, { nEstimators: 200, maxDepth: 8 });
});
