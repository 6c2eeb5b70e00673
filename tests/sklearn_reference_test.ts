/**
 * Our learners against scikit-learn (Debian's python3-sklearn 1.2.1, run by
 * tests/sklearn_reference.py) on the same float32 data with the same parameters: CART trees
 * against DecisionTreeClassifier, forests without bootstrap and with every feature against
 * RandomForestClassifier, boosting against HistGradientBoostingClassifier (the same Newton
 * leaves -G/(H + l2) and split gain; it has no row/column subsampling).
 *
 * Trees are compared node by node, walking both in preorder over the training rows. Where the
 * learners deliberately differ, the comparison says so and checks what is comparable:
 * - thresholds: ours is the float32 midpoint of the two values around it (or the lower value
 *   when the midpoint rounds up onto the higher), scikit-learn's the float64 midpoint
 *   (HistGradientBoosting's, the midpoint to the next value of the whole column): both must
 *   send the same training rows left;
 * - ties: when two splits score the same, each library takes the first in its own feature
 *   order. Where the two trees split a node differently, the test proves a tie (both splits'
 *   Gini scores are equal) and compares nothing below it; anything else fails;
 * - forest leaves are quantised to 2^-bits (exact float32 sums), so forest probabilities agree
 *   within 2^-(bits+1) plus float32 rounding; boosting gradients are float32 in scikit-learn.
 */

import assert from "node:assert/strict";
import { encodeInputs } from "../src/codec/inputs.ts";
import { XGBoostStyleClassifier } from "../src/learners/boosting.ts";
import { leafFractionBits, RandomForestClassifier } from "../src/learners/forest.ts";
import { binMatrix, type Matrix } from "../src/learners/matrix.ts";
import { Random } from "../src/learners/random.ts";
import { syntheticData } from "../src/learners/synthetic_test_data.ts";
import { growTree, impurityDecrease, leafOf, type TreeParams } from "../src/learners/tree.ts";
import { PRESETS } from "../src/pipeline/presets.ts";
import { dataset } from "./helpers.ts";

const SCRIPT = new URL("./sklearn_reference.py", import.meta.url).pathname;

/** A tree as both sides give it: preorder ids, feature -1 at leaves. */
interface FlatTree {
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  /** P(class 1) of a node (CART) or the leaf value (boosting). */
  value: ArrayLike<number>;
}

interface Reference {
  sklearn: string;
  trees: FlatTree[];
  proba?: number[];
  margin?: number[];
  importances?: number[];
  baseline?: number;
}

/** One fit for scikit-learn: the estimator, its keyword arguments, the data. */
interface Job {
  model: "tree" | "forest" | "hist_boosting";
  params: Record<string, unknown>;
  x: Matrix;
  y: Uint8Array;
  evalX: Matrix;
}

/** Fits scikit-learn on every job in one Python process; fails loudly without sklearn. */
async function reference(jobs: Job[]): Promise<Reference[]> {
  const rowsOf = (m: Matrix) =>
    Array.from({ length: m.rows }, (_, r) => m.columns.map((c) => c[r]));
  const child = new Deno.Command("/usr/bin/python3", {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const input = jobs.map((j) => ({
    model: j.model,
    params: j.params,
    x: rowsOf(j.x),
    y: Array.from(j.y),
    eval: rowsOf(j.evalX),
  }));
  await writer.write(new TextEncoder().encode(JSON.stringify(input)));
  await writer.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `scikit-learn failed (is python3-sklearn installed?):\n${err}`);
  const results = JSON.parse(new TextDecoder().decode(out.stdout)) as Reference[];
  for (const r of results) assert.equal(r.sklearn, "1.2.1");
  return results;
}

/** How two trees compare over the training rows. */
interface Comparison {
  /** Node pairs with the same split (or both leaves) and the same values. */
  same: number;
  /** Splits on other features or thresholds that part the node's training rows alike. */
  equivalent: number;
  /** Node pairs split differently where both splits score the same (proven ties). */
  ties: number;
  /**
   * Nodes ours leaves as pure (one class only) that scikit-learn splits: its child impurity is
   * computed from sum_total - sum_left, and the float64 residue can exceed its EPSILON.
   * Every leaf below must then carry our leaf's value.
   */
  pureSplits: number;
  /** Thresholds where float32 rounding moved ours below scikit-learn's (rounded up to hi). */
  loweredThresholds: number;
  /** Node pairs (ours, theirs) below which the trees are not compared. */
  tieNodes: Set<string>;
  /** Node pairs whose splits part the rows alike with left and right swapped. */
  mirrored: Set<string>;
  /** Anything else: these fail the test. */
  problems: string[];
}

interface CompareOptions {
  /** Largest accepted |ours - theirs| of a node's value. */
  valueTolerance: number;
  /** Whether two partitions of `rows` (left sides) score the same; undefined: ties fail. */
  isTie?: (rows: number[], leftA: Set<number>, leftB: Set<number>) => boolean;
  /** Checks ours against scikit-learn's threshold, given the node-local values around ours. */
  thresholdRule?: "cart" | "histogram";
  /** Whether leaf-ness must agree (boosting: values are compared at leaves only). */
  valuesAtLeavesOnly?: boolean;
}

function compareTrees(
  ours: FlatTree,
  theirs: FlatTree,
  x: Matrix,
  rows: number[],
  options: CompareOptions,
): Comparison {
  const c: Comparison = {
    same: 0,
    equivalent: 0,
    ties: 0,
    pureSplits: 0,
    loweredThresholds: 0,
    tieNodes: new Set(),
    mirrored: new Set(),
    problems: [],
  };
  const goesLeft = (t: FlatTree, node: number, r: number) =>
    x.columns[t.feature[node]][r] <= t.threshold[node];
  const walk = (a: number, b: number, at: number[], path: string) => {
    const leafA = ours.feature[a] < 0, leafB = theirs.feature[b] < 0;
    if (!options.valuesAtLeavesOnly || (leafA && leafB)) {
      const diff = Math.abs(ours.value[a] - theirs.value[b]);
      if (!(diff <= options.valueTolerance)) {
        c.problems.push(`${path}: value ${ours.value[a]} vs ${theirs.value[b]}`);
      }
    }
    if (leafA && !leafB && pureBelow(theirs, b, ours.value[a])) {
      c.pureSplits++;
      return;
    }
    if (leafA || leafB) {
      if (leafA !== leafB) c.problems.push(`${path}: leaf in ${leafA ? "ours" : "scikit-learn"}`);
      else c.same++;
      return;
    }
    const leftA = new Set(at.filter((r) => goesLeft(ours, a, r)));
    const leftB = new Set(at.filter((r) => goesLeft(theirs, b, r)));
    const samePartition = leftA.size === leftB.size && [...leftA].every((r) => leftB.has(r));
    // A split on a complementary column (Sex=male vs Sex=female) parts the rows alike, mirrored.
    const mirrored = !samePartition && leftA.size + leftB.size === at.length &&
      [...leftA].every((r) => !leftB.has(r));
    if (mirrored) {
      c.equivalent++;
      c.mirrored.add(`${a}/${b}`);
      walk(ours.left[a], theirs.right[b], [...leftA], `${path}L`);
      walk(ours.right[a], theirs.left[b], at.filter((r) => !leftA.has(r)), `${path}R`);
      return;
    }
    if (!samePartition) {
      if (options.isTie?.(at, leftA, leftB)) {
        c.ties++;
        c.tieNodes.add(`${a}/${b}`);
      } else {
        c.problems.push(
          `${path}: ours x${ours.feature[a]} <= ${ours.threshold[a]}, scikit-learn x${
            theirs.feature[b]
          } <= ${theirs.threshold[b]}, and not a tie`,
        );
      }
      return;
    }
    if (ours.feature[a] !== theirs.feature[b]) c.equivalent++;
    else {
      c.same++;
      const t = ours.threshold[a], ref = theirs.threshold[b];
      const column = x.columns[ours.feature[a]];
      const lo = Math.max(...at.filter((r) => column[r] <= t).map((r) => column[r]));
      const hi = Math.min(...at.filter((r) => column[r] > t).map((r) => column[r]));
      if (options.thresholdRule === "cart") {
        // scikit-learn: lo/2 + hi/2 in float64; ours: that in float32, or lo if it rounds to hi.
        if (t === lo && Math.fround(ref) === hi) c.loweredThresholds++;
        else if (t !== Math.fround(ref) || ref !== lo / 2 + hi / 2) {
          c.problems.push(`${path}: threshold ${t} vs ${ref} (between ${lo} and ${hi})`);
        }
      } else if (!(lo <= ref && ref < hi && lo <= t && t < hi)) {
        c.problems.push(`${path}: threshold ${t} vs ${ref} not both in [${lo}, ${hi})`);
      }
    }
    walk(ours.left[a], theirs.left[b], [...leftA], `${path}L`);
    walk(ours.right[a], theirs.right[b], at.filter((r) => !leftA.has(r)), `${path}R`);
  };
  walk(0, 0, rows, "root ");
  return c;
}

/** Whether every leaf below `node` has value `value` (and `node` is pure, 0 or 1). */
function pureBelow(t: FlatTree, node: number, value: number): boolean {
  if (value !== 0 && value !== 1) return false;
  if (t.feature[node] < 0) return t.value[node] === value;
  return pureBelow(t, t.left[node], value) && pureBelow(t, t.right[node], value);
}

/**
 * Whether a row of `x` takes the same path in both trees, up to a proven tie: "same" (both
 * reach matching leaves), "tie" (it reaches a node pair below which they are not compared)
 * or "apart" (an equivalent split, or a threshold between the same training values, sends it
 * elsewhere: rows the training data cannot tell apart).
 */
function route(
  ours: Omit<FlatTree, "value">,
  theirs: FlatTree,
  c: Comparison,
  x: Matrix,
  r: number,
) {
  let a = 0, b = 0;
  while (ours.feature[a] >= 0 && theirs.feature[b] >= 0) {
    if (c.tieNodes.has(`${a}/${b}`)) return "tie";
    const ourLeft = x.columns[ours.feature[a]][r] <= ours.threshold[a];
    const theirLeft = x.columns[theirs.feature[b]][r] <= theirs.threshold[b];
    if (theirLeft !== (c.mirrored.has(`${a}/${b}`) ? !ourLeft : ourLeft)) return "apart";
    a = ourLeft ? ours.left[a] : ours.right[a];
    b = theirLeft ? theirs.left[b] : theirs.right[b];
  }
  return "same";
}

/** Gini split score (scikit-learn's proxy improvement) of a partition of weighted rows. */
function giniScore(rows: number[], left: Set<number>, y: Uint8Array, w: Float64Array): number {
  const side = [[0, 0], [0, 0]];
  for (const r of rows) side[left.has(r) ? 0 : 1][y[r]] += w[r];
  return side.reduce((s, [w0, w1]) => s + (w0 * w0 + w1 * w1) / (w0 + w1), 0);
}

const giniTie =
  (y: Uint8Array, w: Float64Array) => (rows: number[], a: Set<number>, b: Set<number>) => {
    const sa = giniScore(rows, a, y, w), sb = giniScore(rows, b, y, w);
    return Math.abs(sa - sb) <= 1e-9 * Math.max(sa, sb);
  };

const allRows = (n: number) => Array.from({ length: n }, (_, i) => i);

function assertClean(c: Comparison, what: string) {
  assert.deepEqual(c.problems, [], `${what}: trees differ beyond ties`);
}

/** A data set: training features and labels, and rows to predict. */
interface DataSet {
  name: string;
  x: Matrix;
  y: Uint8Array;
  evalX: Matrix;
}

/** Continuous synthetic data (few ties) with fresh rows to predict. */
function synthetic(seed: number): DataSet {
  const { x, y } = syntheticData(500, seed);
  return { name: `synthetic ${seed}`, x, y, evalX: syntheticData(400, seed + 1).x };
}

/** The features each preset's pipeline feeds its model (train.csv; test.csv to predict). */
async function titanicFeatures(): Promise<DataSet[]> {
  const { train, test } = await dataset();
  const bySteps = new Map<string, DataSet>();
  for (const [name, preset] of Object.entries(PRESETS)) {
    const pipeline = preset.build(42);
    const names = pipeline.inputs();
    pipeline.fit(encodeInputs(train.columns, names), train.labels!);
    const x = pipeline.transform(encodeInputs(train.columns, names));
    const key = JSON.stringify(x.names);
    if (bySteps.has(key)) continue; // another preset's features (e.g. `default`)
    const evalX = pipeline.transform(encodeInputs(test.columns, names));
    bySteps.set(key, { name: `preset ${name}`, x, y: train.labels!, evalX });
  }
  return [...bySteps.values()];
}

interface CartCase {
  params: TreeParams;
  balanced?: boolean;
}

const CART_CASES: CartCase[] = [
  { params: { maxDepth: null, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: null } },
  { params: { maxDepth: 3, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: null } },
  { params: { maxDepth: 8, minSamplesSplit: 12, minSamplesLeaf: 5, maxFeatures: null } },
  {
    params: { maxDepth: 6, minSamplesSplit: 2, minSamplesLeaf: 2, maxFeatures: null },
    balanced: true,
  },
];

/** scikit-learn's "balanced" class weights n / (2 n_class) as per-row weights. */
function balancedWeights(y: Uint8Array): Float64Array {
  const n1 = y.reduce((a, b) => a + b, 0), n0 = y.length - n1;
  return Float64Array.from(y, (v) => y.length / (2 * (v ? n1 : n0)));
}

const cartJob = (d: DataSet, c: CartCase): Job => ({
  model: "tree",
  params: {
    max_depth: c.params.maxDepth,
    min_samples_split: c.params.minSamplesSplit,
    min_samples_leaf: c.params.minSamplesLeaf,
    max_features: c.params.maxFeatures,
    class_weight: c.balanced ? "balanced" : null,
    random_state: 0,
  },
  ...d,
});

const cartOptions = (y: Uint8Array, weights: Float64Array): CompareOptions => ({
  valueTolerance: 1e-12,
  isTie: giniTie(y, weights),
  thresholdRule: "cart",
});

/** Our CART tree against scikit-learn's; predictions on the rows both route alike. */
function compareCart(d: DataSet, c: CartCase, ref: Reference) {
  const what = `${d.name} ${JSON.stringify(c)}`;
  const weights = c.balanced ? balancedWeights(d.y) : new Float64Array(d.y.length).fill(1);
  const ours = growTree(binMatrix(d.x), d.y, weights, c.params, new Random(0));
  const cmp = compareTrees(ours, ref.trees[0], d.x, allRows(d.x.rows), cartOptions(d.y, weights));
  assertClean(cmp, what);
  const routes = { same: 0, tie: 0, apart: 0 };
  for (let r = 0; r < d.evalX.rows; r++) {
    const how = route(ours, ref.trees[0], cmp, d.evalX, r);
    routes[how]++;
    if (how === "same") {
      const p = ours.value[leafOf(ours, d.evalX.columns, r)];
      assert.ok(
        Math.abs(p - ref.proba![r]) <= 1e-12,
        `${what}: row ${r}: ${p} vs ${ref.proba![r]}`,
      );
    }
  }
  console.log(`${what}: ${summary(cmp)}; unseen rows ${JSON.stringify(routes)}`);
  return { what, ours, cmp, routes };
}

const summary = (c: Comparison) =>
  JSON.stringify({ ...c, tieNodes: undefined, problems: undefined });

Deno.test("scikit-learn: CART trees equal DecisionTreeClassifier's, up to ties", async () => {
  const sets = [synthetic(21), ...await titanicFeatures()];
  const cases = sets.flatMap((d) => CART_CASES.map((c) => ({ d, c })));
  const refs = await reference(cases.map(({ d, c }) => cartJob(d, c)));
  cases.forEach(({ d, c }, i) => {
    const { what, ours, cmp, routes } = compareCart(d, c, refs[i]);
    assert.ok(cmp.same > 0, what);
    if (c.params.maxDepth === 3 && d.name.startsWith("synthetic")) {
      // A shallow tree on continuous data has no ties: the very same tree, node for node.
      assert.equal(cmp.ties + cmp.equivalent + cmp.pureSplits, 0, what);
      assert.equal(routes.same, d.evalX.rows, what);
      assert.equal(ours.feature.length, refs[i].trees[0].feature.length, what);
      // ... with the same impurity decrease per feature (scikit-learn's MDI importances).
      const mdi = impurityDecrease(ours, d.x.columns.length);
      const total = mdi.reduce((a, b) => a + b, 0);
      mdi.forEach((v, f) => assert.ok(Math.abs(v / total - refs[i].importances![f]) < 1e-9, what));
    }
  });
});

Deno.test("scikit-learn: forests without bootstrap and with every feature equal RandomForestClassifier's", async () => {
  const sets = [synthetic(23), ...await titanicFeatures()];
  const cases = sets.flatMap((d) =>
    [null, "balanced" as const].map((classWeight) => ({ d, classWeight }))
  );
  const params = { nEstimators: 5, maxDepth: 6, minSamplesLeaf: 2, maxFeatures: null };
  const refs = await reference(cases.map(({ d, classWeight }) => ({
    model: "forest",
    params: {
      n_estimators: 5,
      max_depth: 6,
      min_samples_leaf: 2,
      max_features: null,
      bootstrap: false,
      class_weight: classWeight,
      random_state: 0,
    },
    ...d,
  })));
  cases.forEach(({ d, classWeight }, i) => {
    const what = `${d.name}, forest, class weight ${classWeight}`;
    const forest = new RandomForestClassifier({ ...params, bootstrap: false, classWeight })
      .fit(d.x, d.y);
    const weights = classWeight ? balancedWeights(d.y) : new Float64Array(d.y.length).fill(1);
    const comparisons = forest.trees.map((tree, t) => {
      const cmp = compareTrees(
        tree,
        refs[i].trees[t],
        d.x,
        allRows(d.x.rows),
        cartOptions(d.y, weights),
      );
      assertClean(cmp, `${what}, tree ${t}`);
      return cmp;
    });
    // Rows every pair of trees routes alike: probabilities within the quantisation bound.
    const bound = 2 ** -(leafFractionBits(5) + 1) + 2 ** -25;
    const p = forest.predictProba(d.evalX);
    let worst = 0, compared = 0;
    for (let r = 0; r < d.evalX.rows; r++) {
      const alike = forest.trees.every((t, k) =>
        route(t, refs[i].trees[k], comparisons[k], d.evalX, r) === "same"
      );
      if (!alike) continue;
      compared++;
      worst = Math.max(worst, Math.abs(p[r] - refs[i].proba![r]));
    }
    const ties = comparisons.map((c) => c.ties + c.equivalent + c.pureSplits);
    console.log(
      `${what}: ${compared} of ${d.evalX.rows} unseen rows compared (ties per tree ${ties}), ` +
        `max |ours - scikit-learn| ${worst} (bound ${bound})`,
    );
    assert.ok(compared >= d.evalX.rows / 2, what);
    assert.ok(worst <= bound, `${what}: ${worst} > ${bound}`);
    if (ties.every((n) => n === 0)) {
      forest.featureImportances().forEach((v, f) =>
        assert.ok(Math.abs(v - refs[i].importances![f]) < 1e-9, what)
      );
    }
  });
});

/**
 * The data set without the columns of more than 255 distinct values, which
 * HistGradientBoosting would bin coarser than our exact histograms (it says which).
 */
function exactlyBinned(d: DataSet): DataSet {
  const keep = d.x.columns.map((_c, f) => f).filter((f) => new Set(d.x.columns[f]).size <= 255);
  const dropped = d.x.names.filter((_, f) => !keep.includes(f));
  if (dropped.length) console.log(`${d.name}: boosting compared without ${dropped.join(", ")}`);
  const take = (m: Matrix) => ({
    rows: m.rows,
    columns: keep.map((f) => m.columns[f]),
    names: keep.map((f) => m.names[f]),
  });
  return { ...d, x: take(d.x), evalX: take(d.evalX) };
}

const BOOSTING = {
  nEstimators: 30,
  learningRate: 0.1,
  maxDepth: 3,
  l2Regularization: 1,
  minChildWeight: 1e-3, // HistGradientBoosting's min_hessian_to_split
  minSplitGain: 0,
};

Deno.test("scikit-learn: boosting's trees, Newton leaves and margins equal HistGradientBoosting's", async () => {
  // HistGradientBoosting bins exactly when a column has at most 255 distinct values.
  const grid = (m: Matrix) => ({
    ...m,
    columns: m.columns.map((c) => c.map((v) => Math.fround(Math.round(v * 20) / 20))),
  });
  const s = synthetic(25);
  const sets = [
    { ...s, x: grid(s.x), evalX: grid(s.evalX) },
    ...(await titanicFeatures()).map(
      exactlyBinned,
    ),
  ];
  const refs = await reference(sets.map((d) => ({
    model: "hist_boosting",
    params: {
      max_iter: BOOSTING.nEstimators,
      learning_rate: BOOSTING.learningRate,
      max_depth: BOOSTING.maxDepth,
      max_leaf_nodes: null,
      min_samples_leaf: 1,
      l2_regularization: BOOSTING.l2Regularization,
      max_bins: 255,
      early_stopping: false,
      random_state: 0,
    },
    ...d,
  })));
  sets.forEach((d, i) => {
    const ref = refs[i];
    const model = new XGBoostStyleClassifier(BOOSTING).fit(d.x, d.y);
    assert.equal(ref.trees.length, model.trees.length);
    // Both start from the training log-odds (ours rounded to float32).
    assert.equal(model.baseScore, Math.fround(ref.baseline!));
    const comparisons = model.trees.map((tree, t) => {
      // Newton leaf values: scikit-learn sums float32 gradients, so they agree to ~1e-6.
      const ours = { ...tree, value: tree.rawValue };
      const cmp = compareTrees(ours, ref.trees[t], d.x, allRows(d.x.rows), {
        valueTolerance: 1e-5,
        thresholdRule: "histogram",
        valuesAtLeavesOnly: true,
      });
      assertClean(cmp, `${d.name}, tree ${t}`);
      return cmp;
    });
    // Margins of unseen rows that every tree pair routes alike (thresholds differ between
    // training values: ours next to the node's values, scikit-learn's next to the column's).
    const margins = model.margins(d.evalX);
    let worst = 0, compared = 0;
    for (let r = 0; r < d.evalX.rows; r++) {
      const alike = model.trees.every((t, k) =>
        route(t, ref.trees[k], comparisons[k], d.evalX, r) === "same"
      );
      if (!alike) continue;
      compared++;
      worst = Math.max(worst, Math.abs(margins[r] - ref.margin![r]));
    }
    console.log(
      `${d.name}: boosting, ${compared} of ${d.evalX.rows} unseen rows compared, ` +
        `max |margin - decision_function| ${worst}`,
    );
    assert.ok(compared >= d.evalX.rows / 2, d.name);
    assert.ok(worst < 1e-4, `${d.name}: ${worst}`);
  });
});
