/**
 * `deno task register`: a new model version in a SageMaker Model Package Group.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { register } from "../deploy/registry.ts";
import { readCard } from "../inference/card.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { fail, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task register --image URI --model-data S3URL --group NAME [options]

Creates the Model Package Group when it is missing, uploads the card's metrics (and its drift
baseline) as JSON reports beside the model data, and creates a model package version: the
image and model data, the content types the server speaks, the metrics as ModelMetrics and
custom metadata, status PendingManualApproval. Approve it with deno task approve, deploy it
with deno task deploy --model-package latest-approved.

Options:
  --image URI              container image in ECR
  --model-data S3URL       s3://.../model.tar.gz (deno task package, then upload)
  --group NAME             model package group
  --card FILE              model card of that model (default: models/titanic.json)
  --description TEXT       version description (default: preset and CV accuracy)
  --instance-types LIST    real-time instance types (default: ml.t2.medium,ml.m5.large)
  --transform-types LIST   batch transform instance types (default: ml.m5.large)
  --output FILE            write {"arn", "group", "version"} as JSON
${AWS_USAGE}
  -h, --help               show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    image: { type: "string" },
    "model-data": { type: "string" },
    group: { type: "string" },
    card: { type: "string" },
    description: { type: "string" },
    "instance-types": { type: "string" },
    "transform-types": { type: "string" },
    output: { type: "string" },
    ...AWS_OPTIONS,
  }, USAGE);
  const image = stringOption(values.image) ?? fail(`--image is required\n${USAGE}`);
  const modelData = stringOption(values["model-data"]) ??
    fail(`--model-data is required\n${USAGE}`);
  const group = stringOption(values.group) ?? fail(`--group is required\n${USAGE}`);
  const list = (value: unknown, fallback: string) =>
    String(value ?? fallback).split(",").map((s) => s.trim()).filter(Boolean);
  const card = await readCard(stringOption(values.card) ?? `${PROJECT_ROOT}/models/titanic.json`);
  const caller = new AwsCaller(Boolean(values["dry-run"]));
  const result = await register(makeClients(stringOption(values.region)), caller, {
    group,
    image,
    modelData,
    card,
    realtimeInstanceTypes: list(values["instance-types"], "ml.t2.medium,ml.m5.large"),
    transformInstanceTypes: list(values["transform-types"], "ml.m5.large"),
    description: stringOption(values.description),
  });
  console.log(
    `\n${result.groupCreated ? `created group ${group}; ` : ""}registered ${result.arn}` +
      ` (PendingManualApproval)`,
  );
  console.log(`approve it:  deno task approve --group ${group} --version ${result.version}`);
  const output = stringOption(values.output);
  if (output) {
    const { arn, version } = result;
    await Deno.writeTextFile(output, JSON.stringify({ arn, group, version }) + "\n");
  }
});
