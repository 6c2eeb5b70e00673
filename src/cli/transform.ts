/**
 * `deno task transform`: a Batch Transform job over an S3 prefix, awaited with progress.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { runTransform } from "../deploy/transform.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { AWS_ERRORS, AWS_NOTE, AWS_OPTIONS, pollSeconds } from "./aws_main.ts";
import { transformSpecFromOptions } from "./deploy_options.ts";

export const command = defineCommand({
  task: "deno task transform",
  usage: "(--model NAME | --endpoint-config NAME) --input S3URL --output S3URL [options]",
  summary: `
Runs a SageMaker Batch Transform job: every line of the input files (CSV rows without a header,
in Kaggle's column order or with one, or JSON lines) gets one line of predictions in
OUTPUT/FILE.out, in order. Lines are sent several per request (SplitType Line, BatchStrategy
MultiRecord, AssembleWith Line); payload size and concurrency are set on the job and in the
container, so that they match its /execution-parameters. Waits until the job ends, printing each
status; on failure prints AWS's reason.`,
  options: {
    model: {
      type: "string",
      arg: "NAME",
      help: "the SageMaker model (deno task deploy prints the model names)",
    },
    "endpoint-config": {
      type: "string",
      arg: "NAME",
      help: "or: the model of this endpoint config's first variant",
    },
    variant: {
      type: "string",
      arg: "NAME",
      help: "with --endpoint-config: that variant's model instead",
    },
    input: { type: "string", arg: "S3URL", help: "s3://BUCKET/PREFIX of the input files" },
    output: { type: "string", arg: "S3URL", help: "s3://BUCKET/PREFIX for the results" },
    "content-type": {
      type: "string",
      arg: "T",
      shownDefault: "text/csv",
      help: "text/csv or application/jsonlines; answers use the same",
    },
    "instance-type": {
      type: "string",
      arg: "T",
      shownDefault: "ml.m5.large",
      help: "instance type",
    },
    count: { type: "integer", shownDefault: "1", help: "instances" },
    concurrency: {
      type: "integer",
      shownDefault: "2",
      help: "requests in flight per instance = container workers",
    },
    "max-payload-mb": { type: "number", shownDefault: "6", help: "largest request in MB, 1..100" },
    "job-name": {
      type: "string",
      arg: "NAME",
      shownDefault: "MODEL-transform-TIMESTAMP",
      help: "job name",
    },
    "poll-seconds": pollSeconds(30),
    ...AWS_OPTIONS,
  },
  notes: [AWS_NOTE],
});

export async function main({ values }: ParsedOf<typeof command>) {
  const spec = transformSpecFromOptions(values);
  const dryRun = values["dry-run"];
  // Offline, an endpoint config's model is shown as a placeholder.
  const caller = new AwsCaller(
    dryRun ? "dry-run" : "live",
    console.log,
    (_s, operation, input) =>
      operation === "DescribeEndpointConfig"
        ? {
          ProductionVariants: [{
            VariantName: spec.variant ?? "primary",
            ModelName: `MODEL-OF-${input.EndpointConfigName}`.slice(0, 63).replace(/-+$/, ""),
          }],
        }
        : undefined,
  );
  const result = await runTransform(makeClients(values.region), caller, spec, {
    pollSeconds: values["poll-seconds"],
  });
  console.log(
    `\ntransform job ${result.job} (model ${result.model}) ${dryRun ? "(dry run)" : "completed"}`,
  );
  if (!dryRun) console.log(`results: ${result.output.replace(/\/?$/, "/")}<input file>.out`);
}

if (import.meta.main) await runCommand(command, main, AWS_ERRORS);
