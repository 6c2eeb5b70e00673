/** The CLI tasks as a user runs them: deno task NAME ... from the project root. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type CommandSpec, helpText, isCommand } from "../src/util/command.ts";
import { denoTask as task, SHARED_DATA, withTempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TASKS: Record<string, string> = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")))
  .tasks;
/** Tasks that are deno's own subcommands (deno test, deno bench): deno's help. */
const DENO_SUBCOMMANDS = ["test", "bench"];
/** The task Python runs: its declaration is the argparse parser of tools/run_notebooks.py. */
const PYTHON_TASKS = ["notebooks"];

/** Every declaration the modules of src/cli, container and tools export, by task name. */
async function declarations(): Promise<Map<string, CommandSpec>> {
  const modules = [
    ...[...Deno.readDirSync(join(ROOT, "src/cli"))].map((e) => `src/cli/${e.name}`),
    "container/serve_command.ts",
    "container/bench_commands.ts",
    ...[...Deno.readDirSync(join(ROOT, "tools"))].map((e) => `tools/${e.name}`),
  ].filter((path) => path.endsWith(".ts"));
  const found = new Map<string, CommandSpec>();
  for (const path of modules) {
    for (const value of Object.values(await import(join(ROOT, path)))) {
      if (!isCommand(value)) continue;
      const name = value.task.replace(/^deno task /, "");
      assert.ok(!found.has(name), `${name} is declared twice`);
      found.set(name, value);
    }
  }
  return found;
}

/** `deno task NAME ARGS` with extra environment variables. */
async function taskWith(env: Record<string, string>, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env: { TITANIC_DATA_DIR: SHARED_DATA, NO_COLOR: "1", ...env },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** The options a help text's option table lists (lines that start with an option). */
const listedOptions = (help: string) =>
  [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)\b/gm)].map((m) => m[1]);

const NOT_A_NUMBER = "abc";

Deno.test("cli: every task in deno.json has a declaration; its --help is generated from it and does no work", async () => {
  const declared = await declarations();
  const ours = Object.keys(TASKS).filter(
    (name) => !DENO_SUBCOMMANDS.includes(name) && !PYTHON_TASKS.includes(name),
  );
  assert.deepEqual(ours.filter((name) => !declared.has(name)), [], "tasks without a declaration");
  assert.deepEqual([...declared.keys()].filter((name) => !(name in TASKS)), [], "not a task");
  for (const name of ours) {
    const spec = declared.get(name)!;
    const { code, stdout, stderr } = await task(name, "--help");
    assert.equal(code, 0, `${name}: ${stderr}`);
    // Exactly the generated text: nothing of the task's work is printed (or done) before it.
    assert.equal(stdout, helpText(spec) + "\n", name);
    assert.equal(stderr, "", name);
    assert.deepEqual(
      listedOptions(stdout),
      [...Object.keys(spec.options).map((o) => `--${o}`), "--help"],
      `${name}: every declared option is listed, in order`,
    );
    for (const variable of Object.keys(spec.environment ?? {})) {
      assert.match(stdout, new RegExp(`^ {2}${variable} `, "m"), `${name}: ${variable}`);
    }
    for (const [option, declaration] of Object.entries(spec.options)) {
      assert.match(stdout, new RegExp(`--${option}\\b.*\\w{3,}`), `${name}: --${option}'s help`);
      if (declaration.type === "choice") {
        const flat = stdout.replace(/\s+/g, " "); // the help wraps long lines
        assert.ok(flat.includes(declaration.choices.join(", ")), `${name}: --${option} choices`);
      }
    }
  }
});

Deno.test("cli: the tasks that are deno's own subcommands answer --help with deno's help", async () => {
  for (const [name, subcommand] of [["test", "Run tests"], ["bench", "Run benchmarks"]]) {
    const { code, stdout } = await task(name, "--help");
    assert.equal(code, 0, name);
    assert.match(stdout, new RegExp(`^${subcommand}`), name);
  }
});

Deno.test("cli: every task refuses an unknown option, and a word for its first numeric option, with exit 2 naming it", async () => {
  const declared = await declarations();
  for (const [name, spec] of declared) {
    const unknown = await task(name, "--no-such-option");
    assert.equal(unknown.code, 2, `${name}: ${unknown.stderr}`);
    assert.match(unknown.stderr, /^error: Unknown option '--no-such-option'/, name);
    assert.doesNotMatch(unknown.stderr, /\n\s+at /, `${name}: no stack trace`);
    const numeric = Object.entries(spec.options).find(([, o]) =>
      o.type === "integer" || o.type === "number"
    );
    if (!numeric) continue;
    const bad = await task(name, `--${numeric[0]}`, NOT_A_NUMBER);
    assert.equal(bad.code, 2, `${name}: ${bad.stderr}`);
    assert.match(
      bad.stderr,
      new RegExp(
        `^error: --${numeric[0]} must be an? (integer|number)\\b.*, got "${NOT_A_NUMBER}"`,
      ),
      name,
    );
  }
  const python = await task("notebooks", "--no-such-option");
  assert.equal(python.code, 2, python.stderr);
  assert.match(python.stderr, /unrecognized arguments: --no-such-option/);
});

Deno.test("cli: serve checks its environment before it starts: exit 2 naming the variable", async () => {
  const serve = (await declarations()).get("serve")!;
  const numeric = Object.entries(serve.environment ?? {}).filter(([, v]) =>
    v.type === "integer" || v.type === "number"
  );
  assert.ok(numeric.some(([name]) => name === "MODEL_THREADS"));
  for (const [variable] of numeric) {
    for (const value of [NOT_A_NUMBER, "-1"]) {
      const { code, stderr } = await taskWith({ [variable]: value }, "serve", "--port", "0");
      assert.equal(code, 2, `${variable}=${value}: ${stderr}`);
      assert.match(stderr, new RegExp(`^error: ${variable} must be .*, got "${value}"`));
    }
  }
  // MaxPayloadInMB is a whole number of MB (and 0 there would mean no limit).
  for (const value of ["0.5", "0"]) {
    const payload = await taskWith({ SAGEMAKER_MAX_PAYLOAD_IN_MB: value }, "serve", "--port", "0");
    assert.equal(payload.code, 2, payload.stderr);
    assert.match(payload.stderr, /^error: SAGEMAKER_MAX_PAYLOAD_IN_MB must be an integer/);
  }
  const port = await taskWith({ SAGEMAKER_BIND_TO_PORT: "http" }, "serve");
  assert.equal(port.code, 2);
  assert.match(port.stderr, /^error: SAGEMAKER_BIND_TO_PORT must be an integer between 0 and/);
  // SageMaker's "serve" argument is taken (with --help here, so that nothing starts).
  const sagemaker = await task("serve", "serve", "--help");
  assert.equal(sagemaker.code, 0, sagemaker.stderr);
  const other = await task("serve", "run");
  assert.equal(other.code, 2);
  assert.match(other.stderr, /unexpected argument "run"/);
});

Deno.test("cli: deno task notebooks --help lists the runner's declared arguments and runs nothing", async () => {
  // The declaration is the runner's argparse parser, read by Python itself.
  const probe = await new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      "import json, sys; sys.path.insert(0, 'tools'); import run_notebooks as r; " +
      "print(json.dumps([a.option_strings or [a.metavar] for a in r.parser()._actions]))",
    ],
    cwd: ROOT,
  }).output();
  assert.equal(probe.code, 0, new TextDecoder().decode(probe.stderr));
  const declared: string[][] = JSON.parse(new TextDecoder().decode(probe.stdout));
  const { code, stdout } = await task("notebooks", "--help");
  assert.equal(code, 0);
  assert.match(stdout, /^usage: deno task notebooks/);
  for (const name of declared.flat()) assert.ok(stdout.includes(name), `lists ${name}`);
  assert.doesNotMatch(stdout, /: ok \(/);
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
    /--preset must be one of seed, forest, boosting, group, default, got "nope"/,
  );
  const folds = await task("evaluate", "--folds", "x");
  assert.equal(folds.code, 2);
  assert.match(folds.stderr, /--folds must be an integer >= 2, got "x"/);
  // Impossible numbers are refused before any work, naming the option.
  const many = await task("train", "--folds", "2000", "--output", "/nonexistent/x.onnx");
  assert.equal(many.code, 2);
  assert.match(many.stderr, /--folds must be at most 342/);
  const none = await task("evaluate", "--repeats", "0");
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--repeats must be an integer between 1 and 100, got "0"/);
  const negative = await task("drift", "--captured", ".", "--threshold", "-1");
  assert.equal(negative.code, 2);
  assert.match(negative.stderr, /--threshold must be a number > 0, got "-1"/);
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
