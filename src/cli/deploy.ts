/**
 * `deno task deploy`: create or update the SageMaker endpoint.
 * @module
 */

import { AwsCaller, makeClients } from "../deploy/aws.ts";
import { type AlarmOptions, DEFAULT_ALARMS, putAlarms } from "../deploy/alarms.ts";
import { dataCaptureConfig } from "../deploy/capture.ts";
import { latestApproved } from "../deploy/registry.ts";
import { deploy, type DeploySpec } from "../deploy/sagemaker.ts";
import { fail, intOption, parseCli, stringOption } from "./args.ts";
import { AWS_OPTIONS, AWS_USAGE, numberList, runAwsMain } from "./aws_main.ts";

const USAGE = `
deno task deploy (--image URI | --model-package latest-approved|ARN) --role ARN [options]

Creates the SageMaker model(s) and endpoint config, then creates the endpoint or rolls it to
the new config when it exists, and waits until it is InService. Names are derived from the
configuration: running the same command again changes nothing.

Options:
  --image URI              container image in ECR (see deno task push-image)
  --role ARN               IAM execution role SageMaker assumes
  --model-data S3URL       s3://.../model.tar.gz (deno task package); default: the model in the image
  --model-package P        deploy a registered version instead of --image: its ARN, or
                           latest-approved (the newest approved version of --group)
  --group NAME             model package group for latest-approved (default: titanic)
  --endpoint NAME          endpoint name (default: titanic)
  --instance-type T        instance type (default: ml.t2.medium)
  --count N                instances (default: 1)
  --serverless MB,CONC     serverless endpoint: memory in MB and max concurrency
  --autoscale MIN,MAX[,T]  target tracking on invocations per instance per minute (T, default 1000)
  --ab-image URI           second production variant "candidate" for an A/B test
  --ab-model-data S3URL    its model data
  --ab-weight W            its share of traffic, 0 < W < 1 (default: 0.1)
  --capture S3URL[,P]      capture requests and responses to S3 (P % of them, default 100) for
                           deno task drift
  --alarms                 CloudWatch alarms per variant: 5xx errors, model latency p99, the
                           container's errors and shed requests (3 of 5 minutes over threshold)
  --alarm-topic ARN        SNS topic notified on ALARM and OK
  --alarm-5xx N            Invocation5XXErrors per minute (default: 1)
  --alarm-latency-ms MS    ModelLatency p99 (default: 100)
  --alarm-errors N         container error answers per minute (default: 10)
  --alarm-shed N           requests shed per minute (default: 1)
  --poll-seconds N         seconds between status checks (default: 15)
${AWS_USAGE}
  -h, --help               show this help
`;

function alarmOptions(values: Record<string, unknown>): AlarmOptions {
  const threshold = (name: string, fallback: number) => {
    const value = values[name];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!(n >= 0)) fail(`--${name} must be a number >= 0, got "${value}"`);
    return n;
  };
  const topic = stringOption(values["alarm-topic"]);
  if (topic && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(topic)) {
    fail(`--alarm-topic must be an SNS topic ARN, got "${topic}"`);
  }
  return {
    ...DEFAULT_ALARMS,
    ...(topic ? { topic } : {}),
    errors5xx: threshold("alarm-5xx", DEFAULT_ALARMS.errors5xx),
    latencyP99Ms: threshold("alarm-latency-ms", DEFAULT_ALARMS.latencyP99Ms),
    containerErrors: threshold("alarm-errors", DEFAULT_ALARMS.containerErrors),
    shed: threshold("alarm-shed", DEFAULT_ALARMS.shed),
  };
}

function captureOption(value: string) {
  try {
    return dataCaptureConfig(value);
  } catch (err) {
    fail((err as Error).message);
  }
}

await runAwsMain(async () => {
  const { values } = parseCli(Deno.args, {
    image: { type: "string" },
    role: { type: "string" },
    "model-data": { type: "string" },
    "model-package": { type: "string" },
    group: { type: "string" },
    endpoint: { type: "string" },
    "instance-type": { type: "string" },
    count: { type: "string" },
    serverless: { type: "string" },
    autoscale: { type: "string" },
    "ab-image": { type: "string" },
    "ab-model-data": { type: "string" },
    "ab-weight": { type: "string" },
    "poll-seconds": { type: "string" },
    capture: { type: "string" },
    alarms: { type: "boolean" },
    "alarm-topic": { type: "string" },
    "alarm-5xx": { type: "string" },
    "alarm-latency-ms": { type: "string" },
    "alarm-errors": { type: "string" },
    "alarm-shed": { type: "string" },
    ...AWS_OPTIONS,
  }, USAGE);
  const modelPackage = stringOption(values["model-package"]);
  if (modelPackage && (values.image || values["model-data"])) {
    fail("--model-package replaces --image and --model-data: pass one or the other");
  }
  const image = stringOption(values.image) ??
    (modelPackage ? "" : fail(`--image or --model-package is required\n${USAGE}`));
  const role = stringOption(values.role) ?? fail(`--role is required\n${USAGE}`);
  const abImage = stringOption(values["ab-image"]);
  const abWeight = Number(values["ab-weight"] ?? 0.1);
  if (abImage && !(abWeight > 0 && abWeight < 1)) fail("--ab-weight must be between 0 and 1");
  const serverless = numberList("serverless", values.serverless, [2, 2]);
  const autoscale = numberList("autoscale", values.autoscale, [2, 3]);
  const spec: DeploySpec = {
    endpoint: stringOption(values.endpoint) ?? "titanic",
    role,
    variants: [
      {
        name: "primary",
        image,
        modelData: stringOption(values["model-data"]),
        weight: abImage ? 1 - abWeight : 1,
      },
      ...(abImage
        ? [{
          name: "candidate",
          image: abImage,
          modelData: stringOption(values["ab-model-data"]),
          weight: abWeight,
        }]
        : []),
    ],
    instanceType: stringOption(values["instance-type"]) ?? "ml.t2.medium",
    instanceCount: intOption("count", values.count, 1),
    ...(serverless
      ? { serverless: { memoryMb: serverless[0], maxConcurrency: serverless[1] } }
      : {}),
    ...(values.capture ? { dataCapture: captureOption(String(values.capture)) } : {}),
    ...(autoscale
      ? {
        autoscaling: {
          min: autoscale[0],
          max: autoscale[1],
          invocationsPerInstance: autoscale[2] ?? 1000,
        },
      }
      : {}),
  };
  const alarms = values.alarms ? alarmOptions(values) : undefined;
  const caller = new AwsCaller(Boolean(values["dry-run"]));
  const clients = makeClients(stringOption(values.region));
  if (modelPackage) {
    const arn = modelPackage === "latest-approved"
      ? await latestApproved(clients, caller, stringOption(values.group) ?? "titanic")
      : modelPackage;
    if (
      !caller.dryRun && !/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\//.test(arn)
    ) {
      fail(`--model-package must be latest-approved or a model package ARN, got "${arn}"`);
    }
    console.log(`model package: ${arn}`);
    spec.variants[0].modelPackage = arn;
  }
  const result = await deploy(clients, caller, spec, {
    pollSeconds: intOption("poll-seconds", values["poll-seconds"], 15),
  });
  if (alarms) {
    const names = await putAlarms(
      clients,
      caller,
      spec.endpoint,
      spec.variants.map((v) => v.name),
      alarms,
    );
    console.log(`alarms: ${names.join(", ")}`);
  }
  console.log(
    `\nendpoint ${result.endpoint} ${
      caller.dryRun ? "(dry run)" : result.action
    }; config ${result.config}`,
  );
  console.log(
    `call it:  deno task invoke --endpoint ${result.endpoint} --file container/examples/passengers.json`,
  );
  console.log(
    `or:       aws sagemaker-runtime invoke-endpoint --endpoint-name ${result.endpoint} ` +
      `--content-type application/json --body fileb://container/examples/passengers.json out.json`,
  );
});
