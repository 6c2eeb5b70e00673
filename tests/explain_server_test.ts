/**
 * Explanations from the real server: for models trained here (one per fixed preset), every
 * row of train.csv and test.csv sent with `explain=true` comes back with base_value + the
 * contributions equal to the returned probability (within 1e-4), contributions equal to the
 * library's for the same rows, and the answer without the header unchanged.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeInputs } from "../src/codec/inputs.ts";
import { explainPipeline } from "../src/pipeline/explain.ts";
import { train } from "../src/train.ts";
import onnxProto from "onnx-proto";
import { sha256Hex } from "../src/util/fs.ts";
import { dataset, denoTask as task, SHARED_DATA, withTempDir } from "./helpers.ts";
import { invoke, startServer } from "./server_helpers.ts";

const EXPLAIN = { "x-amzn-sagemaker-custom-attributes": "explain=true" };
const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));

interface Explained {
  PassengerId: number;
  Survived: number;
  probability: number;
  explanation: {
    space: "probability" | "log-odds";
    base_value: number;
    contributions: Record<string, number>;
  };
}

for (const preset of ["seed", "forest", "boosting", "group"]) {
  Deno.test(`explain server: preset ${preset}, every row of train.csv and test.csv`, async () => {
    Deno.env.set("TITANIC_DATA_DIR", SHARED_DATA);
    await withTempDir(async (dir) => {
      const trained = await train({
        preset,
        seed: 42,
        folds: 2,
        repeats: 1,
        output: join(dir, "model.onnx"),
      });
      const { train: trainData, test: testData } = await dataset();
      const server = await startServer(["--model", trained.onnxPath]);
      try {
        for (const [file, data] of [["train.csv", trainData], ["test.csv", testData]] as const) {
          const csv = await Deno.readTextFile(join(SHARED_DATA, file));
          const plain = await invoke(server, csv, "text/csv");
          const res = await invoke(server, csv, "text/csv", EXPLAIN);
          assert.equal(res.status, 200, res.text);
          assert.equal(res.headers.get("x-amzn-sagemaker-custom-attributes"), "explain=true");
          const got = JSON.parse(res.text).predictions as Explained[];
          const { explanation } = explainPipeline(
            trained.pipeline,
            encodeInputs(data.columns, trained.pipeline.inputs()),
          );
          const groups = explanation.groups, g = groups.length;
          assert.equal(got.length, data.columns.length);
          got.forEach((p, r) => {
            const e = p.explanation;
            assert.deepEqual(Object.keys(e.contributions), groups);
            const total = e.base_value +
              Object.values(e.contributions).reduce((a, b) => a + b, 0);
            const probability = e.space === "log-odds" ? sigmoid(total) : total;
            assert.ok(
              Math.abs(probability - p.probability) <= 1e-4,
              `${file} row ${r}: explained ${probability}, returned ${p.probability}`,
            );
            assert.ok(Math.abs(e.base_value - explanation.base) <= 5e-7);
            groups.forEach((name, j) => {
              assert.ok(
                Math.abs(e.contributions[name] - explanation.values[r * g + j]) <= 5e-7,
                `${file} row ${r} ${name}: server ${e.contributions[name]}, library ${
                  explanation.values[r * g + j]
                }`,
              );
            });
          });
          assert.equal(
            got[0].explanation.space,
            preset === "boosting" ? "log-odds" : "probability",
          );
          // The same answer, less the explanations, as without the header.
          const stripped = got.map(({ explanation: _, ...rest }) => rest);
          assert.equal(JSON.stringify({ predictions: stripped }), plain.text);
        }
        // CSV and JSON lines answers carry the same numbers.
        const rows = (await Deno.readTextFile(join(SHARED_DATA, "test.csv"))).split("\n")
          .slice(0, 4).join("\n");
        const json = JSON.parse((await invoke(server, rows, "text/csv", EXPLAIN)).text)
          .predictions as Explained[];
        const csv = await invoke(server, rows, "text/csv", { ...EXPLAIN, accept: "text/csv" });
        const plainCsv = await invoke(server, rows, "text/csv", { accept: "text/csv" });
        assert.equal(csv.status, 200, csv.text);
        const lines = csv.text.trim().split("\n").map((l) => l.split(",").map(Number));
        lines.forEach((cells, r) => {
          const p = json[r];
          assert.deepEqual(cells, [
            p.PassengerId,
            p.Survived,
            p.probability,
            p.explanation.base_value,
            ...Object.values(p.explanation.contributions),
          ]);
        });
        assert.equal(
          csv.text.split("\n").map((l) => l.split(",").slice(0, 3).join(",")).join("\n"),
          plainCsv.text,
        );
        const jsonl = await invoke(server, rows, "text/csv", {
          ...EXPLAIN,
          accept: "application/jsonlines",
        });
        assert.deepEqual(jsonl.text.trim().split("\n").map((l) => JSON.parse(l)), json);
      } finally {
        await server.stop();
      }
    });
  });
}

Deno.test("explain server: bad attribute 400, explain=false unchanged, no covers 400; invoke and predict --explain", async () => {
  Deno.env.set("TITANIC_DATA_DIR", SHARED_DATA);
  await withTempDir(async (dir) => {
    const trained = await train({
      preset: "boosting",
      seed: 42,
      folds: 2,
      repeats: 1,
      output: join(dir, "model.onnx"),
    });
    // The same model with its explanation metadata removed: as a model made before explanations.
    const model = onnxProto.onnx.ModelProto.decode(trained.onnx);
    model.metadataProps = [];
    const bare = onnxProto.onnx.ModelProto.encode(model).finish();
    const barePath = join(dir, "bare.onnx");
    await Deno.writeFile(barePath, bare);
    const card = { ...trained.card, onnx: { ...trained.card.onnx, sha256: await sha256Hex(bare) } };
    await Deno.writeTextFile(join(dir, "bare.json"), JSON.stringify(card));
    const body = JSON.stringify({ Pclass: 3, Sex: "male", Age: 4, PassengerId: 1 });
    const server = await startServer(["--model", trained.onnxPath]);
    try {
      const plain = await invoke(server, body);
      for (const attributes of ["explain=false", "trace=1;explain=false", "other=1"]) {
        const res = await invoke(server, body, "application/json", {
          "x-amzn-sagemaker-custom-attributes": attributes,
        });
        assert.equal(res.text, plain.text, attributes);
      }
      const ok = await invoke(server, body, "application/json", {
        "x-amzn-sagemaker-custom-attributes": "trace=1; Explain = TRUE",
      });
      assert.ok(JSON.parse(ok.text).predictions[0].explanation, ok.text);
      const bad = await invoke(server, body, "application/json", {
        "x-amzn-sagemaker-custom-attributes": "explain=yes",
      });
      assert.equal(bad.status, 400);
      const err = JSON.parse(bad.text);
      assert.equal(err.error, "invalid_custom_attribute");
      assert.equal(err.field, "explain");
      assert.match(err.message, /"yes"/);
      // deno task invoke --explain, against this server.
      const payload = join(dir, "one.json");
      await Deno.writeTextFile(payload, body);
      const invoked = await task("invoke", "--url", server.url, "--file", payload, "--explain");
      assert.equal(invoked.code, 0, invoked.stderr);
      assert.equal(invoked.stdout.trim(), ok.text);
    } finally {
      await server.stop();
    }
    // deno task predict --explain: the same numbers as columns, adding up to the probability.
    const predicted = await task(
      "predict",
      "--explain",
      "--model",
      trained.onnxPath,
      "--input",
      join(SHARED_DATA, "test.csv"),
    );
    assert.equal(predicted.code, 0, predicted.stderr);
    const [header, ...rows] = predicted.stdout.trim().split("\n").map((l) => l.split(","));
    const { explanation } = explainPipeline(
      trained.pipeline,
      encodeInputs((await dataset()).test.columns, trained.pipeline.inputs()),
    );
    assert.deepEqual(header, [
      "PassengerId",
      "Survived",
      "Probability",
      "space",
      "base_value",
      ...explanation.groups,
    ]);
    assert.equal(rows.length, 418);
    const g = explanation.groups.length;
    rows.forEach((cells, r) => {
      assert.equal(cells[3], "log-odds");
      const numbers = cells.slice(4).map(Number);
      const margin = numbers.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sigmoid(margin) - Number(cells[2])) <= 1e-4, `row ${r}`);
      numbers.slice(1).forEach((v, j) =>
        assert.ok(Math.abs(v - explanation.values[r * g + j]) <= 5e-7, `row ${r} group ${j}`)
      );
    });
    const old = await startServer(["--model", barePath]);
    try {
      const res = await invoke(old, body, "application/json", EXPLAIN);
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.text).error, "explanation_unavailable");
      assert.equal((await invoke(old, body)).status, 200);
    } finally {
      await old.stop();
    }
  });
});

Deno.test("explain server: the container's module graph holds no training code", async () => {
  const root = new URL("../", import.meta.url);
  for (const entry of ["container/server.ts", "container/worker.ts"]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root.pathname,
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const modules = (JSON.parse(new TextDecoder().decode(out.stdout)).modules as {
      specifier: string;
    }[]).map((m) => m.specifier.replace(root.href, ""));
    assert.ok(modules.includes("container/explain.ts") || entry.endsWith("worker.ts"));
    assert.ok(modules.some((m) => m === "src/inference/treeshap.ts"), `${entry} explains`);
    const training = modules.filter((m) =>
      /^src\/(learners|pipeline|onnx|eval|train)|nodejs-polars|onnx-proto/.test(m)
    );
    assert.deepEqual(training, [], `${entry} imports training code`);
  }
});
