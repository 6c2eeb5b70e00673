import assert from "node:assert/strict";
import { XGBoostStyleClassifier } from "./boosting.ts";
import type { Matrix } from "./matrix.ts";
import { Random } from "./random.ts";
import { leafOf } from "./tree.ts";
import { syntheticData } from "./synthetic_test_data.ts";

const data = (rows: number, seed: number) => syntheticData(rows, seed, (a, b) => a * b > 25);

const logLoss = (y: Uint8Array, p: Float32Array) =>
  -y.reduce((s, v, i) => s + (v ? Math.log(p[i]) : Math.log(1 - p[i])), 0) / y.length;

Deno.test("boosting: training loss falls with trees; generalises; deterministic", () => {
  const { x, y } = data(600, 1);
  const { x: xt, y: yt } = data(400, 2);
  const fit = (n: number, seed = 0) =>
    new XGBoostStyleClassifier({ nEstimators: n, maxDepth: 3, randomState: seed }).fit(x, y);
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
  const model = new XGBoostStyleClassifier({ nEstimators: 40, randomState: 1 }).fit(x, y);
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

/** Validation log loss (float64, summed) after each round of `model`, from its raw leaves. */
function lossPerRound(model: XGBoostStyleClassifier, x: Matrix, y: Uint8Array): number[] {
  const margin = new Float64Array(x.rows).fill(model.baseScore);
  return model.trees.map((tree) => {
    let loss = 0;
    for (let r = 0; r < x.rows; r++) {
      margin[r] += tree.rawValue[leafOf(tree, x.columns, r)];
      loss += Math.log1p(Math.exp(y[r] ? -margin[r] : margin[r]));
    }
    return loss;
  });
}

Deno.test("boosting: early stopping keeps the round with the lowest validation loss", () => {
  // Noisy labels and a high learning rate: the validation loss falls, then rises.
  const noisy = (rows: number, seed: number) => {
    const { x, y } = data(rows, seed);
    const random = new Random(seed, 3);
    return { x, y: y.map((v) => (random.nextFloat() < 0.15 ? 1 - v : v)) };
  };
  const { x, y } = noisy(400, 31);
  const validation = noisy(300, 32);
  const params = { nEstimators: 200, learningRate: 0.2, maxDepth: 4, randomState: 0 };
  const patience = 8;
  // Without early stopping: every round, the same trees (the validation set is not drawn from x).
  const full = new XGBoostStyleClassifier(params).fit(x, y);
  const stopped = new XGBoostStyleClassifier({ ...params, earlyStoppingRounds: patience })
    .fit(x, y, validation);
  const losses = lossPerRound(full, validation.x, validation.y);
  const kept = stopped.trees.length;
  const best = losses.indexOf(Math.min(...losses.slice(0, kept + patience)));
  console.log(
    `kept ${kept} of ${full.trees.length} rounds; validation loss ${
      losses.slice(0, kept + patience).map((l) => l.toFixed(2)).join(" ")
    }`,
  );
  assert.equal(kept, best + 1, `kept ${kept} trees; lowest validation loss after ${best + 1}`);
  assert.equal(stopped.bestIteration, kept);
  // It stopped patience rounds after the best, and the loss had risen meanwhile.
  assert.ok(kept + patience < params.nEstimators, `${kept} trees kept`);
  for (let t = kept; t < kept + patience; t++) {
    assert.ok(losses[t] > losses[best], `round ${t + 1}`);
  }
  assert.ok(losses[kept + patience - 1] > losses[best] + 1e-3, "the loss rose after the best");
  // The kept trees are the full model's first ones.
  stopped.trees.forEach((tree, t) => assert.deepEqual(tree.rawValue, full.trees[t].rawValue));
  assert.throws(
    () => new XGBoostStyleClassifier(params).fit(x, y, validation),
    /earlyStoppingRounds/,
  );
});

Deno.test("boosting: early stopping on the inner split; subsampling changes the model", () => {
  const { x, y } = data(500, 4);
  const stopped = new XGBoostStyleClassifier({
    nEstimators: 1000,
    learningRate: 0.3,
    earlyStoppingRounds: 10,
    randomState: 0,
  }).fit(x, y);
  assert.ok(stopped.trees.length < 1000 && stopped.trees.length >= 1);
  const full = new XGBoostStyleClassifier({ nEstimators: 30, randomState: 0 }).fit(x, y);
  const sub = new XGBoostStyleClassifier({
    nEstimators: 30,
    subsample: 0.5,
    colsampleByTree: 0.67,
    randomState: 0,
  }).fit(x, y);
  assert.notDeepEqual(sub.predictProba(x), full.predictProba(x));
  assert.throws(() => new XGBoostStyleClassifier({ learningRate: 0 }), /learningRate/);
  assert.throws(() => new XGBoostStyleClassifier().predict(x), /not fitted/);
});

Deno.test("boosting: regularisation shrinks leaf values; depth and child weight limit trees", () => {
  const { x, y } = data(400, 5);
  const maxLeaf = (m: XGBoostStyleClassifier) =>
    Math.max(...m.trees.flatMap((t) => Array.from(t.leafWeight, Math.abs)));
  const loose = new XGBoostStyleClassifier({ nEstimators: 5, l2Regularization: 0 }).fit(x, y);
  const tight = new XGBoostStyleClassifier({ nEstimators: 5, l2Regularization: 100 }).fit(x, y);
  assert.ok(maxLeaf(tight) < maxLeaf(loose));
  const stump = new XGBoostStyleClassifier({ nEstimators: 3, maxDepth: 1 }).fit(x, y);
  for (const t of stump.trees) assert.ok(t.feature.length <= 3);
  const heavy = new XGBoostStyleClassifier({ nEstimators: 3, minChildWeight: 1000 }).fit(x, y);
  for (const t of heavy.trees) assert.equal(t.feature.length, 1);
});
