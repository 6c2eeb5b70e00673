/**
 * Gradient-boosted trees for a binary label (log loss), in the manner of XGBoost and
 * scikit-learn's HistGradientBoosting: Newton leaf values -G/(H + l2), split gain with L2
 * regularisation and `minSplitGain`, `minChildWeight` on the hessian, shrinkage, row and
 * column subsampling per tree, exact histogram splits, and early stopping on a stratified
 * inner validation split. Seeded: the same data and `randomState` give the same model.
 *
 * The exported margin is the sum of leaf values (quantised so that the sum is exact in
 * float32 in any order) plus the base score; the label is margin > 0.
 * @module
 */

import type { GraphBuilder } from "../onnx/builder.ts";
import {
  binaryOutputs,
  type ExportTree,
  leafOf,
  sumLeafWeights,
  treeEnsembleSum,
} from "../onnx/tree_ensemble.ts";
import type { ShapEnsemble } from "../inference/treeshap.ts";
import { type Classifier, exactSumBits, quantize } from "./classifier.ts";
import { binMatrix, type BinnedMatrix, type Matrix, partition, splitThreshold } from "./matrix.ts";
import { Random } from "./random.ts";

/** Boosting parameters (XGBoost / scikit-learn names in camelCase). */
export interface BoostingParams {
  nEstimators: number;
  learningRate: number;
  maxDepth: number;
  /** Minimum hessian sum in a child. */
  minChildWeight: number;
  /** L2 regularisation of leaf values (XGBoost's `lambda`). */
  l2Regularization: number;
  /** Minimum loss reduction to split (XGBoost's `gamma`). */
  minSplitGain: number;
  /** Fraction of rows drawn (without replacement) for each tree. */
  subsample: number;
  /** Fraction of features drawn for each tree. */
  colsampleByTree: number;
  /** Stop when the validation log loss has not improved for this many trees (0: off). */
  earlyStoppingRounds: number;
  /** Share of the training rows held out for early stopping. */
  validationFraction: number;
  randomState: number;
}

export const DEFAULT_BOOSTING_PARAMS: BoostingParams = {
  nEstimators: 200,
  learningRate: 0.1,
  maxDepth: 3,
  minChildWeight: 1,
  l2Regularization: 1,
  minSplitGain: 0,
  subsample: 1,
  colsampleByTree: 1,
  earlyStoppingRounds: 0,
  validationFraction: 0.1,
  randomState: 0,
};

/** A fitted regression tree: ids in preorder, root 0. */
interface BoostedTree extends ExportTree {
  readonly gain: Float64Array;
  /** Unquantised leaf values (used while boosting). */
  readonly rawValue: Float64Array;
  /**
   * Training rows (of the tree's subsample) that reached each node: TreeSHAP's cover. XGBoost's
   * cover is the hessian sum instead; the count keeps every row's weight equal, as in the forest.
   */
  readonly cover: Float64Array;
}

const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

function growRegressionTree(
  data: BinnedMatrix,
  rows: Int32Array,
  grad: Float64Array,
  hess: Float64Array,
  features: number[],
  p: BoostingParams,
): BoostedTree {
  const hg = new Float64Array(data.maxBins);
  const hh = new Float64Array(data.maxBins);
  const hn = new Int32Array(data.maxBins);
  const lambda = p.l2Regularization;
  const feature: number[] = [], threshold: number[] = [], left: number[] = [];
  const right: number[] = [], value: number[] = [], gain: number[] = [], cover: number[] = [];
  const samples = rows.slice();
  const score = (g: number, h: number) => (g * g) / (h + lambda);

  const build = (start: number, end: number, depth: number): number => {
    let G = 0, H = 0;
    for (let s = start; s < end; s++) {
      G += grad[samples[s]];
      H += hess[samples[s]];
    }
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    value.push(-G / (H + lambda) * p.learningRate);
    gain.push(0);
    cover.push(end - start);
    if (depth >= p.maxDepth || end - start < 2 || H < 2 * p.minChildWeight) return id;
    const parent = score(G, H);
    let best = { gain: p.minSplitGain, feature: -1, bin: -1, next: -1 };
    for (const f of features) {
      const codes = data.codes[f];
      const nBins = data.values[f].length;
      hg.fill(0, 0, nBins);
      hh.fill(0, 0, nBins);
      hn.fill(0, 0, nBins);
      for (let s = start; s < end; s++) {
        const i = samples[s];
        const b = codes[i];
        hg[b] += grad[i];
        hh[b] += hess[i];
        hn[b]++;
      }
      let gl = 0, hl = 0, last = -1;
      for (let b = 0; b < nBins; b++) {
        if (hn[b] === 0) continue;
        if (last >= 0 && hl >= p.minChildWeight && H - hl >= p.minChildWeight) {
          const gainHere = 0.5 * (score(gl, hl) + score(G - gl, H - hl) - parent);
          if (gainHere > best.gain) best = { gain: gainHere, feature: f, bin: last, next: b };
        }
        gl += hg[b];
        hl += hh[b];
        last = b;
      }
    }
    if (best.feature < 0) return id;
    const mid = partition(samples, start, end, data.codes[best.feature], best.bin);
    const values = data.values[best.feature];
    feature[id] = best.feature;
    threshold[id] = splitThreshold(values[best.bin], values[best.next]);
    gain[id] = best.gain;
    left[id] = build(start, mid, depth + 1);
    right[id] = build(mid, end, depth + 1);
    return id;
  };
  build(0, samples.length, 0);
  const rawValue = Float64Array.from(value);
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    leafWeight: rawValue.slice(),
    rawValue,
    gain: Float64Array.from(gain),
    cover: Float64Array.from(cover),
  };
}

/** Stratified split of row indices into (train, validation). */
function innerSplit(y: Uint8Array, fraction: number, random: Random): [Int32Array, Int32Array] {
  const train: number[] = [], valid: number[] = [];
  for (const label of [0, 1]) {
    const members = Array.from(y.keys()).filter((i) => y[i] === label);
    random.shuffle(members);
    const cut = Math.round(members.length * fraction);
    valid.push(...members.slice(0, cut));
    train.push(...members.slice(cut));
  }
  const sorted = (a: number[]) => Int32Array.from(a.sort((x, z) => x - z));
  return [sorted(train), sorted(valid)];
}

/**
 * Gradient-boosted trees with log loss, grown XGBoost's way: Newton steps (gradients and
 * hessians), L2 regularisation of leaf values, min_child_weight and gamma; scikit-learn's
 * HistGradientBoostingClassifier is the reference it is tested against. Not scikit-learn's
 * GradientBoostingClassifier (first-order steps), whose name it carried before.
 */
export class XGBoostStyleClassifier implements Classifier {
  readonly estimator = "XGBoostStyleClassifier";
  readonly params: BoostingParams;
  trees: BoostedTree[] = [];
  /** Float32 base margin: log-odds of the training rows. */
  baseScore = 0;
  nFeatures = 0;
  /** Trees kept by early stopping (= trees.length). */
  bestIteration = 0;

  constructor(params: Partial<BoostingParams> = {}) {
    this.params = { ...DEFAULT_BOOSTING_PARAMS, ...params };
    if (!(this.params.nEstimators >= 1)) throw new Error("nEstimators must be at least 1");
    if (!(this.params.learningRate > 0)) throw new Error("learningRate must be positive");
  }

  /**
   * Fits on `x`, `y`. With `earlyStoppingRounds`, stops on the log loss of `validation` when
   * given (XGBoost's eval_set; all of `x` is then trained on), else of a stratified
   * `validationFraction` of the rows held out; keeps the trees up to the best round.
   */
  fit(x: Matrix, y: Uint8Array, validation?: { x: Matrix; y: Uint8Array }): this {
    if (y.length !== x.rows) throw new Error(`${x.rows} rows but ${y.length} labels`);
    const p = this.params;
    if (validation && !(p.earlyStoppingRounds > 0)) {
      throw new Error("a validation set is for early stopping: set earlyStoppingRounds");
    }
    if (validation && validation.y.length !== validation.x.rows) {
      throw new Error(`validation: ${validation.x.rows} rows but ${validation.y.length} labels`);
    }
    const random = new Random(p.randomState, 7);
    const data = binMatrix(x);
    const [trainRows, validRows] = p.earlyStoppingRounds > 0 && !validation
      ? innerSplit(y, p.validationFraction, random)
      : [Int32Array.from(y.keys()), Int32Array.from(validation?.y.keys() ?? [])];
    const positives = trainRows.reduce((a, i) => a + y[i], 0);
    const rate = Math.min(Math.max(positives / trainRows.length, 1e-6), 1 - 1e-6);
    this.baseScore = Math.fround(Math.log(rate / (1 - rate)));
    const margin = new Float64Array(x.rows).fill(this.baseScore);
    // The validation rows' margins: their own when the set is separate, else within `margin`.
    const valid = validation ?? { x, y };
    const validMargin = validation
      ? new Float64Array(validation.x.rows).fill(this.baseScore)
      : margin;
    const grad = new Float64Array(x.rows), hess = new Float64Array(x.rows);
    const nFeatures = x.columns.length;
    const perTree = Math.max(1, Math.round(p.colsampleByTree * nFeatures));
    const perTreeRows = Math.max(1, Math.round(p.subsample * trainRows.length));
    const trees: BoostedTree[] = [];
    let bestLoss = Infinity, bestCount = 0;
    for (let t = 0; t < p.nEstimators; t++) {
      for (const i of trainRows) {
        const prob = sigmoid(margin[i]);
        grad[i] = prob - y[i];
        hess[i] = Math.max(prob * (1 - prob), 1e-16);
      }
      const order = Array.from({ length: nFeatures }, (_, f) => f);
      if (perTree < nFeatures) random.shuffle(order);
      const features = order.slice(0, perTree).sort((a, b) => a - b);
      let rows = trainRows;
      if (perTreeRows < trainRows.length) {
        const shuffled = Array.from(trainRows);
        random.shuffle(shuffled);
        rows = Int32Array.from(shuffled.slice(0, perTreeRows));
      }
      const tree = growRegressionTree(data, rows, grad, hess, features, p);
      trees.push(tree);
      for (let i = 0; i < x.rows; i++) margin[i] += tree.rawValue[leafOf(tree, x.columns, i)];
      if (validation) {
        for (const i of validRows) {
          validMargin[i] += tree.rawValue[leafOf(tree, validation.x.columns, i)];
        }
      }
      if (validRows.length > 0) {
        let loss = 0;
        for (const i of validRows) {
          const prob = Math.min(Math.max(sigmoid(validMargin[i]), 1e-15), 1 - 1e-15);
          loss -= valid.y[i] ? Math.log(prob) : Math.log(1 - prob);
        }
        if (loss < bestLoss - 1e-12) {
          bestLoss = loss;
          bestCount = trees.length;
        } else if (trees.length - bestCount >= p.earlyStoppingRounds) break;
      }
    }
    this.trees = validRows.length > 0 ? trees.slice(0, Math.max(1, bestCount)) : trees;
    // Quantise the leaves so that onnxruntime's float32 sum is exact whatever its order.
    const bound = this.trees.reduce(
      (a, tree) => a + tree.rawValue.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
      0,
    );
    const bits = exactSumBits(bound);
    for (const tree of this.trees) {
      tree.leafWeight.set(quantize(tree.rawValue.slice(), bits));
    }
    this.bestIteration = this.trees.length;
    this.nFeatures = nFeatures;
    return this;
  }

  #requireFitted(): void {
    if (this.trees.length === 0) throw new Error("the boosting model is not fitted");
  }

  /** The float32 margin per row, bit-identical to the graph's. */
  margins(x: Matrix): Float32Array {
    this.#requireFitted();
    const sum = sumLeafWeights(this.trees, x.columns, x.rows);
    return Float32Array.from(sum, (s) => Math.fround(Math.fround(s) + this.baseScore));
  }

  /** P(class 1), correctly rounded: onnxruntime's Sigmoid of the same margin is within 2^-22. */
  predictProba(x: Matrix): Float32Array {
    return this.margins(x).map((m) => Math.fround(sigmoid(m)));
  }

  /** Class 1 where the margin is positive, exactly as the graph's label. */
  predict(x: Matrix): Uint8Array {
    return Uint8Array.from(this.margins(x), (m) => (m > 0 ? 1 : 0));
  }

  toOnnx(g: GraphBuilder, features: string): void {
    this.#requireFitted();
    const sum = treeEnsembleSum(g, this.trees, features);
    const margin = g.op("Add", [sum, g.floats("base_score", [this.baseScore], [1, 1])]);
    binaryOutputs(g, g.op("Sigmoid", [margin]), margin);
  }

  /** The model for TreeSHAP: exported leaf values, row counts as covers, the margin's base. */
  shapEnsemble(): ShapEnsemble {
    this.#requireFitted();
    return {
      trees: this.trees.map((t) => ({ ...t, value: t.leafWeight })),
      nFeatures: this.nFeatures,
      scale: 1,
      offset: this.baseScore,
      space: "log-odds",
    };
  }

  /** Total split gain per feature, normalised (XGBoost's "total_gain"). */
  featureImportances(): Float64Array {
    this.#requireFitted();
    const out = new Float64Array(this.nFeatures);
    for (const tree of this.trees) {
      tree.feature.forEach((f, node) => {
        if (f >= 0) out[f] += tree.gain[node];
      });
    }
    const total = out.reduce((a, b) => a + b, 0);
    return total > 0 ? out.map((v) => v / total) : out;
  }
}
