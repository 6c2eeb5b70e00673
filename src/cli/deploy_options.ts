/**
 * Command-line options of the deploy and transform tasks turned into specs, without exiting, so
 * that tests can run the same parsing over tables of option sets. Problems of form (a list of
 * numbers with the wrong length) are thrown as InvalidOptions; AWS's rules are checked later,
 * before any call, by the deploy modules.
 * @module
 */

import { assertNoProblems } from "../deploy/aws.ts";
import { storedWeight } from "../deploy/validation.ts";
import type { DeploySpec } from "../deploy/spec.ts";
import type { TransformContentType, TransformSpec } from "../deploy/transform.ts";
import { captureFromOptions } from "./operations_options.ts";

/** Parsed option values (as the CLI layer gives them, or strings, as tests write them). */
export type OptionValues = Record<string, string | number | boolean | string[] | undefined>;

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/** "A,B[,C]" as numbers; a problem names the option when the count is wrong. */
function numbers(
  problems: string[],
  name: string,
  value: unknown,
  count: [number, number],
): number[] | undefined {
  if (typeof value !== "string") return undefined;
  const parts = value.split(",").map((p) => (p.trim() === "" ? NaN : Number(p.trim())));
  if (parts.length < count[0] || parts.length > count[1]) {
    problems.push(
      `--${name} takes ${count[0]}${count[1] > count[0] ? `-${count[1]}` : ""} ` +
        `comma-separated numbers, got "${value}"`,
    );
    return undefined;
  }
  return parts;
}

/** A number option ("" and words are NaN, which the rules then name). */
const numberOf = (value: unknown, fallback: number) =>
  typeof value === "number"
    ? value
    : typeof value === "string"
    ? (value.trim() === "" ? NaN : Number(value))
    : fallback;

/** `deno task deploy` options as a spec. */
export function deploySpecFromOptions(values: OptionValues): DeploySpec {
  const problems: string[] = [];
  const image = text(values.image);
  const role = text(values.role);
  const modelPackage = text(values["model-package"]);
  if (modelPackage !== undefined && (image !== undefined || values["model-data"] !== undefined)) {
    problems.push("--model-package replaces --image and --model-data: pass one or the other");
  }
  if (image === undefined && modelPackage === undefined) {
    problems.push("--image (or --model-package) is required");
  }
  if (role === undefined) problems.push("--role is required");
  const abImage = text(values["ab-image"]);
  const abWeight = numberOf(values["ab-weight"], 0.1);
  // AWS keeps weights as 32-bit floats: a candidate weight below about 1.4e-45 would be 0.
  if (abImage !== undefined && !(storedWeight(abWeight) > 0 && abWeight < 1)) {
    problems.push(
      `--ab-weight "${values["ab-weight"]}": must be a number between 0 and 1 ` +
        "(above 1.4e-45, the smallest 32-bit float)",
    );
  }
  if (abImage === undefined && values["ab-model-data"] !== undefined) {
    problems.push("--ab-model-data needs --ab-image");
  }
  const serverless = numbers(problems, "serverless", values.serverless, [2, 2]);
  const autoscale = numbers(problems, "autoscale", values.autoscale, [2, 3]);
  const dataCapture = captureFromOptions(values, problems);
  assertNoProblems(problems);
  return {
    endpoint: text(values.endpoint) ?? "titanic",
    role: role!,
    variants: [
      {
        name: "primary",
        image: image ?? "",
        modelData: text(values["model-data"]),
        ...(modelPackage !== undefined ? { modelPackage } : {}),
        weight: abImage !== undefined ? 1 - abWeight : 1,
      },
      ...(abImage !== undefined
        ? [{
          name: "candidate",
          image: abImage,
          modelData: text(values["ab-model-data"]),
          weight: abWeight,
        }]
        : []),
    ],
    // SageMaker does not autoscale burstable (T2) instances: with --autoscale, ml.m5.large.
    instanceType: text(values["instance-type"]) ?? (autoscale ? "ml.m5.large" : "ml.t2.medium"),
    instanceCount: numberOf(values.count, 1),
    ...(dataCapture ? { dataCapture } : {}),
    ...(serverless
      ? { serverless: { memoryMb: serverless[0], maxConcurrency: serverless[1] } }
      : {}),
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
}

/** `deno task transform` options as a spec. */
export function transformSpecFromOptions(values: OptionValues): TransformSpec {
  const problems: string[] = [];
  const input = text(values.input);
  const output = text(values.output);
  if (input === undefined) problems.push("--input is required");
  if (output === undefined) problems.push("--output is required");
  assertNoProblems(problems);
  return {
    model: text(values.model),
    endpointConfig: text(values["endpoint-config"]),
    variant: text(values.variant),
    input: input!,
    output: output!,
    contentType: (text(values["content-type"]) ?? "text/csv") as TransformContentType,
    instanceType: text(values["instance-type"]) ?? "ml.m5.large",
    instanceCount: numberOf(values.count, 1),
    concurrency: numberOf(values.concurrency, 2),
    maxPayloadMb: numberOf(values["max-payload-mb"], 6),
    jobName: text(values["job-name"]),
  };
}
