import assert from "node:assert/strict";
import { stratifiedFolds } from "./cv.ts";
import { accuracy, confusionMatrix, logLoss, meanStd, rocAuc } from "./metrics.ts";

Deno.test("metrics: values scikit-learn gives for the same inputs", () => {
  const y = [0, 0, 1, 1];
  const p = [0.1, 0.4, 0.35, 0.8];
  assert.equal(rocAuc(y, p), 0.75);
  assert.equal(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5);
  assert.ok(Math.abs(logLoss(y, p) - 0.47228795) < 1e-7);
  assert.equal(accuracy(y, [0, 1, 1, 1]), 0.75);
  assert.deepEqual(confusionMatrix(y, [0, 1, 1, 1]), [[1, 1], [0, 2]]);
  assert.deepEqual(meanStd([1, 2, 3, 4]), { mean: 2.5, std: Math.sqrt(1.25) });
  assert.ok(Number.isFinite(logLoss([1], [0])));
});

Deno.test("stratified folds: a seeded partition that keeps the class balance", () => {
  const y = Uint8Array.from({ length: 891 }, (_, i) => (i % 5 < 2 ? 1 : 0));
  const folds = stratifiedFolds(y, 5, 42);
  const all = folds.flatMap((f) => Array.from(f)).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 891 }, (_, i) => i));
  for (const fold of folds) {
    const positives = Array.from(fold).filter((i) => y[i]).length;
    assert.ok(Math.abs(positives / fold.length - 0.4) < 0.01);
  }
  assert.deepEqual(stratifiedFolds(y, 5, 42), folds);
  assert.notDeepEqual(stratifiedFolds(y, 5, 43), folds);
  assert.notDeepEqual(stratifiedFolds(y, 5, 42, 1), folds);
});
