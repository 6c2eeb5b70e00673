import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256Hex } from "../src/util/fs.ts";
import { checkTrainOptions, train } from "../src/train.ts";
import { SHARED_DATA, withTempDir } from "./helpers.ts";

const MODELS = new URL("../models/", import.meta.url).pathname;

Deno.test("train: the default is selected and estimated by nested CV; files equal the committed ones", async () => {
  Deno.env.set("TITANIC_DATA_DIR", SHARED_DATA);
  await withTempDir(async (dir) => {
    const options = { preset: "default", seed: 42, folds: 5, repeats: 3 };
    const first = await train({ ...options, output: join(dir, "a", "titanic.onnx") });
    const a = await Deno.readFile(first.onnxPath);
    // The committed files come from an earlier process: equal bytes mean a reproducible run.
    assert.deepEqual(
      a,
      await Deno.readFile(join(MODELS, "titanic.onnx")),
      "models/titanic.onnx is stale: run deno task train",
    );
    assert.equal(
      await Deno.readTextFile(first.cardPath),
      await Deno.readTextFile(join(MODELS, "titanic.json")),
      "models/titanic.json is stale: run deno task train",
    );
    const card = first.card;
    assert.equal(card.onnx.sha256, await sha256Hex(a));
    assert.equal(card.onnx.bytes, a.length);
    assert.equal(
      card.data.train.sha256,
      "7d118fef8b6ccf7f81111877bc388536f7b1e498a655e3d649d19aaa010e9f6f",
    );
    assert.deepEqual([card.data.train.rows, card.data.test.rows], [891, 418]);
    assert.equal(card.seed, 42);
    const estimate = card.metrics.estimate;
    assert.equal(estimate.method, "nested cross-validation");
    assert.equal(Object.values(estimate.choices).reduce((x, y) => x + y, 0), 15);
    // The selection on all rows names the candidate the card's pipeline was built from.
    assert.equal(card.metrics.selection?.chosen, card.description.split(": ")[1]);
    assert.ok((card.metrics.selection?.candidates.length ?? 0) > 10);
    const names = card.metrics.comparisons.map((c) => c.name);
    for (const baseline of ["majority class", "women survive", "preset seed"]) {
      assert.ok(names.includes(baseline), `compared with ${baseline}`);
    }
    const majority = card.metrics.comparisons.find((c) => c.name === "majority class")!;
    assert.ok(Math.abs(majority.accuracy.mean - 549 / 891) < 0.002, "majority = 61.6 %");
    assert.ok(estimate.accuracy.mean > majority.accuracy.mean);
    assert.deepEqual(card.inputs.map((i) => i.name), first.pipeline.inputs());
    assert.deepEqual(card.inputs.find((i) => i.name === "Sex")?.categories, ["female", "male"]);
    assert.equal(card.versions["nodejs-polars"], "0.25.2");
    assert.equal(card.versions["onnxruntime-node"], "1.30.0");
  });
});

Deno.test("train: a fixed preset gets plain CV; another seed gives another file; the card path rule", async () => {
  Deno.env.set("TITANIC_DATA_DIR", SHARED_DATA);
  await withTempDir(async (dir) => {
    const options = { preset: "group", folds: 3, repeats: 1 };
    const a = await train({ ...options, seed: 42, output: join(dir, "a.onnx") });
    const b = await train({ ...options, seed: 7, output: join(dir, "model.bin") });
    assert.equal(a.card.metrics.estimate.method, "cross-validation");
    assert.equal(a.card.metrics.selection, undefined);
    assert.equal(a.cardPath, join(dir, "a.json"));
    assert.equal(b.cardPath, join(dir, "model.bin.json"));
    assert.notDeepEqual(await Deno.readFile(b.onnxPath), await Deno.readFile(a.onnxPath));
  });
});

Deno.test("train: impossible options are refused before any work, naming the option", () => {
  const ok = { preset: "default", folds: 5, repeats: 3 };
  assert.throws(() => checkTrainOptions({ ...ok, folds: 1 }), /--folds must be .* at least 2/);
  assert.throws(() => checkTrainOptions({ ...ok, folds: 2.5 }), /--folds/);
  assert.throws(() => checkTrainOptions({ ...ok, repeats: 0 }), /--repeats must be .* 1 to 100/);
  assert.throws(() => checkTrainOptions({ ...ok, preset: "nope" }), /unknown preset "nope"/);
  checkTrainOptions(ok);
});

Deno.test("train: more folds than the smaller class has rows is refused before the CV", async () => {
  Deno.env.set("TITANIC_DATA_DIR", SHARED_DATA);
  await withTempDir(async (dir) => {
    await assert.rejects(
      train({ preset: "seed", folds: 2000, repeats: 1, seed: 42, output: join(dir, "x.onnx") }),
      /--folds must be at most 342/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  });
});
