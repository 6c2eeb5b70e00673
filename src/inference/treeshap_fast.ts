/**
 * The same path-dependent SHAP values as Algorithm 2, faster for shallow paths by precomputing,
 * per leaf, one number for every subset of its path's features (Fast TreeSHAP v2, Yang 2021,
 * arXiv:2109.09847, in this closed form):
 *
 * A leaf with value v whose path splits on the distinct features P (d of them; z_j the product
 * of cover(child) / cover(parent) over the path's splits on j) contributes, for a row following
 * every split on exactly the features H of P,
 *   phi_i = v (1 - z_i) / z_i * T(H \ {i})   for i in H,
 *   phi_i = -v T(H)                          for i in P \ H,
 * with T(H) = prod_{j in P\H} z_j * sum_{S in H} |S|! (d - |S| - 1)! / d! * prod_{j in H\S} z_j.
 * A row then costs one walk over the tree's nodes and O(d) per leaf; the tables cost 2^d
 * numbers per leaf, so only trees whose paths have few distinct features use them.
 * @module
 */

import type { ShapTree } from "./treeshap.ts";

/** Largest number of distinct features on a path for which the tables are built. */
export const MAX_FAST_PATH = 10;

/** A tree with its per-leaf tables. */
export class FastTree {
  /** Position of each split node's feature among the distinct features of its path. */
  readonly #position: Int32Array;
  /** Per leaf (by node id): offset into the tables, and where its path's features start. */
  readonly #tableAt: Int32Array;
  readonly #pathAt: Int32Array;
  readonly #pathLength: Int32Array;
  /** Distinct path features of every leaf, and (1 - z) / z for each. */
  readonly #features: Int32Array;
  readonly #ratio: Float64Array;
  readonly #table: Float64Array;

  /** Entries the tables of `tree` would take, or Infinity when a path is too long. */
  static size(tree: ShapTree): number {
    let total = 0;
    walkPaths(tree, (_, path) => {
      total += path.length > MAX_FAST_PATH ? Infinity : 2 ** path.length;
    });
    return total;
  }

  constructor(readonly tree: ShapTree) {
    const n = tree.feature.length;
    this.#position = new Int32Array(n).fill(-1);
    this.#tableAt = new Int32Array(n).fill(-1);
    this.#pathAt = new Int32Array(n);
    this.#pathLength = new Int32Array(n);
    const features: number[] = [], ratios: number[] = [];
    const leaves: { node: number; zero: number[] }[] = [];
    let tableSize = 0;
    walkPaths(tree, (node, path, zero, position) => {
      if (tree.feature[node] >= 0) {
        this.#position[node] = position;
        return;
      }
      this.#tableAt[node] = tableSize;
      tableSize += 2 ** path.length;
      this.#pathAt[node] = features.length;
      this.#pathLength[node] = path.length;
      features.push(...path);
      ratios.push(...zero.map((z) => (1 - z) / z));
      leaves.push({ node, zero: [...zero] });
    });
    this.#features = Int32Array.from(features);
    this.#ratio = Float64Array.from(ratios);
    this.#table = new Float64Array(tableSize);
    for (const { node, zero } of leaves) {
      fillTable(
        zero,
        this.#table.subarray(this.#tableAt[node], this.#tableAt[node] + 2 ** zero.length),
      );
    }
  }

  /** Adds `scale` times the tree's SHAP values for row `x` to `phi`. */
  explainInto(x: ArrayLike<number>, phi: Float64Array, scale: number): void {
    this.explainRows(x, 1, 0, phi, scale);
  }

  /**
   * Adds `scale` times the SHAP values of many rows (row-major `x`, k features per row) to
   * `phi` (same layout). One pass over the nodes in id order (children come after their
   * parent), each over all rows, so that a leaf's table is read for every row while in cache.
   */
  explainRows(x: ArrayLike<number>, rows: number, k: number, phi: Float64Array, scale: number) {
    const { feature, threshold, left, right, value } = this.tree;
    const position = this.#position, table = this.#table;
    const features = this.#features, ratio = this.#ratio, pathLength = this.#pathLength;
    const tableAt = this.#tableAt, pathStart = this.#pathAt;
    const n = feature.length;
    // cold[node * rows + r]: bit p set when row r went against a split on the path's p-th
    // feature on its way to `node`.
    const cold = this.#coldMasks(n * rows);
    for (let r = 0; r < rows; r++) cold[r] = 0;
    for (let node = 0; node < n; node++) {
      const at = node * rows;
      const f = feature[node];
      if (f >= 0) {
        const bit = 1 << position[node], t = threshold[node];
        const l = left[node] * rows, rr = right[node] * rows;
        for (let r = 0; r < rows; r++) {
          const c = cold[at + r];
          if (x[r * k + f] <= t) {
            cold[l + r] = c;
            cold[rr + r] = c | bit;
          } else {
            cold[l + r] = c | bit;
            cold[rr + r] = c;
          }
        }
        continue;
      }
      const d = pathLength[node];
      if (d === 0) continue;
      const tableStart = tableAt[node], pathAt = pathStart[node], full = (1 << d) - 1;
      const v = value[node] * scale;
      for (let r = 0; r < rows; r++) {
        const hot = full & ~cold[at + r], out = r * k;
        const all = v * table[tableStart + hot];
        for (let p = 0; p < d; p++) {
          const bit = 1 << p, j = out + features[pathAt + p];
          if (hot & bit) phi[j] += v * ratio[pathAt + p] * table[tableStart + (hot ^ bit)];
          else phi[j] -= all;
        }
      }
    }
  }

  #cold = new Int32Array(0);

  /** Scratch for the masks, kept between calls (explanations run one at a time). */
  #coldMasks(size: number): Int32Array {
    if (this.#cold.length < size) this.#cold = new Int32Array(size);
    return this.#cold;
  }
}

/**
 * Visits every node with the distinct features of the path to it (in order of first split),
 * their zero fractions (for a leaf), and for a split node the position of its feature there.
 */
function walkPaths(
  tree: ShapTree,
  visit: (node: number, path: readonly number[], zero: readonly number[], position: number) => void,
): void {
  const path: number[] = [], zero: number[] = [];
  const recurse = (node: number): void => {
    const f = tree.feature[node];
    if (f < 0) {
      visit(node, path, zero, -1);
      return;
    }
    let p = path.indexOf(f);
    const added = p < 0;
    if (added) {
      p = path.length;
      path.push(f);
      zero.push(1);
    }
    visit(node, path, zero, p);
    const before = zero[p];
    for (const child of [tree.left[node], tree.right[node]]) {
      zero[p] = before * (tree.cover[child] / tree.cover[node]);
      recurse(child);
    }
    zero[p] = before;
    if (added) {
      path.pop();
      zero.pop();
    }
  };
  recurse(0);
}

/** Working space of {@link fillTable}, sized for the longest path it takes (reused: no garbage). */
const SCRATCH = {
  weights: new Float64Array(MAX_FAST_PATH),
  poly: new Float64Array((1 << MAX_FAST_PATH) * (MAX_FAST_PATH + 1)),
  inside: new Float64Array(1 << MAX_FAST_PATH),
};

/** T(H) for every subset H (as a bit mask) of a leaf's path features with zero fractions z. */
function fillTable(z: readonly number[], out: Float64Array): void {
  const d = z.length;
  // Shapley weights w(k) = k! (d - k - 1)! / d!, for k = 0 .. d - 1.
  const w = SCRATCH.weights;
  for (let k = 0; k < d; k++) w[k] = 1 / (d * binomial(d - 1, k));
  // poly[H] = prod_{j in H} (u + z_j), coefficients by power of u; built from H minus its top bit.
  const poly = SCRATCH.poly;
  const inside = SCRATCH.inside; // prod_{j in H} z_j
  poly.fill(0, 0, d + 1); // the empty set's polynomial: 1
  poly[0] = 1;
  inside[0] = 1;
  for (let h = 1; h < 1 << d; h++) {
    const top = 31 - Math.clz32(h), rest = h ^ (1 << top);
    const from = rest * (d + 1), to = h * (d + 1);
    for (let k = 0; k <= d; k++) {
      poly[to + k] = poly[from + k] * z[top] + (k > 0 ? poly[from + k - 1] : 0);
    }
    inside[h] = inside[rest] * z[top];
  }
  const full = (1 << d) - 1;
  for (let h = 0; h <= full; h++) {
    let sum = 0;
    const size = popcount(h);
    // |S| = d only for H = P, whose T no row needs (a full H has no feature outside it).
    for (let k = 0; k <= size && k < d; k++) sum += w[k] * poly[h * (d + 1) + k];
    out[h] = inside[full ^ h] * sum;
  }
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

function popcount(h: number): number {
  let c = 0;
  for (; h; h &= h - 1) c++;
  return c;
}
