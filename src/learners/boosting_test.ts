import assert from "node:assert/strict";
import { GradientBoostingClassifier } from "./boosting.ts";
import { syntheticData } from "./synthetic_test_data.ts";

const data = (rows: number, seed: number) => syntheticData(rows, seed, (a, b) => a * b > 25);

const logLoss = (y: Uint8Array, p: Float32Array) =>
  -y.reduce((s, v, i) => s + (v ? Math.log(p[i]) : Math.log(1 - p[i])), 0) / y.length;

Deno.test("boosting: training loss falls with trees; generalises; deterministic", () => {
  const { x, y } = data(600, 1);
  const { x: xt, y: yt } = data(400, 2);
  const fit = (n: number, seed = 0) =>
    new GradientBoostingClassifier({ nEstimators: n, maxDepth: 3, randomState: seed }).fit(x, y);
  assert.ok(logLoss(y, fit(50).predictProba(x)) < logLoss(y, fit(5).predictProba(x)));
  const model = fit(100);
  const labels = model.predict(xt);
  const correct = labels.filter((v, i) => v === yt[i]).length / yt.length;
  assert.ok(correct > 0.88, `accuracy ${correct}`);
  assert.deepEqual(fit(100).predictProba(xt), model.predictProba(xt));
  const imp = model.featureImportances();
  assert.ok(imp[2] < imp[0] && imp[2] < imp[1]);
});

Deno.test("boosting: labels are margin > 0 and probabilities the sigmoid of the margin", () => {
  const { x, y } = data(300, 3);
  const model = new GradientBoostingClassifier({ nEstimators: 40, randomState: 1 }).fit(x, y);
  const margins = model.margins(x);
  const p = model.predictProba(x);
  const labels = model.predict(x);
  margins.forEach((m, i) => {
    assert.equal(labels[i], m > 0 ? 1 : 0);
    assert.ok(Math.abs(p[i] - 1 / (1 + Math.exp(-m))) < 1e-7);
  });
  // The base score is the training log-odds.
  const rate = y.reduce((a, b) => a + b, 0) / y.length;
  assert.ok(Math.abs(model.baseScore - Math.log(rate / (1 - rate))) < 1e-6);
});

Deno.test("boosting: early stopping keeps the best iteration; subsampling changes the model", () => {
  const { x, y } = data(500, 4);
  const stopped = new GradientBoostingClassifier({
    nEstimators: 1000,
    learningRate: 0.3,
    earlyStoppingRounds: 10,
    randomState: 0,
  }).fit(x, y);
  assert.ok(stopped.trees.length < 1000 && stopped.trees.length >= 1);
  assert.equal(stopped.bestIteration, stopped.trees.length);
  const full = new GradientBoostingClassifier({ nEstimators: 30, randomState: 0 }).fit(x, y);
  const sub = new GradientBoostingClassifier({
    nEstimators: 30,
    subsample: 0.5,
    colsampleByTree: 0.67,
    randomState: 0,
  }).fit(x, y);
  assert.notDeepEqual(sub.predictProba(x), full.predictProba(x));
  assert.throws(() => new GradientBoostingClassifier({ learningRate: 0 }), /learningRate/);
  assert.throws(() => new GradientBoostingClassifier().predict(x), /not fitted/);
});

Deno.test("boosting: regularisation shrinks leaf values; depth and child weight limit trees", () => {
  const { x, y } = data(400, 5);
  const maxLeaf = (m: GradientBoostingClassifier) =>
    Math.max(...m.trees.flatMap((t) => Array.from(t.leafWeight, Math.abs)));
  const loose = new GradientBoostingClassifier({ nEstimators: 5, l2Regularization: 0 }).fit(x, y);
  const tight = new GradientBoostingClassifier({ nEstimators: 5, l2Regularization: 100 }).fit(x, y);
  assert.ok(maxLeaf(tight) < maxLeaf(loose));
  const stump = new GradientBoostingClassifier({ nEstimators: 3, maxDepth: 1 }).fit(x, y);
  for (const t of stump.trees) assert.ok(t.feature.length <= 3);
  const heavy = new GradientBoostingClassifier({ nEstimators: 3, minChildWeight: 1000 }).fit(x, y);
  for (const t of heavy.trees) assert.equal(t.feature.length, 1);
});
