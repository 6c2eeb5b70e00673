/**
 * Converter for tree ensembles: ai.onnx.ml.TreeEnsembleRegressor (SUM of leaf weights) and a
 * small tail that turns the sum into probabilities [1-p, p] and an ArgMax label. The
 * regressor is used instead of TreeEnsembleClassifier, whose binary label output is wrong in
 * onnxruntime when both classes carry weights (reproduced with onnxruntime-node 1.30: the label
 * is always 1 while the probabilities are right), and whose LOGISTIC post-transform with base
 * values gives wrong labels when every leaf weight has the same sign.
 * @module
 */

import { castTo, type GraphBuilder, ML_DOMAIN } from "./builder.ts";

/** A tree as the converter needs it (node 0 = root, preorder ids). */
export interface ExportTree {
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly leafWeight: Float64Array;
}

/** The leaf a row of column-major features falls into: x <= threshold goes left (BRANCH_LEQ). */
export function leafOf(
  tree: Pick<ExportTree, "feature" | "threshold" | "left" | "right">,
  columns: readonly Float32Array[],
  row: number,
): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = columns[tree.feature[node]][row] <= tree.threshold[node]
      ? tree.left[node]
      : tree.right[node];
  }
  return node;
}

/**
 * Per row, the sum over trees of the leaf weights the row falls into: what
 * {@link treeEnsembleSum} computes in the graph. The sum is in float64; learners whose leaf
 * weights sit on a dyadic grid (see `exactSumBits`) get the graph's float32 bits from it.
 */
export function sumLeafWeights(
  trees: readonly ExportTree[],
  columns: readonly Float32Array[],
  rows: number,
): Float64Array {
  const sum = new Float64Array(rows);
  for (const tree of trees) {
    for (let r = 0; r < rows; r++) sum[r] += tree.leafWeight[leafOf(tree, columns, r)];
  }
  return sum;
}

/** Adds the ensemble; returns the [N,1] float32 sum of leaf weights. */
export function treeEnsembleSum(g: GraphBuilder, trees: readonly ExportTree[], x: string): string {
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    targetTree: [] as number[],
    targetNode: [] as number[],
    targetWeight: [] as number[],
  };
  trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const leaf = tree.feature[node] < 0;
      a.treeIds.push(t);
      a.nodeIds.push(node);
      a.featureIds.push(leaf ? 0 : tree.feature[node]);
      a.values.push(leaf ? 0 : tree.threshold[node]);
      a.modes.push(leaf ? "LEAF" : "BRANCH_LEQ");
      a.trueIds.push(leaf ? 0 : tree.left[node]);
      a.falseIds.push(leaf ? 0 : tree.right[node]);
      if (leaf) {
        a.targetTree.push(t);
        a.targetNode.push(node);
        a.targetWeight.push(tree.leafWeight[node]);
      }
    }
  });
  return g.op("TreeEnsembleRegressor", [x], {
    domain: ML_DOMAIN,
    attributes: {
      aggregate_function: { string: "SUM" },
      n_targets: { int: 1 },
      nodes_treeids: { ints: a.treeIds },
      nodes_nodeids: { ints: a.nodeIds },
      nodes_featureids: { ints: a.featureIds },
      nodes_values: { floats: a.values },
      nodes_modes: { strings: a.modes },
      nodes_truenodeids: { ints: a.trueIds },
      nodes_falsenodeids: { ints: a.falseIds },
      nodes_missing_value_tracks_true: { ints: a.treeIds.map(() => 0) },
      post_transform: { string: "NONE" },
      target_ids: { ints: a.targetTree.map(() => 0) },
      target_treeids: { ints: a.targetTree },
      target_nodeids: { ints: a.targetNode },
      target_weights: { floats: a.targetWeight },
    },
  });
}

/**
 * From P(class 1) [N,1]: declares the graph outputs `probabilities` ([N,2] float32, [1-p, p])
 * and `label` ([N] int64). The label is ArgMax over the probabilities (class 1 only when
 * p > 1-p) unless `margin` ([N,1] float32) is given: then it is margin > 0, which training
 * can reproduce exactly even where the sigmoid rounds.
 */
export function binaryOutputs(g: GraphBuilder, p1: string, margin?: string): void {
  const p0 = g.op("Sub", [g.floats("one", [1], [1, 1]), p1]);
  g.node("Concat", [p0, p1], {
    attributes: { axis: { int: 1 } },
    outputNames: ["probabilities"],
  });
  if (margin === undefined) {
    g.node("ArgMax", ["probabilities"], {
      attributes: { axis: { int: 1 }, keepdims: { int: 0 } },
      outputNames: ["label"],
    });
  } else {
    const positive = g.op("Greater", [margin, g.floats("zero", [0], [1, 1])]);
    const asInt = g.op("Cast", [positive], { attributes: castTo("int64") });
    g.node("Squeeze", [asInt, g.int64s("axis1", [1])], { outputNames: ["label"] });
  }
  g.output("label", "int64", ["N"]);
  g.output("probabilities", "float32", ["N", 2]);
}
