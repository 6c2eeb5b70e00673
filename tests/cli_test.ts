/** The CLI tasks as a user runs them: deno task NAME ... from the project root. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { denoTask as task, SHARED_DATA, withTempDir } from "./helpers.ts";

/** Each task's options: what its --help must list, no more and no less. */
const AWS_OPTIONS = ["--region", "--dry-run"];
const TASK_OPTIONS: Record<string, string[]> = {
  train: ["--preset", "--seed", "--folds", "--repeats", "--output"],
  predict: ["--input", "--output", "--proba", "--explain", "--model"],
  evaluate: ["--preset", "--folds", "--repeats", "--seed", "--details", "--output"],
  search: ["--features", "--folds", "--repeats", "--seed", "--top"],
  data: [],
  jupyter: ["--port", "--lab"],
  package: ["--model", "--output"],
  "lambda:bundle": ["--outdir"],
  "push-image": ["--repository", "--tag", "--image", "--tool", "--run", ...AWS_OPTIONS],
  deploy: [
    "--image",
    "--role",
    "--model-data",
    "--endpoint",
    "--instance-type",
    "--count",
    "--serverless",
    "--autoscale",
    "--ab-image",
    "--ab-model-data",
    "--ab-weight",
    "--poll-seconds",
    "--plan",
    // src/cli/operations_options.ts
    "--model-package",
    "--group",
    "--capture",
    "--alarms",
    "--alarm-topic",
    "--alarm-server-errors",
    "--alarm-latency-ms",
    "--alarm-errors",
    "--alarm-shed",
    ...AWS_OPTIONS,
  ],
  register: [
    "--image",
    "--model-data",
    "--group",
    "--card",
    "--description",
    "--instance-types",
    "--transform-types",
    "--output",
    ...AWS_OPTIONS,
  ],
  approve: ["--group", "--version", "--package", "--reject", "--description", ...AWS_OPTIONS],
  drift: ["--captured", "--card", "--threshold", "--json", "--region"],
  "shift-traffic": ["--endpoint", "--weights", "--poll-seconds", ...AWS_OPTIONS],
  invoke: [
    "--endpoint",
    "--url",
    "--file",
    "--content-type",
    "--accept",
    "--custom-attributes",
    "--explain",
    ...AWS_OPTIONS,
  ],
  teardown: ["--endpoint", "--yes", "--plan", ...AWS_OPTIONS],
  transform: [
    "--model",
    "--endpoint-config",
    "--variant",
    "--input",
    "--output",
    "--content-type",
    "--instance-type",
    "--count",
    "--concurrency",
    "--max-payload-mb",
    "--job-name",
    "--poll-seconds",
    ...AWS_OPTIONS,
  ],
};

Deno.test("cli: --help explains every task's options", async () => {
  for (const [name, expected] of Object.entries(TASK_OPTIONS)) {
    const { code, stdout, stderr } = await task(name, "--help");
    assert.equal(code, 0, `${name}: ${stderr}`);
    assert.match(stdout, new RegExp(`deno task ${name}`));
    // The option table: lines that start with an option, each with a line of help after it.
    const listed = [...stdout.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)\b(.*)$/gm)];
    for (const [line, , help] of listed) assert.match(help, /\w{3,}/, `${name}: ${line}`);
    assert.deepEqual(
      listed.map((m) => m[1]).sort(),
      [...expected, "--help"].sort(),
      `${name}: the options its --help lists`,
    );
  }
});

Deno.test("cli: bad options exit 2 with a message, not a stack trace", async () => {
  const unknown = await task("predict", "--nope");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /error: Unknown option '--nope'/);
  const missing = await task("predict");
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--input is required/);
  const preset = await task("evaluate", "--preset", "nope");
  assert.equal(preset.code, 2);
  assert.match(
    preset.stderr,
    /--preset: unknown preset "nope"; known: seed, forest, boosting, group, default/,
  );
  const folds = await task("evaluate", "--folds", "x");
  assert.equal(folds.code, 2);
  // Impossible numbers are refused before any work, naming the option.
  const many = await task("train", "--folds", "2000", "--output", "/nonexistent/x.onnx");
  assert.equal(many.code, 2);
  assert.match(many.stderr, /--folds must be at most 342/);
  const none = await task("evaluate", "--repeats", "0");
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--repeats must be a whole number from 1 to 100/);
  assert.doesNotMatch(unknown.stderr + missing.stderr + folds.stderr, /\n\s+at /);
});

Deno.test("cli: predict writes the Kaggle submission format, with --proba a probability", async () => {
  const plain = await task("predict", "--input", join(SHARED_DATA, "test.csv"));
  assert.equal(plain.code, 0, plain.stderr);
  const lines = plain.stdout.trim().split("\n");
  assert.equal(lines[0], "PassengerId,Survived");
  assert.equal(lines.length, 419);
  assert.match(lines[1], /^892,[01]$/);
  await withTempDir(async (dir) => {
    const output = join(dir, "out", "submission.csv");
    const proba = await task(
      "predict",
      "--input",
      join(SHARED_DATA, "test.csv"),
      "--output",
      output,
      "--proba",
    );
    assert.equal(proba.code, 0, proba.stderr);
    const rows = (await Deno.readTextFile(output)).trim().split("\n");
    assert.equal(rows[0], "PassengerId,Survived,Probability");
    assert.equal(rows.length, 419);
    for (const row of rows.slice(1)) {
      const [id, label, p] = row.split(",");
      assert.ok(Number(id) >= 892);
      assert.equal(label, Number(p) > 0.5 ? "1" : "0", row);
    }
    // A file with a bad value: the error names the file, line and column.
    await Deno.writeTextFile(join(dir, "bad.csv"), "Pclass,Sex,Age\n1,female,30\n2,male,old\n");
    const bad = await task("predict", "--input", join(dir, "bad.csv"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.csv:line 3: column "Age": expected a number, got "old"/);
  });
});

Deno.test("cli: evaluate prints the k-fold report and can write it as JSON", async () => {
  const output = await Deno.makeTempFile({ suffix: ".json" });
  const { code, stdout, stderr } = await task(
    "evaluate",
    "--preset",
    "seed",
    "--folds",
    "3",
    "--repeats",
    "1",
    "--output",
    output,
  );
  const written = JSON.parse(await Deno.readTextFile(output));
  await Deno.remove(output);
  assert.equal(code, 0, stderr);
  assert.equal(written.folds, 3);
  assert.equal(written.method, "cross-validation");
  assert.equal(written.perFold.length, 3);
  assert.ok(written.model.onnxBytes > 0);
  assert.equal(written.outOfFold.labels.length, 891);
  assert.match(stdout, /preset seed: 3-fold stratified CV x 1, seed 42/);
  assert.match(stdout, /accuracy\s+\d+\.\d\d % \+- \d+\.\d\d/);
  assert.match(stdout, /ROC AUC\s+0\.\d{4}/);
  assert.match(stdout, /log loss/);
  // Baselines on the same folds, with the paired difference; the seed preset against itself
  // differs by exactly 0 on every fold.
  assert.match(stdout, /majority class\s+61\.\d\d/);
  assert.match(stdout, /women survive\s+78\.\d\d/);
  assert.match(stdout, /preset seed\s+\d+\.\d\d \+- [\d.]+\s+\+0\.00 \+- 0\.00\s+0\/3\/0/);
  assert.match(stdout, /model\s+.*\d+ KiB ONNX, [\d.]+ µs per row/);
});

Deno.test("cli: train writes a model and card where asked", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "seed.onnx");
    const { code, stdout, stderr } = await task(
      "train",
      "--preset",
      "seed",
      "--repeats",
      "1",
      "--output",
      output,
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /cross-validation \(5 folds x 1\): accuracy/);
    const card = JSON.parse(await Deno.readTextFile(join(dir, "seed.json")));
    assert.equal(card.preset, "seed");
    assert.equal(card.onnx.bytes, (await Deno.stat(output)).size);
  });
});
