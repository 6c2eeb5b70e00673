import assert from "node:assert/strict";
import { join } from "node:path";
import { sha256Hex } from "../src/util/fs.ts";
import { train } from "../src/train.ts";
import { SHARED_DATA, withTempDir } from "./helpers.ts";

const MODELS = new URL("../models/", import.meta.url).pathname;

Deno.test("train: same data and seed give byte-identical files, equal to the committed ones", async () => {
  Deno.env.set("TITANIC_DATA_DIR", SHARED_DATA);
  await withTempDir(async (dir) => {
    const options = { preset: "default", seed: 42, folds: 5, repeats: 5 };
    const first = await train({ ...options, output: join(dir, "a", "titanic.onnx") });
    const second = await train({ ...options, output: join(dir, "b", "titanic.onnx") });
    const a = await Deno.readFile(first.onnxPath);
    assert.deepEqual(a, await Deno.readFile(second.onnxPath));
    assert.equal(await Deno.readTextFile(first.cardPath), await Deno.readTextFile(second.cardPath));
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
    assert.equal(card.seed, 42);
    assert.ok(
      card.metrics.crossValidation.accuracy.mean >= 0.835,
      "default preset must reach 83.5 % CV",
    );
    assert.deepEqual(card.inputs.map((i) => i.name), first.pipeline.inputs());
    assert.deepEqual(card.inputs.find((i) => i.name === "Sex")?.categories, ["female", "male"]);
    assert.equal(card.versions["nodejs-polars"], "0.25.2");
    assert.equal(card.versions["onnxruntime-node"], "1.30.0");
    const another = await train({ ...options, seed: 7, output: join(dir, "c", "titanic.onnx") });
    assert.notDeepEqual(await Deno.readFile(another.onnxPath), a);
  });
});
