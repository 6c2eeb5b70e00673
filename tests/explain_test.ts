/**
 * TreeSHAP on the real models: for every preset and every candidate of the default's selection,
 * fitted here, local accuracy on every row of train.csv and test.csv in the model's own space;
 * the explainer read back from the exported ONNX file gives the same values as the learner's;
 * features no tree splits on get exactly 0; raw-input groups come from the pipeline's steps.
 */

import assert from "node:assert/strict";
import { encodeInputs, type ModelInputs } from "../src/codec/inputs.ts";
import { Explainer, explainerFromOnnx } from "../src/inference/explainer.ts";
import { readOnnx } from "../src/inference/onnx_reader.ts";
import { createSession, runSession } from "../src/inference/model.ts";
import { XGBoostStyleClassifier } from "../src/learners/boosting.ts";
import { RandomForestClassifier } from "../src/learners/forest.ts";
import { matrix } from "../src/learners/matrix.ts";
import { syntheticData } from "../src/learners/synthetic_test_data.ts";
import { explainPipeline, pipelineExplainer, rowMajor } from "../src/pipeline/explain.ts";
import type { Pipeline } from "../src/pipeline/pipeline.ts";
import { PRESETS } from "../src/pipeline/presets.ts";
import { selectionSpace } from "../src/eval/search.ts";
import onnxProto from "onnx-proto";
import { dataset } from "./helpers.ts";

/** The model's output in its own space, from the learner (not from the explainer). */
function modelOutput(pipeline: Pipeline, data: ModelInputs): Float64Array {
  const x = pipeline.transform(data);
  const model = pipeline.model;
  if (model instanceof RandomForestClassifier) {
    return model.scores(x).map((s) => s / model.trees.length);
  }
  if (model instanceof XGBoostStyleClassifier) return Float64Array.from(model.margins(x));
  throw new Error(`no output space for ${model.estimator}`);
}

/** Features some tree of the pipeline's model splits on. */
function usedFeatures(pipeline: Pipeline): Set<number> {
  const used = new Set<number>();
  for (const tree of pipeline.model.shapEnsemble!().trees) {
    tree.feature.forEach((f) => f >= 0 && used.add(f));
  }
  return used;
}

/** Every fixed preset and every candidate the default's selection may pick, by name. */
const MODELS = new Map<string, (seed: number) => Pipeline>([
  ...Object.values(PRESETS).map((p) => [`preset ${p.name}`, p.build] as const),
  ...selectionSpace().map((c) => [`candidate ${c.name}`, c.build] as const),
]);

for (const [name, build] of MODELS) {
  Deno.test(`explain: ${name}, local accuracy on every row, ONNX explainer = learner's`, async () => {
    const { train, test } = await dataset();
    const pipeline = build(42);
    const names = pipeline.inputs();
    pipeline.fit(encodeInputs(train.columns, names), train.labels!);
    const bytes = pipeline.toOnnx();
    const fromFile = explainerFromOnnx(bytes);
    assert.ok(fromFile, "the exported model carries its explanation");
    const session = await createSession(bytes);
    const used = usedFeatures(pipeline);
    for (const [file, data] of [["train.csv", train], ["test.csv", test]] as const) {
      const inputs = encodeInputs(data.columns, names);
      const { features, explanation } = explainPipeline(pipeline, inputs);
      const k = features.columns.length, g = explanation.groups.length;
      const want = modelOutput(pipeline, inputs);
      for (let r = 0; r < features.rows; r++) {
        let total = explanation.base, byFeature = explanation.base;
        for (let j = 0; j < g; j++) total += explanation.values[r * g + j];
        for (let f = 0; f < k; f++) {
          byFeature += explanation.phi[r * k + f];
          if (!used.has(f)) assert.equal(explanation.phi[r * k + f], 0);
        }
        assert.ok(
          Math.abs(total - want[r]) <= 1e-6,
          `${file} row ${r}: base + contributions ${total}, model ${want[r]}`,
        );
        assert.ok(Math.abs(total - byFeature) <= 1e-12);
      }
      // The server's path: features from the graph's output, trees and covers from the file.
      const out = await runSession(session, inputs, true);
      assert.deepEqual(out.features, rowMajor(features), `${file}: graph features = pipeline's`);
      const served = fromFile.explain(out.features, features.rows);
      assert.equal(served.base, explanation.base);
      assert.deepEqual(served.values, explanation.values, `${file}: same values from the file`);
      assert.deepEqual(served.groups, explanation.groups);
    }
  });
}

Deno.test("explain: raw-input groups follow the steps' inputs (derived columns resolved)", async () => {
  const { train } = await dataset();
  const pipeline = PRESETS.boosting.build(42);
  pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), train.labels!);
  const explainer = pipelineExplainer(pipeline);
  const groupOf = Object.fromEntries(
    explainer.features.map((f, i) => [f, explainer.groups[explainer.groupOf[i]]]),
  );
  assert.equal(groupOf.Pclass, "Pclass");
  assert.equal(groupOf.Fare, "Fare");
  assert.equal(groupOf.Age, "Age+Name"); // imputed by the title, which comes from the name
  assert.equal(groupOf["Sex=female"], "Sex");
  assert.equal(groupOf["Sex=male"], "Sex");
  assert.equal(groupOf.FamilySize, "Parch+SibSp");
  assert.equal(groupOf.TicketGroupSize, "Ticket");
  assert.equal(groupOf.FarePerPerson, "Fare+Ticket");
  const titles = explainer.features.filter((f) => f.startsWith("Title="));
  assert.ok(titles.length >= 4);
  for (const t of titles) assert.equal(groupOf[t], "Name");
  // A step that declares nothing finer reports all its inputs; the group step its key only.
  const group = PRESETS.group.build(42);
  group.fit(encodeInputs(train.columns, group.inputs()), train.labels!);
  const sources = Object.fromEntries(
    group.featureNames.map((f, i) => [f, group.featureSources()[i].join("+")]),
  );
  assert.equal(sources.FamilySurvival, "Embarked+Fare+Name+Pclass"); // surname from the name
  assert.equal(sources.FamilyKnown, "Embarked+Fare+Name+Pclass");
  // Every feature belongs to a group; every group to a feature.
  assert.deepEqual(
    [...new Set(Object.values(groupOf))].sort(),
    [...explainer.groups].sort(),
  );
});

Deno.test("explain: a constant column is never split on and gets exactly 0", () => {
  const { x, y } = syntheticData(400, 3);
  const constant = new Float32Array(x.rows).fill(1);
  const withConstant = matrix([...x.columns, constant], [...x.names, "constant"]);
  const models = [
    new RandomForestClassifier({ nEstimators: 20, randomState: 1 }).fit(withConstant, y),
    new XGBoostStyleClassifier({ nEstimators: 30, randomState: 1 }).fit(withConstant, y),
  ];
  for (const model of models) {
    const names = withConstant.names;
    const explainer = new Explainer(model.shapEnsemble(), names, names.map((n) => [n]));
    const { phi } = explainer.explainFeatures(rowMajor(withConstant), x.rows);
    let nonZeroNoise = 0;
    for (let r = 0; r < x.rows; r++) {
      assert.equal(phi[r * 4 + 3], 0, `${model.estimator} row ${r}`);
      if (phi[r * 4 + 2] !== 0) nonZeroNoise++;
    }
    assert.ok(nonZeroNoise > 0, "a used feature does get values (the check can fail)");
  }
});

Deno.test("explain: the ONNX reader agrees with onnx-proto on the tree ensemble and metadata", async () => {
  const { train } = await dataset();
  const pipeline = PRESETS.seed.build(42);
  pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), train.labels!);
  const bytes = pipeline.toOnnx();
  const mine = readOnnx(bytes, "TreeEnsembleRegressor", "ai.onnx.ml");
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const node = model.graph!.node!.find((n) => n.opType === "TreeEnsembleRegressor")!;
  for (const a of node.attribute!) {
    const got = mine.nodes[0][a.name!];
    const want = a.ints?.length
      ? a.ints.map(Number)
      : a.floats?.length
      ? a.floats
      : a.strings?.length
      ? a.strings.map((s) => new TextDecoder().decode(s))
      : a.s?.length
      ? new TextDecoder().decode(a.s)
      : Number(a.i);
    assert.deepEqual(got, want, a.name!);
  }
  assert.deepEqual(
    mine.metadata,
    Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value])),
  );
});
