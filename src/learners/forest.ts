/**
 * Random forest classifier with scikit-learn's semantics: bootstrap samples, `maxFeatures`
 * per split ("sqrt" by default), `classWeight` ("balanced", "balanced_subsample" or a map),
 * and probabilities averaged over trees. Each tree draws from its own PRNG stream, so the
 * model depends only on the data and `randomState`.
 *
 * Leaf probabilities are rounded to a dyadic grid fine enough that the sum over all trees
 * is exact in float32: onnxruntime then adds them in any order and gets the same bits as
 * {@link RandomForestClassifier.predictProba}.
 * @module
 */

import type { GraphBuilder } from "../onnx/builder.ts";
import { binaryOutputs, sumLeafWeights, treeEnsembleSum } from "../onnx/tree_ensemble.ts";
import type { ShapEnsemble } from "../inference/treeshap.ts";
import { type Classifier, exactSumBits, quantize } from "./classifier.ts";
import { binMatrix, type Matrix } from "./matrix.ts";
import { Random } from "./random.ts";
import { growTree, impurityDecrease, type MaxFeatures, type Tree } from "./tree.ts";

/** A class weighting scheme (scikit-learn's `class_weight`). */
export type ClassWeight = null | "balanced" | "balanced_subsample" | { 0: number; 1: number };

/** Forest parameters (scikit-learn names in camelCase). */
export interface ForestParams {
  nEstimators: number;
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: MaxFeatures;
  bootstrap: boolean;
  classWeight: ClassWeight;
  randomState: number;
}

export const DEFAULT_FOREST_PARAMS: ForestParams = {
  nEstimators: 100,
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: "sqrt",
  bootstrap: true,
  classWeight: null,
  randomState: 0,
};

/** A tree's leaves with their quantised P(class 1). */
export interface ForestTree extends Tree {
  readonly leafWeight: Float64Array;
}

function classWeights(y: Uint8Array, counts: Float64Array, scheme: ClassWeight): [number, number] {
  if (scheme === null) return [1, 1];
  if (typeof scheme === "object") return [scheme[0], scheme[1]];
  let n0 = 0, n1 = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i]) n1 += counts[i];
    else n0 += counts[i];
  }
  const n = n0 + n1;
  return [n0 > 0 ? n / (2 * n0) : 1, n1 > 0 ? n / (2 * n1) : 1];
}

/** Bits after the binary point for leaf values, so that sums over `trees` stay exact. */
export function leafFractionBits(trees: number): number {
  return exactSumBits(trees); // each leaf value is at most 1
}

/** A random forest of CART trees. */
export class RandomForestClassifier implements Classifier {
  readonly estimator = "RandomForestClassifier";
  readonly params: ForestParams;
  trees: ForestTree[] = [];
  nFeatures = 0;
  featureNames: readonly string[] = [];

  constructor(params: Partial<ForestParams> = {}) {
    this.params = { ...DEFAULT_FOREST_PARAMS, ...params };
    if (!(this.params.nEstimators >= 1)) throw new Error("nEstimators must be at least 1");
  }

  /** Fits the forest on features `x` and labels `y` (0/1). */
  fit(x: Matrix, y: Uint8Array): this {
    if (y.length !== x.rows) throw new Error(`${x.rows} rows but ${y.length} labels`);
    const p = this.params;
    const binned = binMatrix(x);
    const bits = leafFractionBits(p.nEstimators);
    const ones = new Float64Array(x.rows).fill(1);
    const fixed = p.classWeight === "balanced_subsample"
      ? null
      : classWeights(y, ones, p.classWeight);
    this.trees = [];
    for (let t = 0; t < p.nEstimators; t++) {
      const random = new Random(p.randomState, t);
      const counts = new Float64Array(x.rows);
      if (p.bootstrap) { for (let i = 0; i < x.rows; i++) counts[random.nextInt(x.rows)]++; }
      else counts.fill(1);
      const [cw0, cw1] = fixed ?? classWeights(y, counts, "balanced");
      const weights = counts.map((c, i) => c * (y[i] ? cw1 : cw0));
      const tree = growTree(binned, y, weights, p, random);
      const leafWeight = quantize(tree.value.slice(), bits);
      this.trees.push({ ...tree, leafWeight });
    }
    this.nFeatures = x.columns.length;
    this.featureNames = x.names;
    return this;
  }

  #requireFitted(): void {
    if (this.trees.length === 0) throw new Error("the forest is not fitted");
  }

  /** Sum over trees of the leaf weights: exact, whatever the order. */
  scores(x: Matrix): Float64Array {
    this.#requireFitted();
    return sumLeafWeights(this.trees, x.columns, x.rows);
  }

  /** P(class 1) per row, in float32 exactly as the ONNX graph computes it. */
  predictProba(x: Matrix): Float32Array {
    const n = Math.fround(this.trees.length);
    return Float32Array.from(this.scores(x), (s) => Math.fround(s / n));
  }

  /** 0/1 per row: class 1 when p > 1 - p, as the graph's ArgMax (ties go to 0). */
  predict(x: Matrix): Uint8Array {
    return labelsFromProba(this.predictProba(x));
  }

  /** Adds the forest and the graph outputs. */
  toOnnx(g: GraphBuilder, features: string): void {
    binaryOutputs(g, forestToOnnx(g, this, features));
  }

  /**
   * The forest for TreeSHAP: the exported leaf values, each node's cover being the weighted
   * number of training samples that reached it (bootstrap counts times class weights, what
   * scikit-learn calls `weighted_n_node_samples` and shap uses), and the mean over trees.
   */
  shapEnsemble(): ShapEnsemble {
    this.#requireFitted();
    return {
      trees: this.trees.map((t) => ({ ...t, value: t.leafWeight, cover: t.weight })),
      nFeatures: this.nFeatures,
      scale: 1 / this.trees.length,
      offset: 0,
      space: "probability",
    };
  }

  /** Normalised mean impurity decrease per feature (scikit-learn's `feature_importances_`). */
  featureImportances(): Float64Array {
    this.#requireFitted();
    const total = new Float64Array(this.nFeatures);
    for (const tree of this.trees) {
      const mdi = impurityDecrease(tree, this.nFeatures);
      const sum = mdi.reduce((a, b) => a + b, 0);
      if (sum > 0) mdi.forEach((v, f) => (total[f] += v / sum));
    }
    const sum = total.reduce((a, b) => a + b, 0);
    return sum > 0 ? total.map((v) => v / sum) : total;
  }
}

/** Adds the forest to a graph: [N,k] float32 features in, [N,1] P(class 1) out. */
export function forestToOnnx(g: GraphBuilder, forest: RandomForestClassifier, x: string): string {
  if (forest.trees.length === 0) throw new Error("the forest is not fitted");
  const sum = treeEnsembleSum(g, forest.trees, x);
  return g.op("Div", [sum, g.floats("n_trees", [forest.trees.length], [1, 1])]);
}

/** 0/1 labels from P(class 1), exactly as the graph's ArgMax over [1-p, p] (ties go to 0). */
export function labelsFromProba(p: Float32Array): Uint8Array {
  return Uint8Array.from(p, (v) => (v > Math.fround(1 - v) ? 1 : 0));
}
