/**
 * Every AWS task's options at their edges, run as the user runs them (`--dry-run`, through the
 * task's own parser and main, in process), each dry-run call checked against AWS's service
 * models (tests/aws_models.ts). For each option set there are two right outcomes: refused
 * before any call, with a message naming the option; or run, with every call valid. Anything
 * else (a call AWS would refuse, a refusal after some calls were made) is listed as a failure.
 */

import assert from "node:assert/strict";
import * as approve from "../src/cli/approve.ts";
import * as deploy from "../src/cli/deploy.ts";
import * as invoke from "../src/cli/invoke.ts";
import * as pushImage from "../src/cli/push_image.ts";
import * as register from "../src/cli/register.ts";
import * as shiftTraffic from "../src/cli/shift_traffic.ts";
import * as teardown from "../src/cli/teardown.ts";
import * as transform from "../src/cli/transform.ts";
import { type CommandSpec, parseCommand } from "../src/util/command.ts";
import { validateInput } from "./aws_models.ts";

const ROLE = "arn:aws:iam::123456789012:role/service-role/sagemaker";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1";
const PACKAGE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/titanic/3";

interface Task {
  name: string;
  module: {
    command: CommandSpec;
    // deno-lint-ignore no-explicit-any
    main: (parsed: any) => Promise<unknown>;
  };
  /** A valid run: every option set starts from it. */
  base: Record<string, string | true>;
  /** Options not tried: they read or write local files, run programs, or only pace the run. */
  skip?: string[];
  /** Values at AWS's edges that this task must take (run, not refuse). */
  valid?: Record<string, string[]>;
}

const TASKS: Task[] = [
  {
    name: "deploy",
    module: deploy,
    base: { image: IMAGE, role: ROLE },
    skip: ["poll-seconds", "plan"],
    valid: {
      autoscale: ["1,2147483647,1e108"],
      count: ["2147483647"],
      capture: [`s3://bucket/${"k".repeat(500)}`],
      "model-data": [`s3://bucket/${"k".repeat(1012)}`],
      endpoint: ["e".repeat(63)],
    },
  },
  {
    name: "deploy (model package)",
    module: deploy,
    base: { "model-package": "latest-approved", role: ROLE },
    skip: ["poll-seconds", "plan", "image", "model-data"],
    valid: {
      "model-package": [
        `${PACKAGE.slice(0, -2)}/99999`,
        PACKAGE.replace("titanic", "t".repeat(63)),
      ],
      group: ["g".repeat(63)],
    },
  },
  {
    name: "deploy (alarms)",
    module: deploy,
    base: { image: IMAGE, role: ROLE, alarms: true },
    skip: ["poll-seconds", "plan"],
    valid: {
      "alarm-topic": [`arn:aws:sns:us-east-1:123456789012:${"t".repeat(256)}`],
      "alarm-latency-ms": ["1e300"],
    },
  },
  {
    name: "deploy --plan",
    module: deploy,
    base: { image: IMAGE, role: ROLE, plan: true, alarms: true },
    skip: ["poll-seconds"],
  },
  {
    name: "deploy --plan (model package)",
    module: deploy,
    base: { "model-package": "latest-approved", role: ROLE, plan: true },
    skip: ["poll-seconds", "image", "model-data"],
  },
  { name: "teardown --plan", module: teardown, base: { endpoint: "titanic", plan: true } },
  {
    name: "deploy (A/B)",
    module: deploy,
    base: { image: IMAGE, role: ROLE, "ab-image": IMAGE, "ab-model-data": "s3://bucket/b.tar.gz" },
    skip: ["poll-seconds", "plan"],
  },
  {
    name: "deploy (serverless)",
    module: deploy,
    base: { image: IMAGE, role: ROLE, serverless: "2048,5" },
    skip: ["poll-seconds", "plan"],
    valid: { serverless: ["1024,200", "6144,1"] },
  },
  {
    name: "transform",
    module: transform,
    base: { model: "titanic-primary-0123abcd", input: "s3://bucket/in", output: "s3://bucket/out" },
    skip: ["poll-seconds"],
    valid: {
      input: [`s3://bucket/${"k".repeat(1012)}`],
      output: [`s3://bucket/${"k".repeat(1012)}`],
      "content-type": ["application/jsonlines"],
      count: ["2147483647"],
    },
  },
  {
    name: "register",
    module: register,
    base: { image: IMAGE, "model-data": "s3://bucket/titanic/model.tar.gz", group: "titanic" },
    skip: ["card", "output"],
    valid: {
      "model-data": [`s3://bucket/${"k".repeat(990)}/model.tar.gz`],
      description: ["Überleben – «Titanic» ± 0.1 ✓ ".repeat(40).slice(0, 1024)],
      image: ["x".repeat(255)],
    },
  },
  { name: "approve", module: approve, base: { group: "titanic" } },
  {
    name: "approve (package)",
    module: approve,
    base: { group: "titanic", package: PACKAGE },
    valid: { description: ["é".repeat(1024)] },
  },
  {
    name: "shift-traffic",
    module: shiftTraffic,
    base: { endpoint: "titanic", weights: "primary=1" },
  },
  { name: "teardown", module: teardown, base: { endpoint: "titanic" }, skip: ["plan"] },
  {
    name: "push-image",
    module: pushImage,
    base: { repository: "titanic" },
    skip: ["run", "local-image", "tool"],
    valid: { tag: ["x".repeat(128)] },
  },
  {
    name: "invoke",
    module: invoke,
    base: { endpoint: "titanic", file: "container/examples/passengers.json" },
    skip: ["file", "url"],
  },
];

/** Values at the edges of what AWS's models take, and beyond. */
const TEXT_EDGES = [
  "",
  " ",
  "a b",
  "a_b",
  "-a",
  "a-",
  "é",
  "a\nb",
  "a\tb",
  "x".repeat(64),
  "x".repeat(177),
  "x".repeat(257),
  "x".repeat(513),
  "x".repeat(1025),
  "x".repeat(2049),
  "s3://bucket",
  `s3://bucket/${"k".repeat(1020)}`,
  `${PACKAGE.slice(0, -2)}/123456`,
];
const NUMBER_EDGES = [
  "0",
  "-1",
  "0.5",
  "1.5",
  "1e-300",
  "1e300",
  "1e306",
  "1e400",
  "2147483647",
  "2147483648",
  "9007199254740993",
  "NaN",
  "x",
];
/** Values of an option's own form, at its edges. */
const OWN_EDGES: Record<string, string[]> = {
  autoscale: ["1,2147483647,1e108", "1,2147483648", "1,2,1e300", "1,2,1e-300", "2,1", "1,2,3,4"],
  serverless: ["1024,200", "6144,201", "2048,1e300", "1024", "1024,1.5"],
  weights: [
    "primary=1e300",
    "primary=1e-300",
    "primary=1e400",
    "primary=1,candidate=x",
    "constructor=1",
    "primary=0.5,primary=0.5",
  ],
  capture: [
    `s3://bucket/${"k".repeat(500)}`,
    `s3://bucket/${"k".repeat(600)}`,
    "s3://bucket/x,0",
    "s3://bucket/x,101",
    "s3://bucket/x,1e300",
  ],
  "model-package": [
    `${PACKAGE.slice(0, -2)}/99999`,
    PACKAGE.replace("us-east-1", "eu-west-1"),
    PACKAGE.replace("titanic", "t".repeat(63)),
    PACKAGE.replace("titanic", "t".repeat(64)),
    PACKAGE.replace("titanic", "titanic-"),
  ],
  "alarm-topic": [
    `arn:aws:sns:us-east-1:123456789012:${"t".repeat(256)}`,
    `arn:aws:sns:us-east-1:123456789012:${"t".repeat(257)}`,
    // The calls go to us-east-1 (--region): a topic elsewhere is never notified.
    "arn:aws:sns:eu-west-1:123456789012:alerts",
    "arn:aws-cn:sns:cn-north-1:123456789012:alerts",
  ],
  input: [`s3://bucket/${"k".repeat(1012)}`, `s3://bucket/${"k".repeat(1013)}`],
  output: [`s3://bucket/${"k".repeat(1012)}`, `s3://bucket/${"k".repeat(1013)}`],
  "model-data": [`s3://bucket/${"k".repeat(990)}/model.tar.gz`, `s3://bucket/${"k".repeat(1012)}`],
  tag: ["x".repeat(128), "x".repeat(129), ".x"],
  "content-type": ["text/csv", "application/jsonlines", "a".repeat(1025), "text/csv\r\nX: 1"],
  accept: ["application/json", "a".repeat(1025), "a\u0000"],
  "custom-attributes": ["trace=1", "a\nb", "a".repeat(1025)],
};
const LIST_EDGES = ["", "a,b", "ml.m5.large,ml.m5.large", "ml.t2.medium,x y"];

type Outcome =
  | { kind: "refused"; message: string; calls: number; sent: string[] }
  | {
    kind: "ran";
    calls: { service: string; operation: string; input: unknown }[];
    sent: string[];
  };

/** Runs a task in process with `--dry-run`, collecting what it prints. */
async function run(task: Task, args: string[]): Promise<Outcome> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => lines.push(parts.map(String).join(" "));
  console.error = console.log;
  const calls = () =>
    lines.flatMap((line) => {
      const m = /^\[dry-run\] (\w+)\.(\w+) (\{.*\})$/s.exec(line);
      return m ? [{ service: m[1], operation: m[2], input: JSON.parse(m[3]) }] : [];
    });
  // Calls a plan sends (reads) are printed "[plan] ..." (live ones bare): none under --dry-run.
  const sent = () => lines.filter((line) => /^(\[plan\] )?[A-Z]\w+\.[A-Z]\w+ \{/.test(line));
  try {
    const parsed = parseCommand(task.module.command, [...args, "--dry-run", "--region=us-east-1"]);
    if (parsed.help) throw new Error("help");
    await task.module.main(parsed);
    return { kind: "ran", calls: calls(), sent: sent() };
  } catch (err) {
    return {
      kind: "refused",
      message: (err as Error).message,
      calls: calls().length,
      sent: sent(),
    };
  } finally {
    console.log = log;
    console.error = error;
  }
}

function argsOf(options: Record<string, string | true>): string[] {
  return Object.entries(options).map(([name, value]) =>
    value === true ? `--${name}` : `--${name}=${value}`
  );
}

function edgesOf(name: string, type: string): string[] {
  const own = OWN_EDGES[name] ?? [];
  if (type === "integer" || type === "number") return [...NUMBER_EDGES, ...own];
  if (type === "list") return [...LIST_EDGES, ...own];
  if (type === "boolean") return [];
  return [...TEXT_EDGES, ...own];
}

Deno.test("AWS tasks over every option at its edges: refused before any call naming the option, or every call valid", async () => {
  const failures: string[] = [];
  let sets = 0;
  let refused = 0;
  let calls = 0;
  for (const task of TASKS) {
    const base = await run(task, argsOf(task.base));
    assert.equal(base.kind, "ran", `${task.name} base: ${JSON.stringify(base)}`);
    const skip = new Set(["help", "dry-run", "region", ...(task.skip ?? [])]);
    for (const [name, option] of Object.entries(task.module.command.options)) {
      if (skip.has(name)) continue;
      for (const value of [...edgesOf(name, option.type), ...(task.valid?.[name] ?? [])]) {
        const options = { ...task.base, [name]: value };
        const what = `${task.name} --${name}=${JSON.stringify(value)}`;
        const outcome = await run(task, argsOf(options));
        sets++;
        for (const line of outcome.sent) {
          failures.push(`${what}: sent a call under --dry-run: ${line.slice(0, 120)}`);
        }
        if (outcome.kind === "refused") {
          refused++;
          if (task.valid?.[name]?.includes(value)) {
            failures.push(`${what}: AWS takes it, but it was refused: ${outcome.message}`);
          }
          if (outcome.calls > 0) {
            failures.push(`${what}: refused after ${outcome.calls} calls: ${outcome.message}`);
          } else if (!outcome.message.includes(`--${name}`)) {
            failures.push(`${what}: the refusal does not name --${name}: ${outcome.message}`);
          }
          continue;
        }
        for (const call of outcome.calls) {
          calls++;
          for (const v of validateInput(call.service, call.operation, call.input)) {
            failures.push(`${what}: ${v.operation} ${v.message}`);
          }
        }
      }
    }
  }
  console.log(`${sets} option sets: ${refused} refused before any call, ${calls} calls checked`);
  assert.deepEqual(failures, []);
});

Deno.test("deploy: a topic, package or image in another region than the calls is refused before any call", async () => {
  const deployTask = TASKS[0];
  const cases: [Record<string, string | true>, RegExp][] = [
    [
      { alarms: true, "alarm-topic": "arn:aws:sns:eu-west-1:123456789012:alerts" },
      /--alarm-topic .* is in eu-west-1, but the calls go to us-east-1/,
    ],
    [{ image: IMAGE.replace("us-east-1", "eu-west-1") }, /--image .* is in eu-west-1/],
    [{ "ab-image": IMAGE.replace("us-east-1", "ap-south-1") }, /--ab-image .* is in ap-south-1/],
  ];
  for (const [options, named] of cases) {
    const outcome = await run(deployTask, argsOf({ ...deployTask.base, ...options }));
    assert.equal(outcome.kind, "refused", JSON.stringify(options));
    assert.match((outcome as { message: string }).message, named);
    assert.equal((outcome as { calls: number }).calls, 0);
  }
  const packaged = TASKS.find((t) => t.name === "deploy (model package)")!;
  const elsewhere = await run(
    packaged,
    argsOf({
      ...packaged.base,
      "model-package": PACKAGE.replace("us-east-1", "eu-west-1"),
    }),
  );
  assert.equal(elsewhere.kind, "refused");
  assert.match((elsewhere as { message: string }).message, /--model-package .* is in eu-west-1/);
});
