/**
 * `deno task deploy`: create or update the SageMaker endpoint.
 * @module
 */

import { alarmInputs, putAlarms } from "../deploy/alarms.ts";
import { assertNoProblems, AwsCaller, makeClients } from "../deploy/aws.ts";
import { deployWorlds } from "../deploy/dry_run.ts";
import { deploy } from "../deploy/endpoint.ts";
import { planDeploy } from "../deploy/plan.ts";
import { latestApproved } from "../deploy/registry.ts";
import { intOption, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";
import { deploySpecFromOptions } from "./deploy_options.ts";
import { alarmsFromOptions, OPERATIONS_OPTIONS, OPERATIONS_USAGE } from "./operations_options.ts";

const USAGE = `
deno task deploy (--image URI | --model-package latest-approved|ARN) --role ARN [options]

Creates the SageMaker model(s) and endpoint config, then creates the endpoint or rolls it to
the new config when it exists, and waits until it is InService. Names hash the settings: the
same command again changes nothing, any changed setting rolls the endpoint. Every resource is
tagged project=titanic-deno and endpoint=NAME (teardown goes by these tags). An autoscaled
endpoint has its scaling removed for the update and registered again after it. Options are
checked against AWS's rules before any call.

Options:
  --image URI              container image in ECR (see deno task push-image)
  --role ARN               IAM execution role SageMaker assumes
  --model-data S3URL       s3://BUCKET/.../model.tar.gz (deno task package); default: the image's
  --endpoint NAME          endpoint name, 1-63 letters, digits, hyphens (default: titanic)
  --instance-type T        instance type (default: ml.t2.medium)
  --count N                instances, >= 1 (default: 1)
  --serverless MB,CONC     serverless: memory 1024..6144 in steps of 1024, concurrency 1..200
  --autoscale MIN,MAX[,T]  target tracking on invocations per instance per minute (T, default 1000)
  --ab-image URI           second production variant "candidate" for an A/B test
  --ab-model-data S3URL    its model data
  --ab-weight W            its share of traffic, 0 < W < 1 (default: 0.1)
  --poll-seconds N         seconds between status checks (default: 15)
  --plan                   read what is live (Describe calls only) and print what would change${OPERATIONS_USAGE}
${AWS_USAGE}
  (--dry-run prints both paths: creating the endpoint, and updating a live autoscaled one.)
  -h, --help               show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    image: { type: "string" },
    role: { type: "string" },
    "model-data": { type: "string" },
    endpoint: { type: "string" },
    "instance-type": { type: "string" },
    count: { type: "string" },
    serverless: { type: "string" },
    autoscale: { type: "string" },
    "ab-image": { type: "string" },
    "ab-model-data": { type: "string" },
    "ab-weight": { type: "string" },
    "poll-seconds": { type: "string" },
    plan: { type: "boolean" },
    ...OPERATIONS_OPTIONS,
    ...AWS_OPTIONS,
  }, USAGE);
  const spec = deploySpecFromOptions(values);
  const problems: string[] = [];
  const alarms = alarmsFromOptions(values, problems);
  assertNoProblems(problems);
  const clients = makeClients(stringOption(values.region));
  const withAlarms = async (caller: AwsCaller) => {
    if (!alarms) return;
    const names = caller.mode === "plan"
      ? alarmInputs(spec.endpoint, spec.variants.map((v) => v.name), alarms).map((a) => a.AlarmName)
      : await putAlarms(clients, caller, spec.endpoint, spec.variants.map((v) => v.name), alarms);
    console.log(
      `${caller.mode === "live" ? "alarms" : "alarms (put, an upsert)"}: ${names.join(", ")}`,
    );
  };
  if (spec.variants[0].modelPackage === "latest-approved") {
    const reader = new AwsCaller(values["dry-run"] ? "dry-run" : "plan");
    spec.variants[0].modelPackage = await latestApproved(
      clients,
      reader,
      stringOption(values.group) ?? "titanic",
    );
    console.log(`model package: ${spec.variants[0].modelPackage}`);
  }
  if (values.plan) {
    const plan = await planDeploy(clients, new AwsCaller("plan"), spec);
    console.log(`\nplan for endpoint ${spec.endpoint}: ${plan.action}`);
    for (const line of plan.diff) console.log(`  ${line}`);
    if (plan.diff.length === 0) console.log("  (no changes)");
    await withAlarms(new AwsCaller("plan"));
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
    pollSeconds: intOption("poll-seconds", values["poll-seconds"], 15),
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
});
