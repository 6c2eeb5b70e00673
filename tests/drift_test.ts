/**
 * Drift: the baseline from the training rows and the committed model's predictions, capture
 * files written as SageMaker writes them (real answers of the server's codec), the report and
 * `deno task drift`'s exit status.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { RawColumns } from "../src/codec/columns.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { OnnxModel } from "../src/inference/model.ts";
import { type DriftBaseline, driftBaseline } from "../src/monitor/baseline.ts";
import { train as trainModel } from "../src/train.ts";
import {
  capturedBatch,
  CaptureError,
  parseCaptureFile,
  readCaptureDir,
  readCaptureS3,
} from "../src/monitor/capture.ts";
import { compareWithBaseline, formatReport, psi } from "../src/monitor/drift.ts";
import { assertValidCalls, callsOfMock } from "./aws_models.ts";
import { captureLine, csvOf, type Encoding, recordsOf } from "./capture_helpers.ts";
import { dataset, withTempDir } from "./helpers.ts";
import { runTask } from "./task_helpers.ts";
import type { MediaType } from "../container/payload.ts";

async function columnsOfDataset(): Promise<{ train: RawColumns; test: RawColumns }> {
  const { train, test } = await dataset();
  return { train: train.columns, test: test.columns };
}

/** A fresh model and card from `train` (the committed ones may predate the baseline). */
async function trained(preset: string, dir: string) {
  const result = await trainModel({
    preset,
    seed: 42,
    folds: 5,
    repeats: 1,
    output: join(dir, `${preset}.onnx`),
  });
  return {
    model: await OnnxModel.load(result.onnxPath),
    baseline: result.card.baseline as DriftBaseline,
    cardPath: result.cardPath,
  };
}
const MODELS = await Deno.makeTempDir({ prefix: "titanic-drift-" });
globalThis.addEventListener("unload", () => Deno.removeSync(MODELS, { recursive: true }));
// "forest" reads Pclass and Age (the shift below moves both); "group" reads its training rows'
// labels through the group survival tables, the hard case for the predictions' baseline.
const forest = await trained("forest", MODELS);
const model = forest.model;

const FORMATS: {
  type: MediaType;
  accept: MediaType;
  encoding: { input: Encoding; output: Encoding };
}[] = [
  {
    type: "application/json",
    accept: "application/json",
    encoding: { input: "JSON", output: "JSON" },
  },
  { type: "text/csv", accept: "text/csv", encoding: { input: "CSV", output: "CSV" } },
  {
    type: "application/jsonlines",
    accept: "application/jsonlines",
    encoding: { input: "BASE64", output: "BASE64" },
  },
];

/** Capture lines for `columns`, `batch` records per invocation, cycling through the formats. */
async function captureLines(
  columns: RawColumns,
  batch = 37,
  answering = model,
): Promise<string[]> {
  const lines: string[] = [];
  for (let from = 0, k = 0; from < columns.length; from += batch, k++) {
    const to = Math.min(columns.length, from + batch);
    const format = FORMATS[k % FORMATS.length];
    const body = format.type === "text/csv"
      ? csvOf(columns, from, to)
      : format.type === "application/json"
      ? JSON.stringify({ instances: recordsOf(columns, from, to) })
      : recordsOf(columns, from, to).map((r) => JSON.stringify(r)).join("\n");
    lines.push(
      await captureLine(answering, body, format.type, format.accept, format.encoding, `e${k}`),
    );
  }
  return lines;
}

/** The same rows with every passenger in first class, aged 79. */
function firstClassAged79(columns: RawColumns): RawColumns {
  return {
    ...columns,
    numbers: {
      ...columns.numbers,
      Pclass: new Float64Array(columns.length).fill(1),
      Age: new Float64Array(columns.length).fill(79),
    },
  };
}

Deno.test("capture reader: CSV, JSON and BASE64 bodies give the rows and the endpoint's answers", async () => {
  const train = (await dataset()).train.columns;
  const text = (await captureLines(train)).join("\n") + "\n";
  const records = parseCaptureFile(text, "capture.jsonl");
  assert.deepEqual(
    [...new Set(records.map((r) => `${r.input.encoding}/${r.output?.encoding}`))],
    ["JSON/JSON", "CSV/CSV", "BASE64/BASE64"],
  );
  assert.equal(records[0].eventId, "e0");
  assert.equal(records[0].inferenceTime, "2026-12-01T12:00:00Z");
  const batch = capturedBatch(records, model.inputNames);
  const expected = encodeInputs(train, model.inputNames);
  assert.equal(batch.rows, 891);
  for (const name of model.inputNames) assert.deepEqual(batch.inputs[name], expected[name], name);
  const out = await model.predict(expected);
  assert.deepEqual(batch.labels, Array.from(out.labels));
  for (let i = 0; i < 891; i++) {
    assert.ok(Math.abs(batch.probabilities[i] - out.probabilities[i]) <= 5e-7, `row ${i}`);
  }
  // A base64 body is really base64: its text is not the JSON lines it carries.
  assert.ok(!records[2].input.data.includes("{"));
});

Deno.test("capture reader: bad lines and bodies are errors naming the file and line", () => {
  const good = JSON.stringify({
    captureData: {
      endpointInput: {
        observedContentType: "text/csv",
        mode: "INPUT",
        data: "Pclass,Sex\n3,male\n",
        encoding: "CSV",
      },
    },
  });
  assert.throws(() => parseCaptureFile(`${good}\nnot json\n`, "f.jsonl"), /f\.jsonl:2: not JSON/);
  assert.throws(
    () => parseCaptureFile(good.replace('"CSV"', '"XML"'), "f.jsonl"),
    /f\.jsonl:1: captureData\.endpointInput\.encoding is "XML"/,
  );
  const bad = parseCaptureFile(good.replace("3,male", "4,male"), "g.jsonl");
  assert.throws(() => capturedBatch(bad, model.inputNames), (err: unknown) => {
    assert.ok(err instanceof CaptureError);
    assert.match(
      err.message,
      /^g\.jsonl:1: endpointInput: invalid_field: .*record 0, field Pclass/,
    );
    return true;
  });
  const inputOnly = capturedBatch(parseCaptureFile(good, "f.jsonl"), model.inputNames);
  assert.deepEqual([inputOnly.rows, inputOnly.withoutOutput, inputOnly.probabilities], [1, 1, []]);
});

Deno.test("drift: train's baseline; training rows and test.csv show no drift in their inputs", async () => {
  const { train, test } = await columnsOfDataset();
  const baseline = forest.baseline;
  // One entry per model input; numbers binned, Sex and Embarked categorical, names free text.
  const KINDS: Record<string, string> = {
    Sex: "categorical",
    Embarked: "categorical",
    Name: "text",
    Ticket: "text",
    Cabin: "text",
  };
  assert.deepEqual(
    baseline.inputs.map((i) => [i.name, i.kind]),
    model.inputNames.map((n) => [n, KINDS[n] ?? "numeric"]),
  );
  assert.equal(baseline.rows, 891);
  const age = baseline.inputs.find((i) => i.name === "Age")!;
  assert.equal(age.missingRate, Math.round((177 / 891) * 1e6) / 1e6); // 177 ages missing
  const sex = baseline.inputs.find((i) => i.name === "Sex")!;
  assert.deepEqual(sex.kind === "categorical" && sex.categories, {
    female: Math.round((314 / 891) * 1e6) / 1e6,
    male: Math.round((577 / 891) * 1e6) / 1e6,
  });
  const same = compareWithBaseline(
    baseline,
    capturedBatch(parseCaptureFile((await captureLines(train)).join("\n"), "t"), model.inputNames),
  );
  for (const d of same.inputs) assert.ok(d.psi < 1e-4, `${d.name}: PSI ${d.psi}`);

  const fresh = compareWithBaseline(
    baseline,
    capturedBatch(parseCaptureFile((await captureLines(test)).join("\n"), "t"), model.inputNames),
  );
  assert.deepEqual(fresh.drifted, [], formatReport(fresh));
  assert.ok(fresh.inputs.every((d) => d.psi < 0.1), formatReport(fresh));
});

Deno.test("drift: the predictions' baseline is held out; in-sample answers would cry wolf", async () => {
  const { train, test } = await columnsOfDataset();
  const group = await trained("group", MODELS);
  const names = group.model.inputNames;
  const captured = capturedBatch(
    parseCaptureFile((await captureLines(test, 37, group.model)).join("\n"), "t"),
    names,
  );
  const report = compareWithBaseline(group.baseline, captured);
  assert.deepEqual(report.drifted, [], formatReport(report));
  // The same comparison against the model's answers on its own training rows flags them.
  const inputs = encodeInputs(train, names);
  const inSample = driftBaseline(inputs, (await group.model.predict(inputs)).probabilities);
  const naive = compareWithBaseline(inSample, captured);
  assert.deepEqual(naive.drifted, ["P(survived)"], formatReport(naive));
});

Deno.test("drift: every passenger in first class, aged 79, drifts on Pclass and Age only", async () => {
  const { test } = await columnsOfDataset();
  const baseline = forest.baseline;
  const shifted = firstClassAged79(test);
  const report = compareWithBaseline(
    baseline,
    capturedBatch(
      parseCaptureFile((await captureLines(shifted)).join("\n"), "t"),
      model.inputNames,
    ),
  );
  const inputs = report.drifted.filter((n) => n !== "P(survived)");
  assert.deepEqual(inputs, ["Pclass", "Age"], formatReport(report)); // the model's order
  const age = report.inputs.find((d) => d.name === "Age")!;
  assert.deepEqual(age.missingRate.captured, 0);
  assert.ok(age.psi > 1, `Age PSI ${age.psi}`);
  assert.equal(age.bins.at(-1)!.captured, 1, "every age in the top decile bin");
  const text = formatReport(report);
  assert.match(text, /^Pclass +numeric .*DRIFT: PSI/m);
  assert.match(text, /^Age +numeric .*DRIFT: PSI/m);
  assert.match(text, /^Sex +categorical .* ok$/m);
  assert.match(text, /drift in: Pclass, Age/);
});

Deno.test("drift: new and vanished categories, missing values as their own bin", () => {
  const deck = (values: string[]) => ({ Deck: values });
  const training = [...Array(60).fill("A"), ...Array(30).fill("B"), ...Array(10).fill("")];
  const baseline = driftBaseline(deck(training), new Float32Array(100).fill(0.3));
  const cat = baseline.inputs[0];
  assert.deepEqual(cat.kind === "categorical" && cat.categories, { A: 0.666667, B: 0.333333 });
  assert.equal(cat.missingRate, 0.1);
  const unchanged = compareWithBaseline(baseline, {
    inputs: deck(training),
    rows: 100,
    probabilities: [],
  });
  assert.deepEqual(unchanged.drifted, []);
  assert.equal(unchanged.predictions, undefined);
  const now = [...Array(95).fill("A"), ...Array(5).fill("Z")];
  const report = compareWithBaseline(baseline, { inputs: deck(now), rows: 100, probabilities: [] });
  const d = report.inputs[0];
  assert.deepEqual([d.newCategories, d.vanishedCategories], [["Z"], ["B"]]);
  assert.deepEqual(d.missingRate, { baseline: 0.1, captured: 0 });
  assert.deepEqual(d.bins.map((b) => b.label), ["(missing)", "A", "B", "(new)"]);
  assert.deepEqual(d.bins.map((b) => b.captured), [0, 0.95, 0, 0.05]);
  assert.ok(d.reasons.includes("new categories Z") && d.reasons.includes("vanished B"));
  // Only the missing rate moves: 10 % -> 60 %, the shares of the rest unchanged.
  const missing = [...Array(24).fill("A"), ...Array(12).fill("B"), ...Array(54).fill("")];
  const holes = compareWithBaseline(baseline, {
    inputs: deck(missing),
    rows: 90,
    probabilities: [],
  });
  assert.deepEqual(holes.drifted, ["Deck"]);
});

Deno.test("drift: PSI is the textbook sum (a - e) ln(a / e)", () => {
  const expected = 0.4 * Math.log(0.9 / 0.5) + -0.4 * Math.log(0.1 / 0.5);
  assert.ok(Math.abs(psi([0.5, 0.5], [0.9, 0.1]) - expected) < 1e-12);
  assert.equal(psi([0.2, 0.8], [0.2, 0.8]), 0);
});

Deno.test("capture reader: every page of an S3 listing, *.jsonl objects only", async () => {
  const s3 = new S3Client({ region: "us-east-1" });
  const mock = mockClient(s3);
  const train = (await dataset()).train.columns;
  const lines = await captureLines(train, 300); // 3 invocations
  mock.on(ListObjectsV2Command, { Bucket: "captures", Prefix: "titanic/primary" }).resolvesOnce({
    IsTruncated: true,
    NextContinuationToken: "page2",
    Contents: [{ Key: "titanic/primary/2026/12/01/12/a.jsonl" }, { Key: "titanic/primary/x.txt" }],
  }).resolvesOnce({
    IsTruncated: false,
    Contents: [{ Key: "titanic/primary/2026/12/01/13/b.jsonl" }],
  });
  const objects: Record<string, string> = {
    "titanic/primary/2026/12/01/12/a.jsonl": lines.slice(0, 2).join("\n"),
    "titanic/primary/2026/12/01/13/b.jsonl": lines[2] + "\n",
  };
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
    Body: { transformToString: () => Promise.resolve(objects[input.Key]) },
  }));
  const records = await readCaptureS3(s3, "s3://captures/titanic/primary");
  assert.equal(records.length, 3);
  assert.deepEqual(mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input), [
    { Bucket: "captures", Prefix: "titanic/primary" },
    { Bucket: "captures", Prefix: "titanic/primary", ContinuationToken: "page2" },
  ]);
  assert.deepEqual(mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input), [
    { Bucket: "captures", Key: "titanic/primary/2026/12/01/12/a.jsonl" },
    { Bucket: "captures", Key: "titanic/primary/2026/12/01/13/b.jsonl" },
  ]);
  assertValidCalls(callsOfMock(mock, s3));
  assert.equal(records[2].file, "s3://captures/titanic/primary/2026/12/01/13/b.jsonl");
  assert.equal(capturedBatch(records, model.inputNames).rows, 891);
});

const drift = (args: string[]) => runTask("drift", args);

Deno.test("deno task drift: exit 0 without drift, 1 naming the drifted inputs, 2 on bad input", async () => {
  const { test } = await columnsOfDataset();
  const cardPath = forest.cardPath;
  const card = JSON.parse(await Deno.readTextFile(cardPath));
  await withTempDir(async (dir) => {
    const write = async (sub: string, lines: string[]) => {
      await Deno.mkdir(join(dir, sub, "2026/12/01/12"), { recursive: true });
      await Deno.writeTextFile(join(dir, sub, "2026/12/01/12/capture.jsonl"), lines.join("\n"));
      return join(dir, sub);
    };
    const like = await write("like", await captureLines(test));
    const ok = await drift(["--captured", like, "--card", cardPath]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^no drift$/m);

    const shifted = await write("shifted", await captureLines(firstClassAged79(test)));
    const jsonPath = join(dir, "report.json");
    const bad = await drift(["--captured", shifted, "--card", cardPath, "--json", jsonPath]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /drift in: Pclass, Age/);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(jsonPath)).drifted.filter((n: string) =>
        n !== "P(survived)"
      ),
      ["Pclass", "Age"],
    );
    // A threshold above every PSI: the shift in Pclass and Age no longer counts.
    const lenient = await drift(["--captured", shifted, "--card", cardPath, "--threshold", "1000"]);
    assert.equal(lenient.code, 0, lenient.stdout);

    const broken = await write("broken", ["{not json"]);
    const two = await drift(["--captured", broken, "--card", cardPath]);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /capture\.jsonl:1: not JSON/);
    const oldCard = join(dir, "old.json");
    await Deno.writeTextFile(oldCard, JSON.stringify({ ...card, baseline: undefined }));
    const noBaseline = await drift(["--captured", like, "--card", oldCard]);
    assert.equal(noBaseline.code, 2);
    assert.match(noBaseline.stderr, /has no drift baseline: retrain/);
    assert.equal((await drift(["--captured", join(dir, "nothing")])).code, 2);
    assert.equal((await drift(["--captured", like, "--threshold", "-1"])).code, 2);
  });
});

Deno.test("capture reader: a folder is searched recursively for *.jsonl", async () => {
  const train = (await dataset()).train.columns;
  const lines = await captureLines(train, 500);
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "a/b"), { recursive: true });
    await Deno.writeTextFile(join(dir, "a/b/1.jsonl"), lines[0]);
    await Deno.writeTextFile(join(dir, "a/2.jsonl"), lines[1]);
    await Deno.writeTextFile(join(dir, "a/notes.txt"), "not a capture");
    const records = await readCaptureDir(dir);
    assert.deepEqual(records.map((r) => r.file.slice(dir.length)), ["/a/2.jsonl", "/a/b/1.jsonl"]);
  });
});
