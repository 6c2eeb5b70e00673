/**
 * Explanations per raw input: TreeSHAP values of the model's features, summed over the
 * features each raw field (or set of fields) produces. A feature computed from several raw
 * fields counts under their joined name (`Fare+Ticket`): its value is not split between them.
 *
 * What the model file carries for this, in one metadata property (covered by the file's
 * SHA-256 in the model card): the covers of every tree node, the output space and its
 * offset/scale, the feature names and each feature's raw inputs. The trees themselves are read
 * from the TreeEnsembleRegressor node's attributes, so the explanation follows the exact trees
 * onnxruntime runs.
 *
 * The values are path-dependent SHAP values: expectations follow the trees' own splits and
 * training covers, not the conditional distribution of the data.
 * @module
 */

import { readOnnx } from "./onnx_reader.ts";
import { EnsembleExplainer, type ShapEnsemble, type ShapTree } from "./treeshap.ts";

/** The graph output holding the model's float32 features [N, k], as the trees see them. */
export const FEATURES_OUTPUT = "features";

/** The metadata property holding {@link ExplanationMetadata} as JSON. */
export const EXPLANATION_PROPERTY = "treeshap";

/** What {@link EXPLANATION_PROPERTY} holds. */
export interface ExplanationMetadata {
  readonly version: 1;
  readonly space: ShapEnsemble["space"];
  /** Model output = offset + scale * sum of the trees' leaf values. */
  readonly offset: number;
  readonly scale: number;
  /** The model's features, in the order of the tree ensemble's feature ids. */
  readonly features: readonly string[];
  /** Each feature's raw inputs (graph inputs), sorted. */
  readonly sources: readonly (readonly string[])[];
  /** covers[tree][node id]. */
  readonly covers: readonly (readonly number[])[];
}

/** The metadata property for an ensemble whose trees are exported in order with node ids. */
export function explanationProperty(
  ensemble: ShapEnsemble,
  features: readonly string[],
  sources: readonly (readonly string[])[],
): Record<string, string> {
  if (features.length !== ensemble.nFeatures || sources.length !== ensemble.nFeatures) {
    throw new Error(
      `${ensemble.nFeatures} features, but ${features.length} names and ` +
        `${sources.length} sources`,
    );
  }
  const meta: ExplanationMetadata = {
    version: 1,
    space: ensemble.space,
    offset: ensemble.offset,
    scale: ensemble.scale,
    features,
    sources: sources.map((s) => [...s].sort()),
    covers: ensemble.trees.map((t) => Array.from(t.cover)),
  };
  return { [EXPLANATION_PROPERTY]: JSON.stringify(meta) };
}

/** Name under which a feature from these raw inputs is reported. */
export const groupName = (sources: readonly string[]) => [...sources].sort().join("+");

/** Explanations of a batch: `values[row * groups.length + g]`, `phi[row * k + feature]`. */
export interface BatchExplanation {
  readonly space: ShapEnsemble["space"];
  readonly base: number;
  readonly groups: readonly string[];
  readonly values: Float64Array;
  readonly phi: Float64Array;
}

/** TreeSHAP per raw input for one model. */
export class Explainer {
  readonly trees: EnsembleExplainer;
  /** Raw input groups, in order of first use by the features. */
  readonly groups: readonly string[];
  /** Group index of each feature. */
  readonly groupOf: Int32Array;

  constructor(
    ensemble: ShapEnsemble,
    readonly features: readonly string[],
    sources: readonly (readonly string[])[],
  ) {
    if (features.length !== ensemble.nFeatures || sources.length !== ensemble.nFeatures) {
      throw new Error(
        `the explanation names ${features.length} features with ` +
          `${sources.length} sources, the trees use ${ensemble.nFeatures}`,
      );
    }
    this.trees = new EnsembleExplainer(ensemble);
    const names = sources.map(groupName);
    this.groups = [...new Set(names)];
    this.groupOf = Int32Array.from(names, (n) => this.groups.indexOf(n));
  }

  get space(): ShapEnsemble["space"] {
    return this.trees.ensemble.space;
  }

  /** Base value and per-feature values for row-major float32 features [rows, k]. */
  explainFeatures(x: Float32Array, rows: number): { base: number; phi: Float64Array } {
    const k = this.features.length;
    if (x.length !== rows * k) throw new Error(`expected ${rows} x ${k} features, got ${x.length}`);
    const phi = this.trees.explainRowsInto(x, rows, new Float64Array(rows * k));
    return { base: this.trees.base, phi };
  }

  /** Per raw input, for row-major float32 features [rows, k]. */
  explain(x: Float32Array, rows: number): BatchExplanation {
    const k = this.features.length, g = this.groups.length;
    const { base, phi } = this.explainFeatures(x, rows);
    const values = new Float64Array(rows * g);
    for (let r = 0; r < rows; r++) {
      for (let f = 0; f < k; f++) values[r * g + this.groupOf[f]] += phi[r * k + f];
    }
    return { space: this.space, base, groups: this.groups, values, phi };
  }
}

const TREE_OP = "TreeEnsembleRegressor";

/**
 * The explainer of a model file, from its tree ensemble node and its explanation property;
 * undefined when the model carries no explanation property (made before explanations).
 */
export function explainerFromOnnx(bytes: Uint8Array): Explainer | undefined {
  const { metadata, nodes } = readOnnx(bytes, TREE_OP, "ai.onnx.ml");
  const text = metadata[EXPLANATION_PROPERTY];
  if (text === undefined) return undefined;
  const meta = JSON.parse(text) as ExplanationMetadata;
  if (meta.version !== 1) throw new Error(`explanation metadata version ${meta.version}`);
  if (nodes.length !== 1) throw new Error(`expected one ${TREE_OP} node, found ${nodes.length}`);
  const trees = treesFromAttributes(nodes[0], meta.covers);
  const ensemble: ShapEnsemble = {
    trees,
    nFeatures: meta.features.length,
    scale: meta.scale,
    offset: meta.offset,
    space: meta.space,
  };
  return new Explainer(ensemble, meta.features, meta.sources);
}

type Attributes = Record<string, number | string | number[] | string[]>;

function list<T>(a: Attributes, name: string): T[] {
  const v = a[name];
  if (!Array.isArray(v)) throw new Error(`${TREE_OP} lacks attribute ${name}`);
  return v as T[];
}

/** Trees from ONNX TreeEnsemble attributes (BRANCH_LEQ splits only) and their covers. */
export function treesFromAttributes(a: Attributes, covers: readonly (readonly number[])[]) {
  const treeIds = list<number>(a, "nodes_treeids"), nodeIds = list<number>(a, "nodes_nodeids");
  const featureIds = list<number>(a, "nodes_featureids");
  const values = list<number>(a, "nodes_values"), modes = list<string>(a, "nodes_modes");
  const trueIds = list<number>(a, "nodes_truenodeids");
  const falseIds = list<number>(a, "nodes_falsenodeids");
  const trees: ShapTree[] = covers.map((c) => ({
    feature: new Int32Array(c.length).fill(-2),
    threshold: new Float32Array(c.length),
    left: new Int32Array(c.length).fill(-1),
    right: new Int32Array(c.length).fill(-1),
    value: new Float64Array(c.length),
    cover: Float64Array.from(c),
  }));
  const tree = (t: number, node: number) => {
    const found = trees[t];
    if (!found || node < 0 || node >= found.cover.length) {
      throw new Error(`tree ${t} node ${node} has no cover`);
    }
    return found;
  };
  for (let i = 0; i < nodeIds.length; i++) {
    const t = tree(treeIds[i], nodeIds[i]), n = nodeIds[i];
    if (modes[i] === "LEAF") {
      t.feature[n] = -1;
    } else if (modes[i] === "BRANCH_LEQ") {
      t.feature[n] = featureIds[i];
      t.threshold[n] = values[i];
      t.left[n] = trueIds[i];
      t.right[n] = falseIds[i];
    } else {
      throw new Error(`node mode ${modes[i]} is not supported by the explainer`);
    }
  }
  const targetTrees = list<number>(a, "target_treeids");
  const targetNodes = list<number>(a, "target_nodeids");
  const weights = list<number>(a, "target_weights");
  targetTrees.forEach((t, i) => (tree(t, targetNodes[i]).value[targetNodes[i]] += weights[i]));
  trees.forEach((t, i) => {
    const missing = t.feature.indexOf(-2);
    if (missing >= 0) throw new Error(`tree ${i} node ${missing} is not in the ensemble`);
  });
  return trees;
}
