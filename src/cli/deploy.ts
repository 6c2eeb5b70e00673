/**
 * `deno task deploy`: create or update the SageMaker endpoint.
 * @module
 */

import { alarmInputs, putAlarms } from "../deploy/alarms.ts";
import { assertNoProblems, AwsCaller, makeClients } from "../deploy/aws.ts";
import { deployWorlds } from "../deploy/dry_run.ts";
import { deploy } from "../deploy/endpoint.ts";
import { planDeploy } from "../deploy/plan.ts";
import { checkGroup, latestApproved } from "../deploy/registry.ts";
import { LATEST_APPROVED, validateSpec } from "../deploy/spec.ts";
import { checkRegion } from "../deploy/validation.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS, ENDPOINT_OPTION, pollSeconds } from "./aws_main.ts";
import { deploySpecFromOptions } from "./deploy_options.ts";
import { alarmsFromOptions, OPERATIONS_OPTIONS } from "./operations_options.ts";

export const command = defineCommand({
  task: "deno task deploy",
  usage: "(--image URI | --model-package latest-approved|ARN) --role ARN [options]",
  summary: `
Creates the SageMaker model(s) and endpoint config, then creates the endpoint or rolls it to
the new config when it exists, and waits until it is InService. Names hash the settings: the
same command again changes nothing, any changed setting rolls the endpoint. Every resource is
tagged project=titanic-deno and endpoint=NAME (teardown goes by these tags). An autoscaled
endpoint has its scaling removed for the update and registered again after it. Options are
checked against AWS's rules before any call.`,
  options: {
    image: {
      type: "string",
      arg: "URI",
      help: "container image in ECR (see deno task push-image)",
    },
    role: { type: "string", arg: "ARN", help: "IAM execution role SageMaker assumes" },
    "model-data": {
      type: "string",
      arg: "S3URL",
      help: "s3://BUCKET/.../model.tar.gz (deno task package); default: the image's",
    },
    endpoint: { ...ENDPOINT_OPTION, default: "titanic" },
    "instance-type": {
      type: "string",
      arg: "T",
      shownDefault: "ml.t2.medium; ml.m5.large with --autoscale",
      // T2 instances are burstable, which SageMaker does not autoscale.
      help: "instance type",
    },
    count: { type: "integer", default: 1, help: "instances, >= 1" },
    serverless: {
      type: "string",
      arg: "MB,CONC",
      help: "serverless: memory 1024..6144 in steps of 1024, concurrency 1..200",
    },
    autoscale: {
      type: "string",
      arg: "MIN,MAX[,T]",
      help: "target tracking on invocations per instance per minute (T, default 1000)",
    },
    "ab-image": {
      type: "string",
      arg: "URI",
      help: 'second production variant "candidate" for an A/B test',
    },
    "ab-model-data": { type: "string", arg: "S3URL", help: "its model data" },
    "ab-weight": {
      type: "number",
      arg: "W",
      default: 0.1,
      help: "its share of traffic, 0 < W < 1",
    },
    "poll-seconds": pollSeconds(15),
    plan: {
      type: "boolean",
      help: "read what is live (Describe calls only) and print what would change",
    },
    ...OPERATIONS_OPTIONS,
    ...AWS_OPTIONS,
  },
  notes: [
    AWS_NOTE,
    "--dry-run prints both paths: creating the endpoint, and updating a live autoscaled one.",
  ],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const spec = deploySpecFromOptions(values);
  const problems: string[] = [];
  const alarms = alarmsFromOptions(values, problems);
  const region = values.region ?? Deno.env.get("AWS_REGION") ?? Deno.env.get("AWS_DEFAULT_REGION");
  if (region) {
    problems.push(
      ...checkRegion("--alarm-topic", alarms?.topic, region),
      ...spec.variants.flatMap((v, i) => [
        ...checkRegion(i === 0 ? "--image" : "--ab-image", v.image || undefined, region),
        ...checkRegion("--model-package", v.modelPackage, region),
      ]),
    );
  }
  assertNoProblems(problems);
  const clients = makeClients(values.region);
  const withAlarms = async (caller: AwsCaller, planOnly = caller.mode === "plan") => {
    if (!alarms) return;
    const names = planOnly
      ? alarmInputs(spec.endpoint, spec.variants.map((v) => v.name), alarms).map((a) => a.AlarmName)
      : await putAlarms(clients, caller, spec.endpoint, spec.variants.map((v) => v.name), alarms);
    console.log(
      `${caller.mode === "live" ? "alarms" : "alarms (put, an upsert)"}: ${names.join(", ")}`,
    );
  };
  if (spec.variants[0].modelPackage === LATEST_APPROVED) {
    // Every other option is checked before the registry is read.
    assertNoProblems([
      ...validateSpec(spec, true),
      ...checkGroup("--group", values.group),
    ]);
    const reader = new AwsCaller(values["dry-run"] ? "dry-run" : "plan");
    spec.variants[0].modelPackage = await latestApproved(
      clients,
      reader,
      values.group,
    );
    console.log(`model package: ${spec.variants[0].modelPackage}`);
  }
  if (values.plan) {
    // With --dry-run too, the plan's reads are printed, not sent (nothing is taken to exist).
    const reader = () => new AwsCaller(values["dry-run"] ? "dry-run" : "plan");
    const plan = await planDeploy(clients, reader(), spec);
    console.log(`\nplan for endpoint ${spec.endpoint}: ${plan.action}`);
    for (const line of plan.diff) console.log(`  ${line}`);
    if (plan.diff.length === 0) console.log("  (no changes)");
    await withAlarms(reader(), true);
    return;
  }
  if (values["dry-run"]) {
    for (const world of deployWorlds(spec)) {
      console.log(`\n# dry run, ${world.title}:`);
      const result = await deploy(
        clients,
        new AwsCaller("dry-run", console.log, world.simulate),
        spec,
      );
      await withAlarms(new AwsCaller("dry-run", console.log, world.simulate));
      console.log(`# -> endpoint ${result.endpoint} ${result.action}; config ${result.config}`);
    }
    return;
  }
  const live = new AwsCaller("live");
  const result = await deploy(clients, live, spec, {
    pollSeconds: values["poll-seconds"],
  });
  await withAlarms(live);
  console.log(
    `\nendpoint ${result.endpoint} ${result.action}; config ${result.config}; ` +
      `autoscaling ${result.scaling}`,
  );
  console.log(
    `call it:  deno task invoke --endpoint ${result.endpoint} --file container/examples/passengers.json`,
  );
  console.log(
    `or:       aws sagemaker-runtime invoke-endpoint --endpoint-name ${result.endpoint} ` +
      `--content-type application/json --body fileb://container/examples/passengers.json out.json`,
  );
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
