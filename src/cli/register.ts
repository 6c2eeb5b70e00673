/**
 * `deno task register`: a new model version in a SageMaker Model Package Group.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { register } from "../deploy/registry.ts";
import { readCard } from "../inference/card.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { CARD_OPTION } from "./shared_options.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS } from "./aws_main.ts";

export const command = defineCommand({
  task: "deno task register",
  usage: "--image URI --model-data S3URL --group NAME [options]",
  summary: `
Creates the Model Package Group when it is missing, uploads the card's metrics (and its drift
baseline) as JSON reports beside the model data, and creates a model package version: the
image and model data, the content types the server speaks, the metrics as ModelMetrics and
custom metadata, status PendingManualApproval. Approve it with deno task approve, deploy it
with deno task deploy --model-package latest-approved.`,
  options: {
    image: { type: "string", arg: "URI", required: true, help: "container image in ECR" },
    "model-data": {
      type: "string",
      arg: "S3URL",
      required: true,
      help: "s3://.../model.tar.gz (deno task package, then upload)",
    },
    group: { type: "string", arg: "NAME", required: true, help: "model package group" },
    card: { ...CARD_OPTION, help: "model card of that model" },
    description: {
      type: "string",
      help: "version description (default: preset and CV accuracy)",
    },
    "instance-types": {
      type: "list",
      default: ["ml.t2.medium", "ml.m5.large"],
      help: "real-time instance types",
    },
    "transform-types": {
      type: "list",
      default: ["ml.m5.large"],
      help: "batch transform instance types",
    },
    output: { type: "string", arg: "FILE", help: 'write {"arn", "group", "version"} as JSON' },
    ...AWS_OPTIONS,
  },
  notes: [AWS_NOTE],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const { image, "model-data": modelData, group } = values;
  const card = await readCard(values.card);
  const caller = new AwsCaller(values["dry-run"]);
  const result = await register(makeClients(values.region), caller, {
    group,
    image,
    modelData,
    card,
    realtimeInstanceTypes: values["instance-types"],
    transformInstanceTypes: values["transform-types"],
    description: values.description,
  });
  console.log(
    `\n${result.groupCreated ? `created group ${group}; ` : ""}registered ${result.arn}` +
      ` (PendingManualApproval)`,
  );
  console.log(`approve it:  deno task approve --group ${group} --version ${result.version}`);
  const output = values.output;
  if (output) {
    const { arn, version } = result;
    await Deno.writeTextFile(output, JSON.stringify({ arn, group, version }) + "\n");
  }
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
