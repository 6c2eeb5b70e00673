import assert from "node:assert/strict";
import { leafFractionBits, RandomForestClassifier } from "./forest.ts";
import { matrix, splitThreshold } from "./matrix.ts";
import { Random } from "./random.ts";
import { featuresPerSplit, growTree } from "./tree.ts";
import { binMatrix } from "./matrix.ts";
import { syntheticData } from "./synthetic_test_data.ts";

const noisyData = (rows: number, seed: number) => syntheticData(rows, seed);

function depthOf(tree: { left: Int32Array; right: Int32Array }, node = 0): number {
  return tree.left[node] < 0
    ? 0
    : 1 + Math.max(depthOf(tree, tree.left[node]), depthOf(tree, tree.right[node]));
}

Deno.test("random: the same seed and stream give the same numbers, streams differ", () => {
  const take = (r: Random) => Array.from({ length: 5 }, () => r.nextUint32());
  assert.deepEqual(take(new Random(42)), take(new Random(42)));
  assert.notDeepEqual(take(new Random(42, 0)), take(new Random(42, 1)));
  const r = new Random(1);
  for (let i = 0; i < 1000; i++) {
    const v = r.nextInt(7);
    assert.ok(Number.isInteger(v) && v >= 0 && v < 7);
  }
});

Deno.test("thresholds: float32, lo <= t < hi even for adjacent floats", () => {
  assert.equal(splitThreshold(1, 2), 1.5);
  const lo = Math.fround(0.1);
  const hi = new Float32Array(
    new Uint32Array([new Uint32Array(new Float32Array([lo]).buffer)[0] + 1]).buffer,
  )[0];
  const t = splitThreshold(lo, hi);
  assert.ok(lo <= t && t < hi);
  assert.equal(Math.fround(t), t);
});

Deno.test("tree: a pure split is found exactly and depth limits hold", () => {
  const x = matrix([Float32Array.from([1, 2, 3, 10, 11, 12])], ["x"]);
  const y = Uint8Array.from([0, 0, 0, 1, 1, 1]);
  const tree = growTree(binMatrix(x), y, new Float64Array(6).fill(1), {
    maxDepth: null,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    maxFeatures: null,
  }, new Random(0));
  assert.equal(tree.feature.length, 3);
  assert.equal(tree.threshold[0], 6.5);
  assert.deepEqual(Array.from(tree.value), [0.5, 0, 1]);
  const { x: nx, y: ny } = noisyData(400, 3);
  for (const maxDepth of [1, 3, 5]) {
    const t = growTree(binMatrix(nx), ny, new Float64Array(400).fill(1), {
      maxDepth,
      minSamplesSplit: 2,
      minSamplesLeaf: 1,
      maxFeatures: null,
    }, new Random(0));
    assert.equal(depthOf(t), maxDepth);
  }
});

Deno.test("tree: minSamplesLeaf bounds every leaf", () => {
  const { x, y } = noisyData(300, 5);
  const tree = growTree(binMatrix(x), y, new Float64Array(300).fill(1), {
    maxDepth: null,
    minSamplesSplit: 2,
    minSamplesLeaf: 7,
    maxFeatures: null,
  }, new Random(0));
  for (let node = 0; node < tree.feature.length; node++) {
    if (tree.feature[node] < 0) {
      assert.ok(tree.weight[node] >= 7, `leaf ${node}: ${tree.weight[node]}`);
    }
  }
});

Deno.test("maxFeatures resolves like scikit-learn", () => {
  assert.equal(featuresPerSplit("sqrt", 17), 4);
  assert.equal(featuresPerSplit("log2", 17), 4);
  assert.equal(featuresPerSplit(0.5, 17), 8);
  assert.equal(featuresPerSplit(3, 17), 3);
  assert.equal(featuresPerSplit(null, 17), 17);
  assert.throws(() => featuresPerSplit(0, 17));
});

Deno.test("forest: deterministic for a seed, different across seeds, generalises", () => {
  const { x, y } = noisyData(600, 11);
  const { x: xt, y: yt } = noisyData(400, 12);
  const fit = (seed: number) =>
    new RandomForestClassifier({ nEstimators: 30, randomState: seed }).fit(x, y);
  const a = fit(1), b = fit(1), c = fit(2);
  assert.deepEqual(a.predictProba(xt), b.predictProba(xt));
  assert.notDeepEqual(a.predictProba(xt), c.predictProba(xt));
  const p = a.predictProba(xt);
  const correct = yt.filter((v, i) => (p[i] > 0.5 ? 1 : 0) === v).length;
  assert.ok(correct / yt.length > 0.85, `accuracy ${correct / yt.length}`);
  const importances = a.featureImportances();
  assert.ok(Math.abs(importances.reduce((s, v) => s + v, 0) - 1) < 1e-9);
  assert.ok(importances[2] < importances[0] && importances[2] < importances[1]);
});

Deno.test("forest: leaf weights sit on a dyadic grid so float32 sums are exact", () => {
  const { x, y } = noisyData(200, 13);
  const forest = new RandomForestClassifier({ nEstimators: 100, maxDepth: 3, randomState: 0 }).fit(
    x,
    y,
  );
  const scale = 2 ** leafFractionBits(100);
  assert.equal(leafFractionBits(100), 17);
  for (const tree of forest.trees) {
    for (const w of tree.leafWeight) assert.equal(Math.round(w * scale), w * scale);
  }
  // Summing in float32 in two orders gives the same bits as the float64 sum.
  const scores = forest.scores(x);
  for (let r = 0; r < 20; r++) {
    let forward = 0, backward = 0;
    const leaves = forest.trees.map((t) => {
      let node = 0;
      while (t.feature[node] >= 0) {
        node = x.columns[t.feature[node]][r] <= t.threshold[node] ? t.left[node] : t.right[node];
      }
      return t.leafWeight[node];
    });
    for (const w of leaves) forward = Math.fround(forward + w);
    for (const w of leaves.reverse()) backward = Math.fround(backward + w);
    assert.equal(forward, scores[r]);
    assert.equal(backward, scores[r]);
  }
});

Deno.test("forest: balanced class weights shift predictions toward the rare class", () => {
  const { x, y } = noisyData(500, 17);
  const rare = y.map((v, i) => (v && i % 4 === 0 ? 1 : 0));
  const plain = new RandomForestClassifier({ nEstimators: 20, maxDepth: 3, randomState: 0 }).fit(
    x,
    rare,
  );
  const balanced = new RandomForestClassifier({
    nEstimators: 20,
    maxDepth: 3,
    randomState: 0,
    classWeight: "balanced",
  }).fit(x, rare);
  const mean = (p: Float32Array) => p.reduce((a, b) => a + b, 0) / p.length;
  assert.ok(mean(balanced.predictProba(x)) > mean(plain.predictProba(x)) + 0.1);
  assert.throws(() => new RandomForestClassifier({ nEstimators: 0 }));
  assert.throws(() => new RandomForestClassifier().predictProba(x), /not fitted/);
});
