/**
 * TreeSHAP against the definition: brute-force Shapley values of the same path-dependent value
 * function over every feature subset, on random trees and ensembles (repeated features,
 * uneven covers, a feature no tree uses), for Algorithm 2 and for the per-leaf tables.
 */

import assert from "node:assert/strict";
import { Random } from "../learners/random.ts";
import {
  EnsembleExplainer,
  expectedValue,
  type ShapEnsemble,
  type ShapTree,
  treeShap,
} from "./treeshap.ts";
import { FastTree } from "./treeshap_fast.ts";

/** A random tree over features [0, usable), up to `maxDepth` deep, covers adding up. */
function randomTree(random: Random, usable: number, maxDepth: number): ShapTree {
  const feature: number[] = [], threshold: number[] = [], left: number[] = [];
  const right: number[] = [], value: number[] = [], cover: number[] = [];
  const grow = (depth: number, samples: number): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(random.nextFloat() * 2 - 1);
    cover.push(samples);
    if (depth < maxDepth && samples >= 2 && random.nextFloat() < 0.8) {
      // Few features and coarse thresholds: features repeat on paths, as in real trees.
      feature[id] = random.nextInt(usable);
      threshold[id] = Math.fround(random.nextInt(5) + 0.5);
      const toLeft = 1 + random.nextInt(samples - 1);
      left[id] = grow(depth + 1, toLeft);
      right[id] = grow(depth + 1, samples - toLeft);
    }
    return id;
  };
  grow(0, 20 + random.nextInt(200));
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
  };
}

/** The path-dependent value function: features in `subset` follow x, others split by cover. */
function valueOf(tree: ShapTree, x: ArrayLike<number>, subset: number): number {
  const walk = (node: number): number => {
    const f = tree.feature[node];
    if (f < 0) return tree.value[node];
    const l = tree.left[node], r = tree.right[node];
    if (subset & (1 << f)) return walk(x[f] <= tree.threshold[node] ? l : r);
    return (tree.cover[l] * walk(l) + tree.cover[r] * walk(r)) / tree.cover[node];
  };
  return walk(0);
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
const popcount = (s: number) => s.toString(2).replace(/0/g, "").length;

/** Shapley values by enumerating all 2^M subsets. */
function bruteForce(trees: readonly ShapTree[], x: ArrayLike<number>, m: number, scale: number) {
  const v = (subset: number) => scale * trees.reduce((a, t) => a + valueOf(t, x, subset), 0);
  const phi = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let s = 0; s < 1 << m; s++) {
      if (s & (1 << i)) continue;
      const k = popcount(s);
      const weight = (factorial(k) * factorial(m - k - 1)) / factorial(m);
      phi[i] += weight * (v(s | (1 << i)) - v(s));
    }
  }
  return phi;
}

function randomRow(random: Random, m: number): Float32Array {
  return Float32Array.from({ length: m }, () => random.nextInt(6));
}

Deno.test("treeshap: one tree equals brute-force Shapley values; unused feature gets 0", () => {
  const random = new Random(13);
  const m = 6; // feature 5 is never split on
  for (let t = 0; t < 60; t++) {
    const tree = randomTree(random, m - 1, 1 + (t % 7));
    for (let r = 0; r < 5; r++) {
      const x = randomRow(random, m);
      const phi = new Float64Array(m);
      treeShap(tree, x, phi);
      const want = bruteForce([tree], x, m, 1);
      const fast = new Float64Array(m);
      new FastTree(tree).explainInto(x, fast, 1);
      for (let f = 0; f < m; f++) {
        assert.ok(Math.abs(fast[f] - want[f]) < 1e-12, `tables, tree ${t} feature ${f}`);
        assert.ok(
          Math.abs(phi[f] - want[f]) < 1e-12,
          `tree ${t} feature ${f}: ${phi[f]} vs ${want[f]}`,
        );
      }
      assert.equal(phi[m - 1], 0);
      // v(all) - v(none): efficiency, against the plain walk.
      const sum = phi.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(expectedValue(tree) + sum - valueOf(tree, x, (1 << m) - 1)) < 1e-12);
    }
  }
});

Deno.test("treeshap: ensembles (scale, offset) equal brute force and add up to the output", () => {
  const random = new Random(7);
  const m = 7;
  for (let e = 0; e < 10; e++) {
    const trees = Array.from({ length: 2 + e }, () => randomTree(random, m - 1, 6));
    const ensemble: ShapEnsemble = {
      trees,
      nFeatures: m,
      scale: e % 2 ? 1 / trees.length : 1,
      offset: e % 2 ? 0 : -0.37,
      space: e % 2 ? "probability" : "log-odds",
    };
    // Tables for every tree, for none (Algorithm 2 only), and for some.
    const tables = new EnsembleExplainer(ensemble);
    const algorithm2 = new EnsembleExplainer(ensemble, 0);
    const mixed = new EnsembleExplainer(ensemble, FastTree.size(trees[0]));
    assert.equal(tables.fastTrees, trees.length);
    assert.equal(algorithm2.fastTrees, 0);
    assert.equal(mixed.fastTrees, 1);
    const none = ensemble.offset + ensemble.scale *
        trees.reduce((a, t) => a + valueOf(t, [], 0), 0);
    const rows = 4;
    const batch = new Float32Array(rows * m);
    const wanted: Float64Array[] = [];
    for (let r = 0; r < rows; r++) {
      const x = randomRow(random, m);
      batch.set(x, r * m);
      const want = bruteForce(trees, x, m, ensemble.scale);
      wanted.push(want);
      for (const explainer of [tables, algorithm2, mixed]) {
        assert.ok(Math.abs(explainer.base - none) < 1e-12);
        const { base, phi } = explainer.explain(x);
        want.forEach((w, f) => assert.ok(Math.abs(phi[f] - w) < 1e-12, `${f}: ${phi[f]} vs ${w}`));
        assert.equal(phi[m - 1], 0);
        const total = base + phi.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - explainer.output(x)) < 1e-12);
      }
    }
    for (const explainer of [tables, algorithm2, mixed]) {
      const phi = explainer.explainRowsInto(batch, rows, new Float64Array(rows * m));
      wanted.forEach((want, r) =>
        want.forEach((w, f) => assert.ok(Math.abs(phi[r * m + f] - w) < 1e-12, `row ${r} ${f}`))
      );
    }
  }
});

Deno.test("treeshap: symmetric features of a symmetric tree get equal values", () => {
  // x0 <= 0.5 then x1 <= 0.5 on both sides, leaves 1 only when both are 1 (an AND).
  const tree: ShapTree = {
    feature: Int32Array.from([0, 1, -1, -1, 1, -1, -1]),
    threshold: Float32Array.from([0.5, 0.5, 0, 0, 0.5, 0, 0]),
    left: Int32Array.from([1, 2, -1, -1, 5, -1, -1]),
    right: Int32Array.from([4, 3, -1, -1, 6, -1, -1]),
    value: Float64Array.from([0, 0, 0, 0, 0, 0, 1]),
    cover: Float64Array.from([4, 2, 1, 1, 2, 1, 1]),
  };
  const phi = new Float64Array(2);
  treeShap(tree, [1, 1], phi);
  assert.equal(phi[0], phi[1]);
  assert.ok(Math.abs(phi[0] - 0.375) < 1e-15); // (1 - 0.25) / 2
});

Deno.test("treeshap: a malformed tree is refused with its node named", () => {
  const bad: ShapTree = {
    feature: Int32Array.from([0, -1, -1]),
    threshold: Float32Array.from([0.5, 0, 0]),
    left: Int32Array.from([1, -1, -1]),
    right: Int32Array.from([2, -1, -1]),
    value: Float64Array.from([0, 1, 2]),
    cover: Float64Array.from([2, 0, 2]),
  };
  const ensemble = { trees: [bad], nFeatures: 1, scale: 1, offset: 0, space: "log-odds" as const };
  assert.throws(() => new EnsembleExplainer(ensemble), /node 1 has cover 0/);
  assert.throws(
    () =>
      new EnsembleExplainer({
        ...ensemble,
        nFeatures: 0,
        trees: [{ ...bad, cover: bad.cover.map(() => 1) }],
      }),
    /splits on feature 0 of 0/,
  );
});
