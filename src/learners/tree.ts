/**
 * CART classification trees for a binary label, with scikit-learn's semantics: Gini impurity,
 * `maxDepth`, `minSamplesSplit`, `minSamplesLeaf` (counted in distinct samples, as
 * scikit-learn does under bootstrap), `maxFeatures` drawn afresh at every split, and sample
 * weights. Split search scans exact histograms of each feature's distinct values.
 * @module
 */

import { type BinnedMatrix, partition, splitThreshold } from "./matrix.ts";
import type { Random } from "./random.ts";

/** How many features to try per split (scikit-learn's `max_features`). */
export type MaxFeatures = "sqrt" | "log2" | number | null;

/** Tree growth parameters (scikit-learn names, in camelCase). */
export interface TreeParams {
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
}

export const DEFAULT_TREE_PARAMS: TreeParams = {
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: null,
};

/** A fitted tree in flat arrays; node 0 is the root and ids follow preorder. */
export interface Tree {
  /** Feature index of a split node, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Float32 threshold: x <= threshold goes left. */
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Weighted fraction of class 1 in the node. */
  readonly value: Float64Array;
  /** Weighted Gini impurity and weight of each node (for importances). */
  readonly impurity: Float64Array;
  readonly weight: Float64Array;
}

/** Resolves `maxFeatures` to a count, as scikit-learn does. */
export function featuresPerSplit(maxFeatures: MaxFeatures, nFeatures: number): number {
  if (maxFeatures === null) return nFeatures;
  if (maxFeatures === "sqrt") return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (maxFeatures === "log2") return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (Number.isInteger(maxFeatures) && maxFeatures >= 1) return Math.min(maxFeatures, nFeatures);
  if (maxFeatures > 0 && maxFeatures <= 1) return Math.max(1, Math.floor(maxFeatures * nFeatures));
  throw new Error(`maxFeatures must be "sqrt", "log2", an integer >= 1 or in (0, 1]`);
}

const gini = (w0: number, w1: number) => {
  const w = w0 + w1;
  return w > 0 ? 1 - (w0 * w0 + w1 * w1) / (w * w) : 0;
};

interface Split {
  feature: number;
  bin: number;
  threshold: number;
}

/**
 * Grows one tree on the samples with non-zero `weights`.
 * @param y labels 0/1
 * @param weights per-sample weights (bootstrap counts times class weights)
 */
export function growTree(
  data: BinnedMatrix,
  y: Uint8Array,
  weights: Float64Array,
  params: TreeParams,
  random: Random,
): Tree {
  const nFeatures = data.codes.length;
  const mtry = featuresPerSplit(params.maxFeatures, nFeatures);
  const maxDepth = params.maxDepth ?? Infinity;
  const minLeaf = Math.max(1, params.minSamplesLeaf);
  const minSplit = Math.max(2, params.minSamplesSplit, 2 * minLeaf);
  const samples = Int32Array.from(
    Array.from({ length: data.rows }, (_, i) => i).filter((i) => weights[i] > 0),
  );
  const h0 = new Float64Array(data.maxBins);
  const h1 = new Float64Array(data.maxBins);
  const hn = new Int32Array(data.maxBins);
  const order = Int32Array.from({ length: nFeatures }, (_, i) => i);

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const impurity: number[] = [];
  const weight: number[] = [];

  const bestSplit = (start: number, end: number, w0: number, w1: number): Split | null => {
    // As in scikit-learn, the best valid split is taken even when it does not lower impurity.
    let best: Split | null = null;
    let bestScore = -Infinity;
    let tried = 0;
    for (let k = 0; k < nFeatures && tried < mtry; k++) {
      // Partial Fisher-Yates: draw features until mtry non-constant ones were examined.
      const j = k + random.nextInt(nFeatures - k);
      const f = order[j];
      order[j] = order[k];
      order[k] = f;
      const codes = data.codes[f];
      const nBins = data.values[f].length;
      h0.fill(0, 0, nBins);
      h1.fill(0, 0, nBins);
      hn.fill(0, 0, nBins);
      let lowest = nBins;
      let highest = -1;
      for (let s = start; s < end; s++) {
        const i = samples[s];
        const b = codes[i];
        if (y[i]) h1[b] += weights[i];
        else h0[b] += weights[i];
        hn[b]++;
        if (b < lowest) lowest = b;
        if (b > highest) highest = b;
      }
      if (lowest === highest) continue; // constant in this node: does not count
      tried++;
      let l0 = 0, l1 = 0, ln = 0;
      const n = end - start;
      for (let b = lowest; b < highest; b++) {
        if (hn[b] === 0) continue;
        l0 += h0[b];
        l1 += h1[b];
        ln += hn[b];
        if (ln < minLeaf) continue;
        if (n - ln < minLeaf) break;
        const r0 = w0 - l0, r1 = w1 - l1;
        const wl = l0 + l1, wr = r0 + r1;
        if (wl <= 0 || wr <= 0) continue;
        const score = (l0 * l0 + l1 * l1) / wl + (r0 * r0 + r1 * r1) / wr;
        if (score > bestScore) {
          let next = b + 1;
          while (hn[next] === 0) next++;
          bestScore = score;
          best = {
            feature: f,
            bin: b,
            threshold: splitThreshold(data.values[f][b], data.values[f][next]),
          };
        }
      }
    }
    return best;
  };

  const build = (start: number, end: number, depth: number): number => {
    let w0 = 0, w1 = 0;
    for (let s = start; s < end; s++) {
      const i = samples[s];
      if (y[i]) w1 += weights[i];
      else w0 += weights[i];
    }
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(w1 / (w0 + w1));
    impurity.push(gini(w0, w1));
    weight.push(w0 + w1);
    const n = end - start;
    if (depth >= maxDepth || n < minSplit || w0 === 0 || w1 === 0) return id;
    const split = bestSplit(start, end, w0, w1);
    if (!split) return id;
    const mid = partition(samples, start, end, data.codes[split.feature], split.bin);
    feature[id] = split.feature;
    threshold[id] = split.threshold;
    left[id] = build(start, mid, depth + 1);
    right[id] = build(mid, end, depth + 1);
    return id;
  };

  if (samples.length > 0) build(0, samples.length, 0);
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    impurity: Float64Array.from(impurity),
    weight: Float64Array.from(weight),
  };
}

// The graph's traversal (x <= threshold goes left), also what training routes rows by.
export { leafOf } from "../onnx/tree_ensemble.ts";

/** Weighted impurity decrease per feature (scikit-learn's unnormalised MDI). */
export function impurityDecrease(tree: Tree, nFeatures: number): Float64Array {
  const out = new Float64Array(nFeatures);
  for (let node = 0; node < tree.feature.length; node++) {
    const f = tree.feature[node];
    if (f < 0) continue;
    const l = tree.left[node], r = tree.right[node];
    out[f] += tree.weight[node] * tree.impurity[node] - tree.weight[l] * tree.impurity[l] -
      tree.weight[r] * tree.impurity[r];
  }
  return out;
}
