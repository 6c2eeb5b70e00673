/**
 * Path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, arXiv:1802.03888, Algorithm 2), a port
 * of `tree_shap_recursive` with EXTEND, UNWIND and the unwound path sum from the shap
 * repository's `shap/cext/tree_shap.h`. Exact Shapley values, per row, of the value function
 * that follows the row's branch for features in the coalition and splits the weight by the
 * children's covers for the others: O(leaves x depth^2) per tree.
 *
 * Pure code over flat tree arrays (as an ONNX TreeEnsemble holds them, plus covers), so that
 * the server can use it without any training code.
 * @module
 */

import { FastTree } from "./treeshap_fast.ts";

/** One tree: node 0 is the root; `left` is where x <= threshold goes (BRANCH_LEQ). */
export interface ShapTree {
  /** Feature index of a split node, -1 for a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** The leaf's output (ignored for split nodes). */
  readonly value: Float64Array;
  /** (Weighted) number of training samples that reached the node; > 0 everywhere. */
  readonly cover: Float64Array;
}

/** An additive ensemble: output = offset + scale * sum over trees of the leaf values. */
export interface ShapEnsemble {
  readonly trees: readonly ShapTree[];
  readonly nFeatures: number;
  readonly scale: number;
  readonly offset: number;
  /** What the output is: a probability (forest) or a log-odds margin (boosting). */
  readonly space: "probability" | "log-odds";
}

/** Depth of a tree (edges on its longest root-to-leaf path). */
export function treeDepth(tree: ShapTree): number {
  const depthOf = (node: number): number =>
    tree.feature[node] < 0 ? 0 : 1 + Math.max(depthOf(tree.left[node]), depthOf(tree.right[node]));
  return depthOf(0);
}

/**
 * The tree's expected output under its own covers: each leaf weighted by the product of
 * cover(child) / cover(parent) along its path (the cover-weighted mean of the leaves when
 * covers add up). TreeSHAP's values add up to output - this.
 */
export function expectedValue(tree: ShapTree): number {
  const walk = (node: number): number => {
    if (tree.feature[node] < 0) return tree.value[node];
    const l = tree.left[node], r = tree.right[node], c = tree.cover[node];
    return (tree.cover[l] / c) * walk(l) + (tree.cover[r] / c) * walk(r);
  };
  return walk(0);
}

/** The unique path: features, zero/one fractions and permutation weights (shap's PathElement). */
class Path {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;

  /** Ratios of path positions, [d * stride + i]: the recursion's divisions, done once. */
  readonly stride: number;
  /** (i + 1) / (d + 1) */
  readonly up: Float64Array;
  /** (d - i) / (d + 1) */
  readonly down: Float64Array;
  /** (d + 1) / (i + 1) */
  readonly upInverse: Float64Array;
  /** (d + 1) / (d - i) */
  readonly downInverse: Float64Array;

  /** Room for one path segment per recursion level, each up to `depth + 2` long. */
  constructor(readonly depth: number) {
    const size = ((depth + 2) * (depth + 3)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
    const stride = this.stride = depth + 2;
    this.up = new Float64Array(stride * stride);
    this.down = new Float64Array(stride * stride);
    this.upInverse = new Float64Array(stride * stride);
    this.downInverse = new Float64Array(stride * stride);
    for (let d = 0; d < stride; d++) {
      for (let i = 0; i < d; i++) {
        this.up[d * stride + i] = (i + 1) / (d + 1);
        this.down[d * stride + i] = (d - i) / (d + 1);
        this.upInverse[d * stride + i] = (d + 1) / (i + 1);
        this.downInverse[d * stride + i] = (d + 1) / (d - i);
      }
    }
  }

  /** Copies the `length` first elements of the segment at `from` to the one at `to`. */
  copy(from: number, to: number, length: number): void {
    // Paths are short: a plain loop beats four copyWithin calls.
    for (let i = 0; i < length; i++) {
      this.feature[to + i] = this.feature[from + i];
      this.zero[to + i] = this.zero[from + i];
      this.one[to + i] = this.one[from + i];
      this.weight[to + i] = this.weight[from + i];
    }
  }

  /** EXTEND: appends (feature, zero, one) at position `d` of the segment at `at`. */
  extend(at: number, d: number, zero: number, one: number, feature: number): void {
    const w = this.weight;
    this.feature[at + d] = feature;
    this.zero[at + d] = zero;
    this.one[at + d] = one;
    w[at + d] = d === 0 ? 1 : 0;
    const row = d * this.stride;
    for (let i = d - 1; i >= 0; i--) {
      w[at + i + 1] += one * w[at + i] * this.up[row + i];
      w[at + i] = zero * w[at + i] * this.down[row + i];
    }
  }

  /** UNWIND: removes element `index` from a path of `d + 1` elements. */
  unwind(at: number, d: number, index: number): void {
    const w = this.weight;
    const one = this.one[at + index], zero = this.zero[at + index];
    let next = w[at + d];
    for (let i = d - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = w[at + i];
        w[at + i] = (next * (d + 1)) / ((i + 1) * one);
        next = tmp - (w[at + i] * zero * (d - i)) / (d + 1);
      } else {
        w[at + i] = (w[at + i] * (d + 1)) / (zero * (d - i));
      }
    }
    for (let i = index; i < d; i++) {
      this.feature[at + i] = this.feature[at + i + 1];
      this.zero[at + i] = this.zero[at + i + 1];
      this.one[at + i] = this.one[at + i + 1];
    }
  }

  /**
   * The total permutation weight of the path with element `index` unwound (not modified), for
   * an element whose one fraction is 1 (one fractions are 0 or 1 in path-dependent TreeSHAP).
   */
  unwoundSumOfHot(at: number, d: number, index: number): number {
    const w = this.weight;
    const zero = this.zero[at + index];
    const row = d * this.stride;
    let next = w[at + d];
    let total = 0;
    for (let i = d - 1; i >= 0; i--) {
      const tmp = next * this.upInverse[row + i];
      total += tmp;
      next = w[at + i] - tmp * zero * this.down[row + i];
    }
    return total;
  }

  /**
   * The unwound sum of an element whose one fraction is 0, times its zero fraction: the same
   * for every such element of the path, so computed once per leaf.
   */
  unwoundSumOfCold(at: number, d: number): number {
    const w = this.weight;
    const row = d * this.stride;
    let total = 0;
    for (let i = d - 1; i >= 0; i--) total += w[at + i] * this.downInverse[row + i];
    return total;
  }
}

/** Per-tree scratch space, reusable across rows. */
export class TreeShapScratch {
  #paths = new Map<number, Path>();

  path(depth: number): Path {
    let p = this.#paths.get(depth);
    if (!p) this.#paths.set(depth, p = new Path(depth));
    return p;
  }
}

/**
 * Adds `scale` times the tree's SHAP values for the row `x` (feature values, indexed like the
 * tree's features) to `phi`. Their sum is scale * (output(x) - expectedValue(tree)).
 */
export function treeShap(
  tree: ShapTree,
  x: ArrayLike<number>,
  phi: Float64Array,
  scale = 1,
  depth = treeDepth(tree),
  scratch = new TreeShapScratch(),
): void {
  const path = scratch.path(depth);
  const { feature, threshold, left, right, value, cover } = tree;
  // Segment of recursion level k starts at k(k+1)/2 and holds up to k+1 elements.
  const recurse = (
    node: number,
    level: number,
    parentAt: number,
    unique: number,
    zero: number,
    one: number,
    parentFeature: number,
  ): void => {
    const at = parentAt + level;
    if (level > 0) path.copy(parentAt, at, unique);
    path.extend(at, unique, zero, one, parentFeature);
    const split = feature[node];
    if (split < 0) {
      const v = value[node] * scale;
      // A feature the row does not follow here (one fraction 0) gets (0 - z) * (sum / z) * v.
      let cold = NaN;
      for (let i = 1; i <= unique; i++) {
        const one = path.one[at + i];
        if (one === 0) {
          if (Number.isNaN(cold)) cold = path.unwoundSumOfCold(at, unique) * v;
          phi[path.feature[at + i]] -= cold;
        } else {
          const w = path.unwoundSumOfHot(at, unique, i);
          phi[path.feature[at + i]] += w * (1 - path.zero[at + i]) * v;
        }
      }
      return;
    }
    const l = left[node], r = right[node];
    const goesLeft = x[split] <= threshold[node];
    const hot = goesLeft ? l : r, cold = goesLeft ? r : l;
    let incomingZero = 1, incomingOne = 1;
    let d = unique;
    // A feature already on the path is unwound first, then re-extended with both fractions.
    let k = 1;
    while (k <= d && path.feature[at + k] !== split) k++;
    if (k <= d) {
      incomingZero = path.zero[at + k];
      incomingOne = path.one[at + k];
      path.unwind(at, d, k);
      d--;
    }
    const c = cover[node];
    recurse(hot, level + 1, at, d + 1, (cover[hot] / c) * incomingZero, incomingOne, split);
    recurse(cold, level + 1, at, d + 1, (cover[cold] / c) * incomingZero, 0, split);
  };
  recurse(0, 0, 0, 0, 1, 1, -1);
}

/** An explanation of one row in the ensemble's output space. */
export interface RowExplanation {
  /** offset + scale * sum of the trees' expected values. */
  readonly base: number;
  /** One value per feature; base + their sum = the ensemble's output for the row. */
  readonly phi: Float64Array;
}

/** Default memory for the per-leaf tables of {@link FastTree}: 2^21 numbers (16 MB). */
export const FAST_TABLE_BUDGET = 2 ** 21;

/**
 * Explains rows of an ensemble, with per-tree depths, expectations and scratch computed once.
 * The first trees whose tables fit the budget together (in table entries) use
 * {@link FastTree}, the others Algorithm 2; both give the same values. The tables are built on
 * the first explanation.
 */
export class EnsembleExplainer {
  readonly base: number;
  readonly #depths: number[];
  readonly #scratch = new TreeShapScratch();
  #fast?: (FastTree | undefined)[];

  constructor(readonly ensemble: ShapEnsemble, readonly tableBudget = FAST_TABLE_BUDGET) {
    for (const tree of ensemble.trees) checkTree(tree, ensemble.nFeatures);
    this.#depths = ensemble.trees.map(treeDepth);
    this.base = ensemble.offset +
      ensemble.scale * ensemble.trees.reduce((a, t) => a + expectedValue(t), 0);
  }

  #fastTrees(): (FastTree | undefined)[] {
    if (this.#fast) return this.#fast;
    let left = this.tableBudget;
    return this.#fast = this.ensemble.trees.map((tree) => {
      const size = FastTree.size(tree);
      if (!(size <= left)) left = -1; // no tables for this tree or any later one
      if (left < 0) return undefined;
      left -= size;
      return new FastTree(tree);
    });
  }

  /** How many trees use the precomputed tables. */
  get fastTrees(): number {
    return this.#fastTrees().filter((t) => t !== undefined).length;
  }

  /** SHAP values of the row `x` (one value per feature), added into `phi` (zeroed first). */
  explainInto(x: ArrayLike<number>, phi: Float64Array): Float64Array {
    phi.fill(0);
    const { trees, scale } = this.ensemble;
    const fast = this.#fastTrees();
    for (let t = 0; t < trees.length; t++) {
      const tree = fast[t];
      if (tree) tree.explainInto(x, phi, scale);
      else treeShap(trees[t], x, phi, scale, this.#depths[t], this.#scratch);
    }
    return phi;
  }

  /**
   * SHAP values of `rows` rows (row-major `x`, nFeatures per row) into `phi` (same layout,
   * zeroed first): the same numbers as {@link explainInto} row by row, faster for many rows.
   */
  explainRowsInto(x: Float32Array, rows: number, phi: Float64Array): Float64Array {
    const k = this.ensemble.nFeatures;
    if (x.length !== rows * k || phi.length !== rows * k) {
      throw new Error(`expected ${rows} x ${k} features and values`);
    }
    phi.fill(0);
    const { trees, scale } = this.ensemble;
    const fast = this.#fastTrees();
    for (let t = 0; t < trees.length; t++) {
      const tree = fast[t];
      if (tree) tree.explainRows(x, rows, k, phi, scale);
      else {
        for (let r = 0; r < rows; r++) {
          const row = phi.subarray(r * k, (r + 1) * k);
          treeShap(
            trees[t],
            x.subarray(r * k, (r + 1) * k),
            row,
            scale,
            this.#depths[t],
            this.#scratch,
          );
        }
      }
    }
    return phi;
  }

  explain(x: ArrayLike<number>): RowExplanation {
    return { base: this.base, phi: this.explainInto(x, new Float64Array(this.ensemble.nFeatures)) };
  }

  /** The ensemble's output for a row, by walking the trees (float64). */
  output(x: ArrayLike<number>): number {
    let sum = 0;
    for (const tree of this.ensemble.trees) {
      let node = 0;
      while (tree.feature[node] >= 0) {
        node = x[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
      }
      sum += tree.value[node];
    }
    return this.ensemble.offset + this.ensemble.scale * sum;
  }
}

/** Refuses trees the recursion cannot walk: bad child ids, features out of range, covers <= 0. */
function checkTree(tree: ShapTree, nFeatures: number): void {
  const n = tree.feature.length;
  for (const array of [tree.threshold, tree.left, tree.right, tree.value, tree.cover]) {
    if (array.length !== n) throw new Error(`a tree's arrays differ in length (${n} nodes)`);
  }
  for (let node = 0; node < n; node++) {
    if (!(tree.cover[node] > 0)) throw new Error(`node ${node} has cover ${tree.cover[node]}`);
    const f = tree.feature[node];
    if (f < 0) continue;
    if (f >= nFeatures) throw new Error(`node ${node} splits on feature ${f} of ${nFeatures}`);
    for (const child of [tree.left[node], tree.right[node]]) {
      if (!(child > node && child < n)) throw new Error(`node ${node} has child ${child}`);
    }
  }
}
