/**
 * Batch Transform: score an S3 prefix of CSV or JSON lines files with a deployed model.
 * Records are split by line and sent several per request (SplitType Line, BatchStrategy
 * MultiRecord), answers joined by line (AssembleWith Line), so output line i answers input line
 * i. Payload size and concurrency are set both on the job and in the container's environment,
 * so that what the job sends matches what the container's /execution-parameters announces and
 * its 413 limit enforces.
 * @module
 */

import {
  CreateTransformJobCommand,
  type CreateTransformJobCommandInput,
  DescribeEndpointConfigCommand,
  type TransformInstanceType,
} from "@aws-sdk/client-sagemaker";
import { assertNoProblems, type AwsCaller, type AwsClients, isNotFound } from "./aws.ts";
import { MODEL_TAG_KEY, PROJECT_TAG, timestampedName } from "./naming.ts";
import { checkTransformInstanceType } from "./instance_types.ts";
import { checkInteger, checkName, checkS3Url } from "./validation.ts";
import { type WaitOptions, waitTransformJob } from "./waiting.ts";

/** The media types the container reads line by line. */
export const TRANSFORM_CONTENT_TYPES = ["text/csv", "application/jsonlines"] as const;
export type TransformContentType = typeof TRANSFORM_CONTENT_TYPES[number];

export interface TransformSpec {
  /** The model to run, or the endpoint config whose first (or named) variant's model to run. */
  model?: string;
  endpointConfig?: string;
  variant?: string;
  input: string;
  output: string;
  contentType: TransformContentType;
  instanceType: string;
  instanceCount: number;
  /** Requests in flight per instance; the container runs as many workers (default 2). */
  concurrency: number;
  /** Largest request body in MB (1..100; the container refuses larger ones with 413). */
  maxPayloadMb: number;
  jobName?: string;
}

/** Every way the spec breaks AWS's (or the container's) rules. */
export function validateTransform(spec: TransformSpec): string[] {
  const problems: string[] = [];
  if (Boolean(spec.model) === Boolean(spec.endpointConfig)) {
    problems.push("give exactly one of --model and --endpoint-config");
  }
  if (spec.model !== undefined) problems.push(...checkName("--model", spec.model));
  if (spec.endpointConfig !== undefined) {
    problems.push(...checkName("--endpoint-config", spec.endpointConfig));
  }
  if (spec.variant !== undefined) {
    problems.push(...checkName("--variant", spec.variant));
    if (spec.endpointConfig === undefined) {
      problems.push("--variant picks a variant of --endpoint-config; it does nothing with --model");
    }
  }
  if (spec.jobName !== undefined) problems.push(...checkName("--job-name", spec.jobName));
  problems.push(
    ...checkS3Url("--input", spec.input, "the input object or prefix", "optional"),
    ...checkS3Url("--output", spec.output, "the output prefix", "optional"),
    ...checkTransformInstanceType("--instance-type", spec.instanceType),
    ...checkInteger("--count", spec.instanceCount, 1),
    ...checkInteger("--concurrency", spec.concurrency, 1, 1024),
    ...checkInteger("--max-payload-mb", spec.maxPayloadMb, 1, 100),
  );
  const inFlightMb = spec.concurrency * spec.maxPayloadMb;
  if (problems.length === 0 && inFlightMb > 100) {
    // CreateTransformJob: MaxConcurrentTransforms x MaxPayloadInMB "cannot exceed 100 MB".
    problems.push(
      `--concurrency ${spec.concurrency} x --max-payload-mb ${spec.maxPayloadMb} = ` +
        `${inFlightMb} MB: AWS takes at most 100 MB in flight per instance`,
    );
  }
  if (!TRANSFORM_CONTENT_TYPES.includes(spec.contentType)) {
    problems.push(
      `--content-type ${JSON.stringify(spec.contentType)}: Batch Transform splits by line: ` +
        TRANSFORM_CONTENT_TYPES.join(" or "),
    );
  }
  return problems;
}

/** The CreateTransformJob input for a valid spec and a resolved model. */
export function transformJobInput(
  spec: TransformSpec,
  model: string,
  now: Date,
): CreateTransformJobCommandInput {
  return {
    TransformJobName: spec.jobName ?? timestampedName(`${model}-transform`, now),
    ModelName: model,
    MaxConcurrentTransforms: spec.concurrency,
    MaxPayloadInMB: spec.maxPayloadMb,
    BatchStrategy: "MultiRecord",
    Environment: {
      SAGEMAKER_MAX_PAYLOAD_IN_MB: String(spec.maxPayloadMb),
      SAGEMAKER_MODEL_SERVER_WORKERS: String(spec.concurrency),
    },
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: spec.input } },
      ContentType: spec.contentType,
      SplitType: "Line",
      CompressionType: "None",
    },
    TransformOutput: {
      S3OutputPath: spec.output,
      Accept: spec.contentType,
      AssembleWith: "Line",
    },
    TransformResources: {
      InstanceType: spec.instanceType as TransformInstanceType,
      InstanceCount: spec.instanceCount,
    },
    Tags: [{ ...PROJECT_TAG }, { Key: MODEL_TAG_KEY, Value: model }],
  };
}

/** The model an endpoint config's variant runs. */
async function modelOfConfig(
  clients: AwsClients,
  caller: AwsCaller,
  config: string,
  variant?: string,
): Promise<string> {
  let found;
  try {
    found = await caller.send(
      clients.sagemaker,
      new DescribeEndpointConfigCommand({ EndpointConfigName: config }),
    );
  } catch (err) {
    if (isNotFound(err)) throw new Error(`--endpoint-config ${config}: no such endpoint config`);
    throw err;
  }
  const variants: { VariantName: string; ModelName: string }[] = found.ProductionVariants ?? [];
  const chosen = variant ? variants.find((v) => v.VariantName === variant) : variants[0];
  if (!chosen) {
    throw new Error(
      `--variant ${variant}: ${config} has ${variants.map((v) => v.VariantName).join(", ")}`,
    );
  }
  return chosen.ModelName;
}

/** Starts the job and waits for it (printing each status); throws with AWS's failure reason. */
export async function runTransform(
  clients: AwsClients,
  caller: AwsCaller,
  spec: TransformSpec,
  options: WaitOptions & { now?: Date } = {},
): Promise<{ job: string; model: string; output: string }> {
  assertNoProblems(validateTransform(spec));
  const model = spec.model ??
    await modelOfConfig(clients, caller, spec.endpointConfig!, spec.variant);
  const input = transformJobInput(spec, model, options.now ?? new Date());
  await caller.send(clients.sagemaker, new CreateTransformJobCommand(input));
  await waitTransformJob(clients, caller, input.TransformJobName!, options);
  return { job: input.TransformJobName!, model, output: spec.output };
}
