/**
 * The ONNX graph is the one source of truth at inference: for every preset, onnxruntime's
 * output must equal the TypeScript pipeline's on every row of train.csv and test.csv and on
 * edge rows, and every exported file must pass onnx.checker.
 *
 * Exact where the code promises it: the tree-ensemble sum (read from the graph as an extra
 * output) bit for bit, labels, and a forest's probabilities (the sum over the tree count, one
 * IEEE division). A boosting model's probability is onnxruntime's Sigmoid of that same margin:
 * within the bound that Sigmoid is measured to keep, below.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { columnsFromRecords } from "../src/codec/columns.ts";
import { FIELD_BY_NAME } from "../src/codec/schema.ts";
import { encodeInputs, type ModelInputs } from "../src/codec/inputs.ts";
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { createSession, runSession } from "../src/inference/model.ts";
import { XGBoostStyleClassifier } from "../src/learners/boosting.ts";
import type { Classifier } from "../src/learners/classifier.ts";
import { RandomForestClassifier } from "../src/learners/forest.ts";
import { DATA_TYPE, GraphBuilder } from "../src/onnx/builder.ts";
import { type ExportTree, sumLeafWeights } from "../src/onnx/tree_ensemble.ts";
import type { Pipeline } from "../src/pipeline/pipeline.ts";
import { PRESETS } from "../src/pipeline/presets.ts";
import { FEATURE_SETS } from "../src/pipeline/features.ts";
import { candidate } from "../src/eval/search.ts";
import { dataset, withTempDir } from "./helpers.ts";

/** Runs Debian's onnx.checker on a model file; fails loudly if python3-onnx is missing. */
async function checkModel(bytes: Uint8Array): Promise<void> {
  await withTempDir(async (dir) => {
    const path = join(dir, "model.onnx");
    await Deno.writeFile(path, bytes);
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        "-c",
        "import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1])); print('ok')",
        path,
      ],
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `onnx.checker failed (is python3-onnx installed?):\n${text}`);
    assert.match(text, /^ok/);
  });
}

/**
 * The most onnxruntime's Sigmoid (MLAS's rational approximation) is off the correctly rounded
 * float32 sigmoid: 3 * 2^-24 over [-30, 30] (measured by the test below), so 2^-22.
 */
const SIGMOID_BOUND = 2 ** -22;

/** How far the graph's P(class 1) may be from the learner's, given bit-identical sums. */
function probabilityBound(model: Classifier): number {
  if (model instanceof RandomForestClassifier) return 0; // sum / trees: one IEEE division
  if (model instanceof XGBoostStyleClassifier) return SIGMOID_BOUND; // Sigmoid(sum + base)
  throw new Error(`no parity rule for ${model.estimator}: say how exact its graph is`);
}

/** The model with the TreeEnsembleRegressor's [N,1] sum of leaf weights as an extra output. */
function withEnsembleSum(bytes: Uint8Array): { bytes: Uint8Array; output: string } {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(bytes);
  const ensemble = model.graph!.node!.filter((n) => n.opType === "TreeEnsembleRegressor");
  assert.equal(ensemble.length, 1, "one tree ensemble in the graph");
  const output = ensemble[0].output![0];
  model.graph!.output!.push({
    name: output,
    type: {
      tensorType: {
        elemType: DATA_TYPE.float32,
        shape: { dim: [{ dimParam: "N" }, { dimValue: 1 }] },
      },
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), output };
}

async function assertParity(
  pipeline: Pipeline,
  bytes: Uint8Array,
  inputs: ModelInputs,
  what: string,
) {
  const session = await createSession(bytes);
  const expectedP = pipeline.predictProba(inputs);
  const expectedLabels = pipeline.predict(inputs);
  const got = await runSession(session, inputs);
  assert.equal(got.probabilities.length, expectedP.length);
  const bound = probabilityBound(pipeline.model);
  let worst = 0;
  for (let i = 0; i < expectedP.length; i++) {
    const diff = Math.abs(got.probabilities[i] - expectedP[i]);
    worst = Math.max(worst, diff);
    assert.ok(
      diff <= bound,
      `${what} row ${i}: onnxruntime ${got.probabilities[i]}, TypeScript ${expectedP[i]}`,
    );
    assert.equal(got.labels[i], expectedLabels[i], `${what} row ${i}: label`);
  }
  // The sum of leaf weights, bit for bit.
  const probe = withEnsembleSum(bytes);
  const probeSession = await createSession(probe.bytes);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of probeSession.inputNames) {
    const column = inputs[name];
    feeds[name] = column instanceof Float32Array
      ? new ort.Tensor("float32", column, [column.length, 1])
      : new ort.Tensor("string", column, [column.length, 1]);
  }
  const graphSum = (await probeSession.run(feeds))[probe.output].data as Float32Array;
  const x = pipeline.transform(inputs);
  const trees = (pipeline.model as unknown as { trees: readonly ExportTree[] }).trees;
  const ourSum = sumLeafWeights(trees, x.columns, x.rows);
  for (let i = 0; i < ourSum.length; i++) {
    assert.equal(Math.fround(ourSum[i]), ourSum[i], `${what} row ${i}: sum not exact in float32`);
    assert.equal(graphSum[i], ourSum[i], `${what} row ${i}: tree-ensemble sum`);
  }
  console.log(`${what}: sums and labels identical, max |probability difference| ${worst}`);
}

/** Rows the data never shows: all optional fields missing, unknown, extreme, on bin edges. */
function edgeInputs(names: readonly string[]): ModelInputs {
  const rows: Record<string, number | string>[] = [
    {
      Pclass: NaN,
      Sex: "",
      Age: NaN,
      SibSp: NaN,
      Parch: NaN,
      Fare: NaN,
      Embarked: "",
      Name: "",
      Cabin: "",
    },
    {
      Pclass: 4,
      Sex: "unknown",
      Age: -5,
      SibSp: -1,
      Parch: -3,
      Fare: -10,
      Embarked: "X",
      Name: "Doe, Captain. John, of the Ship. Senior",
      Cabin: "z99",
    },
    {
      Pclass: 1,
      Sex: "female",
      Age: 1e30,
      SibSp: 1e9,
      Parch: 1e9,
      Fare: 3.4e38,
      Embarked: "C",
      Name: "Émile, Mlle. Zoé (née Ünïcode)",
      Cabin: "T",
    },
    {
      Pclass: 3,
      Sex: "male",
      Age: -1e30,
      SibSp: 0,
      Parch: 0,
      Fare: 0,
      Embarked: "Q",
      Name: "Weird,   Mr.   Spaces, Jr.",
      Cabin: "123 G5",
    },
    ...[0, 18, 35, 60, 100, 0.42, 18.5, 100.5].map((age) => ({
      Pclass: 2,
      Sex: "male",
      Age: age,
      SibSp: 0,
      Parch: 1,
      Fare: 13,
      Embarked: "S",
      Name: "Boy, Master. Tom",
      Cabin: "",
    })),
    // Group keys: a known family (the Anderssons' class, fare and port), the same surname on
    // another fare, -0 for a fare of 0, no comma, a name that starts with one.
    ...[
      ["Andersson, Mrs. Anders Johan", 31.275],
      ["Andersson, Miss. Anyone", 7.775],
      ["Nocomma Mrs Jane", -0],
      [", Master. Nobody", 31.275],
    ].map(([name, fare]) => ({
      Pclass: 3,
      Sex: "female",
      Age: NaN,
      SibSp: 1,
      Parch: 4,
      Fare: fare as number,
      Embarked: "S",
      Name: name as string,
      Cabin: "",
    })),
  ];
  // Missing, unknown, shared by 7 training passengers, shared by 1, and a plain one.
  const tickets = ["", "NOT A TICKET", "CA. 2343", "347082"];
  rows.forEach((row, i) => (row.Ticket = tickets[i] ?? "1601"));
  const out: ModelInputs = {};
  for (const name of names) {
    const values = rows.map((r) => r[name]);
    out[name] = typeof values[0] === "number"
      ? Float32Array.from(values as number[])
      : (values as string[]);
  }
  return out;
}

/** Fits on train.csv, exports, checks the file, and compares on train, test and edge rows. */
async function assertParityEverywhere(pipeline: Pipeline): Promise<void> {
  const { train, test } = await dataset();
  const names = pipeline.inputs();
  pipeline.fit(encodeInputs(train.columns, names), train.labels!);
  const bytes = pipeline.toOnnx();
  await checkModel(bytes);
  await assertParity(pipeline, bytes, encodeInputs(train.columns, names), "train.csv");
  await assertParity(pipeline, bytes, encodeInputs(test.columns, names), "test.csv");
  await assertParity(pipeline, bytes, edgeInputs(names), "edge rows");
}

for (const name of Object.keys(PRESETS)) {
  Deno.test(`onnx parity, preset ${name}: checker, every row of train.csv and test.csv, edge rows`, async () => {
    const pipeline = PRESETS[name].build(42);
    await assertParityEverywhere(pipeline);
    const names = pipeline.inputs();
    // Ages on the bin edges land in the right-closed bin, as pandas.cut puts them.
    if (name === "seed") {
      const block = pipeline.transformers[4].transform(edgeInputs(names));
      const groupOf = (row: number) => block.columns.findIndex((c) => c[row] === 1);
      assert.deepEqual([4, 5, 6, 7, 8, 9, 10, 11].map(groupOf), [4, 0, 1, 2, 3, 0, 1, 4]);
      assert.equal(groupOf(0), 4); // missing age
      assert.equal(groupOf(1), 4); // negative age: outside every bin
    }
  });
}

// Every feature set the selection may pick, with a small forest (the learner is covered above).
for (const features of Object.keys(FEATURE_SETS)) {
  Deno.test(`onnx parity, feature set ${features}: every row of train.csv and test.csv, edge rows`, async () => {
    await assertParityEverywhere(
      candidate(features, { learner: "forest", params: { nEstimators: 10 } }).build(42),
    );
  });
}

Deno.test("onnxruntime's Sigmoid keeps within SIGMOID_BOUND of the correctly rounded sigmoid", async () => {
  const g = new GraphBuilder("sigmoid");
  g.input("m", "float32", ["N"]);
  g.node("Sigmoid", ["m"], { outputNames: ["p"] });
  g.output("p", "float32", ["N"]);
  const session = await createSession(g.encode({ producerName: "test", producerVersion: "0" }));
  const n = 1_000_000;
  const m = Float32Array.from({ length: n }, (_, i) => -30 + (60 * i) / n);
  const p = (await session.run({ m: new ort.Tensor("float32", m, [n]) })).p.data as Float32Array;
  let worst = 0;
  m.forEach((
    v,
    i,
  ) => (worst = Math.max(worst, Math.abs(p[i] - Math.fround(1 / (1 + Math.exp(-v)))))));
  console.log(`onnxruntime Sigmoid: max error ${worst} = ${worst / 2 ** -24} * 2^-24`);
  assert.ok(worst <= SIGMOID_BOUND, `${worst}`);
  assert.ok(worst > 0, "onnxruntime's Sigmoid is not correctly rounded: the bound is needed");
});

Deno.test("onnx graph: inputs one per column, shape [N,1]; outputs label, probabilities, features", async () => {
  const { train } = await dataset();
  const pipeline = PRESETS.group.build(42);
  pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), train.labels!);
  const session = await createSession(pipeline.toOnnx());
  assert.deepEqual([...session.inputNames], pipeline.inputs());
  // Raw passenger fields only: the title and the deck are derived inside the graph.
  assert.deepEqual(pipeline.inputs().filter((n) => !FIELD_BY_NAME.has(n)), []);
  assert.ok(pipeline.inputs().includes("Name"));
  assert.deepEqual([...session.outputNames].sort(), ["features", "label", "probabilities"]);
  const none = await runSession(session, encodeInputs(columnsFromRecords([]), pipeline.inputs()));
  assert.equal(none.labels.length, 0);
  const partial = encodeInputs(
    columnsFromRecords([{ Pclass: 1, Sex: "male" }]),
    pipeline.inputs().filter((n) => n !== "Pclass"),
  );
  await assert.rejects(runSession(session, partial), /missing model input "Pclass"/);
});
