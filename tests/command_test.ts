/** The CLI layer (src/util/command.ts) on its own: parsing, validation, defaults, help. */

import assert from "node:assert/strict";
import {
  defineCommand,
  helpText,
  type Options,
  parseCommand,
  runCommand,
  UsageError,
} from "../src/util/command.ts";

const spec = defineCommand({
  task: "deno task demo",
  summary: "A demonstration.",
  options: {
    folds: { type: "integer", arg: "K", min: 2, max: 20, default: 5, help: "folds" },
    share: { type: "number", min: 0, minExclusive: true, max: 1, help: "a share" },
    tool: { type: "choice", choices: ["docker", "podman"], default: "docker", help: "tool" },
    types: { type: "list", default: ["a", "b"], help: "types" },
    name: { type: "string", required: true, help: "a name" },
    port: { type: "integer", min: 0, max: 65535, env: "DEMO_PORT", default: 8080, help: "port" },
    verbose: { type: "boolean", short: "v", help: "say more" },
  },
  environment: {
    DEMO_THREADS: { type: "integer", min: 1, help: "threads" },
    DEMO_FLAG: { type: "boolean", help: "a flag" },
  },
});

type Env = (name: string) => string | undefined;
const noEnv: Env = () => undefined;
const envOf = (vars: Record<string, string>): Env => (name) => vars[name];

function parsed(argv: string[], env: Env = noEnv) {
  const outcome = parseCommand(spec, argv, env);
  assert.ok(!outcome.help);
  return outcome;
}

function refused(argv: string[], message: RegExp, env: Env = noEnv) {
  assert.throws(() => parseCommand(spec, argv, env), (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.message, message);
    return true;
  }, argv.join(" "));
}

Deno.test("command: defaults fill what is not given, typed", () => {
  const { values, env, positionals } = parsed(["--name", "x"]);
  assert.deepEqual(values, {
    folds: 5,
    share: undefined,
    tool: "docker",
    types: ["a", "b"],
    name: "x",
    port: 8080,
    verbose: false,
  });
  assert.deepEqual(env, { DEMO_THREADS: undefined, DEMO_FLAG: false });
  assert.deepEqual(positionals, []);
  // A default list is copied, never shared with the declaration.
  values.types.push("c");
  assert.deepEqual(parsed(["--name", "x"]).values.types, ["a", "b"]);
});

Deno.test("command: given values are converted and checked against range and choices", () => {
  const { values } = parsed([
    "--name=y",
    "--folds",
    "20",
    "--share",
    "1",
    "--tool",
    "podman",
    "--types",
    " ml.m5.large, ml.t2.medium ,",
    "-v",
  ]);
  assert.equal(values.folds, 20);
  assert.equal(values.share, 1);
  assert.equal(values.tool, "podman");
  assert.deepEqual(values.types, ["ml.m5.large", "ml.t2.medium"]);
  assert.equal(values.verbose, true);
  const bad: [string[], RegExp][] = [
    [["--folds", "abc"], /^--folds must be an integer between 2 and 20, got "abc"$/],
    [["--folds", "1"], /^--folds must be an integer between 2 and 20, got "1"$/],
    [["--folds", "21"], /--folds .* got "21"/],
    [["--folds", "2.5"], /--folds .* got "2.5"/],
    [["--folds", ""], /--folds .* got ""/],
    [["--folds", "1e400"], /--folds .* got "1e400"/],
    [["--share", "0"], /^--share must be a number > 0 and <= 1, got "0"$/],
    [["--share", "1.01"], /--share/],
    [["--share", "NaN"], /--share/],
    [["--tool", "lxc"], /^--tool must be one of docker, podman, got "lxc"$/],
    [["--types", " , "], /^--types must be a comma-separated list/],
    [["--port", "-1"], /^--port must be an integer between 0 and 65535, got "-1"$/],
  ];
  for (const [argv, message] of bad) refused(["--name", "x", ...argv], message);
});

Deno.test("command: required options, unknown options and stray arguments are usage errors", () => {
  refused([], /^--name is required$/);
  // A bad given value is named before a missing one.
  refused(["--folds", "x"], /^--folds must be/);
  refused(["--name", "x", "--nope"], /Unknown option '--nope'/);
  refused(["--name", "x", "extra"], /^unexpected argument "extra"$/);
  refused(["--name"], /--name/); // a value is needed
  refused(["--name", "x", "--verbose=yes"], /--verbose/);
});

Deno.test("command: an option's environment fallback, and environment-only settings", () => {
  assert.equal(parsed(["--name", "x"], envOf({ DEMO_PORT: "9000" })).values.port, 9000);
  // The command line wins over the environment.
  assert.equal(
    parsed(["--name", "x", "--port", "1"], envOf({ DEMO_PORT: "9000" })).values.port,
    1,
  );
  assert.equal(parsed(["--name", "x"], envOf({ DEMO_PORT: "" })).values.port, 8080);
  refused(
    ["--name", "x"],
    /^DEMO_PORT must be an integer between 0 and 65535, got "x"$/,
    envOf({
      DEMO_PORT: "x",
    }),
  );
  const env = parsed(["--name", "x"], envOf({ DEMO_THREADS: "4", DEMO_FLAG: "1" })).env;
  assert.deepEqual(env, { DEMO_THREADS: 4, DEMO_FLAG: true });
  for (const threads of ["abc", "-2", "0", "1.5"]) {
    refused(
      ["--name", "x"],
      new RegExp(`^DEMO_THREADS must be an integer >= 1, got "${threads}"$`),
      envOf({ DEMO_THREADS: threads }),
    );
  }
  refused(
    ["--name", "x"],
    /^DEMO_FLAG must be 1 or 0, got "maybe"$/,
    envOf({ DEMO_FLAG: "maybe" }),
  );
});

Deno.test("command: --help wins over everything and reads no environment", () => {
  const env = () => {
    throw new Error("read the environment");
  };
  assert.deepEqual(parseCommand(spec, ["--folds", "x", "-h"], env), { help: true });
  const help = helpText(spec);
  assert.match(help, /^Usage: deno task demo \[options\]\n\nA demonstration\.\n\nOptions:\n/);
  for (const [name, option] of Object.entries(spec.options as Options)) {
    assert.match(
      help,
      new RegExp(`^  ${option.short ? `-${option.short}, ` : ""}--${name}\\b`, "m"),
    );
  }
  assert.match(help, /--folds K +folds \(an integer between 2 and 20; default: 5\)/);
  assert.match(help, /--tool NAME +tool \(one of docker, podman; default: docker\)/);
  assert.match(
    help,
    /--port N +port \(an integer between 0 and 65535; default: 8080; else DEMO_PORT\)/,
  );
  assert.match(help, /--name TEXT +a name \(required\)/);
  assert.match(help, /^ {2}-h, --help +show this help and exit$/m);
  assert.match(
    help,
    /\n\nEnvironment:\n {2}DEMO_THREADS +threads \(an integer >= 1\)\n {2}DEMO_FLAG +a flag/,
  );
  for (const line of help.split("\n")) assert.ok(line.length <= 100, line);
});

Deno.test("command: runCommand's exit statuses: 0 done, 1 failed, 2 bad usage", async () => {
  // In a child process, since runCommand exits.
  const module = new URL("../src/util/command.ts", import.meta.url).href;
  const script = (body: string) => `
    import { defineCommand, runCommand, badUsage } from "${module}";
    const spec = defineCommand({ task: "t", summary: "s", options: {
      n: { type: "integer", min: 1, default: 1, help: "n" } } });
    await runCommand(spec, async ({ values }) => { ${body} });`;
  const cases: [string, string[], number, RegExp][] = [
    ["console.log('ran', values.n)", ["--n", "3"], 0, /^ran 3$/],
    ["console.log('ran')", ["--help"], 0, /^Usage: t \[options\]/],
    ["console.log('ran')", ["--n", "0"], 2, /^$/],
    ["console.log('ran')", ["--bogus"], 2, /^$/],
    ["throw new Error('disk full')", [], 1, /^$/],
    ["badUsage('--n and the moon')", [], 2, /^$/],
    ["return 3", [], 3, /^$/],
  ];
  for (const [body, argv, code, stdout] of cases) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script(body), ...argv],
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, code, `${body} ${argv}: ${err}`);
    assert.match(text, stdout, body);
    if (code === 1) assert.match(err, /^error: disk full\n$/);
    if (code === 2 && argv[0] === "--n") assert.match(err, /--n must be an integer >= 1, got "0"/);
    assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
  }
  void runCommand; // (the children import it)
});
