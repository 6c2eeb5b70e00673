/**
 * `deno task transform`: a Batch Transform job over an S3 prefix, awaited with progress.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { runTransform } from "../deploy/transform.ts";
import { intOption, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, runAwsMain } from "./aws_main.ts";
import { transformSpecFromOptions } from "./deploy_options.ts";

const USAGE = `
deno task transform (--model NAME | --endpoint-config NAME) --input S3URL --output S3URL [options]

Runs a SageMaker Batch Transform job: every line of the input files (CSV rows without a header,
in Kaggle's column order or with one, or JSON lines) gets one line of predictions in
OUTPUT/FILE.out, in order. Lines are sent several per request (SplitType Line, BatchStrategy
MultiRecord, AssembleWith Line); payload size and concurrency are set on the job and in the
container, so that they match its /execution-parameters. Waits until the job ends, printing each
status; on failure prints AWS's reason.

Options:
  --model NAME             the SageMaker model (deno task deploy prints the model names)
  --endpoint-config NAME   or: the model of this endpoint config's first variant
  --variant NAME           with --endpoint-config: that variant's model instead
  --input S3URL            s3://BUCKET/PREFIX of the input files
  --output S3URL           s3://BUCKET/PREFIX for the results
  --content-type T         text/csv (default) or application/jsonlines; answers use the same
  --instance-type T        default ml.m5.large
  --count N                instances (default 1)
  --concurrency N          requests in flight per instance = container workers (default 2)
  --max-payload-mb N       largest request in MB, 1..100 (default 6)
  --job-name NAME          default MODEL-transform-TIMESTAMP
  --poll-seconds N         seconds between status checks (default 30)
${AWS_USAGE}
  -h, --help               show this help
`;

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    model: { type: "string" },
    "endpoint-config": { type: "string" },
    variant: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    "content-type": { type: "string" },
    "instance-type": { type: "string" },
    count: { type: "string" },
    concurrency: { type: "string" },
    "max-payload-mb": { type: "string" },
    "job-name": { type: "string" },
    "poll-seconds": { type: "string" },
    ...AWS_OPTIONS,
  }, USAGE);
  const spec = transformSpecFromOptions(values);
  const dryRun = Boolean(values["dry-run"]);
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
  const result = await runTransform(makeClients(stringOption(values.region)), caller, spec, {
    pollSeconds: intOption("poll-seconds", values["poll-seconds"], 30),
  });
  console.log(
    `\ntransform job ${result.job} (model ${result.model}) ${dryRun ? "(dry run)" : "completed"}`,
  );
  if (!dryRun) console.log(`results: ${result.output.replace(/\/?$/, "/")}<input file>.out`);
});
