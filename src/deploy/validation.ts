/**
 * AWS's input rules, checked before any call, with messages that name the option and the rule.
 * The rules are those of AWS's service models (botocore's service-2.json, which the tests check
 * every call against). No SDK import, so that the Lambda proxy's bundle stays small; the
 * instance types are in instance_types.ts.
 * @module
 */

/** SageMaker names (EndpointName, ModelName, VariantName, TransformJobName ...). */
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
/** RoleArn in the SageMaker model. */
const ROLE_ARN = /^arn:aws[a-z\-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
/** S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, alphanumeric at both ends. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** ECR's RepositoryName. */
const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** A container image tag (Docker's rule). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/**
 * InvokeEndpoint's headers: the model's pattern is \p{ASCII}*, and its documentation asks for
 * visible US-ASCII (an HTTP field value): printable characters and spaces, no control characters
 * (a line break would end the header, and fetch refuses it).
 */
const VISIBLE_ASCII = /^[\x20-\x7e]*$/;

const show = (value: unknown) => JSON.stringify(value);

/** A SageMaker resource name: 1-63 letters, digits and hyphens, alphanumeric at both ends. */
export function checkName(option: string, value: string, max = 63): string[] {
  if (value.length >= 1 && value.length <= max && NAME.test(value)) return [];
  return [
    `${option} ${show(value)}: must be 1-${max} letters, digits and hyphens, starting and ending ` +
    `with a letter or digit (AWS's name rule; ${value.length} characters given)`,
  ];
}

/** An s3://bucket/key URL, as ModelDataUrl needs it (`key: "optional"` for an S3 prefix). */
export function checkS3Url(
  option: string,
  value: string,
  what = "an object",
  key: "required" | "optional" = "required",
  maxLength = 1024,
): string[] {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(value);
  const keyOk = m && (key === "optional" || Boolean(m[2]));
  if (!m || !keyOk || !BUCKET.test(m[1]) || value.length > maxLength || /\s/.test(value)) {
    return [
      `${option} ${show(value)}: must be s3://BUCKET/${
        key === "optional" ? "[PREFIX]" : "KEY"
      } naming ${what} (bucket 3-63 lower-case letters, digits, dots and hyphens; ` +
      `${
        key === "optional" ? "" : "a non-empty key; "
      }no spaces; at most ${maxLength} characters; ` +
      `${value.length} given)`,
    ];
  }
  return [];
}

/** An IAM role ARN (SageMaker's RoleArn: 20-2048 characters, arn:aws:iam::ACCOUNT:role/NAME). */
export function checkRole(option: string, value: string): string[] {
  if (value.length >= 20 && value.length <= 2048 && ROLE_ARN.test(value)) return [];
  return [
    `${option} ${show(value)}: must be an IAM role ARN, arn:aws:iam::123456789012:role/NAME ` +
    "(no spaces; letters, digits and +=,.@_-/ in the name)",
  ];
}

/** A container image URI (ContainerImage: 1-255 characters, no whitespace). */
export function checkImage(option: string, value: string): string[] {
  if (value.length >= 1 && value.length <= 255 && /^\S+$/.test(value)) return [];
  return [
    `${option} ${show(value)}: must be an image URI of 1-255 characters without spaces ` +
    "(ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG)",
  ];
}

/** The largest integer AWS's models carry (their integers are 32-bit). */
export const INT32_MAX = 2 ** 31 - 1;

/** An integer within [min, max]; with no max given, AWS's 32-bit limit. */
export function checkInteger(
  option: string,
  value: number,
  min: number,
  max = INT32_MAX,
): string[] {
  if (Number.isInteger(value) && value >= min && value <= max) return [];
  return [
    `${option} ${show(value)}: must be an integer ${
      max === INT32_MAX
        ? `>= ${min} (at most ${INT32_MAX}, AWS's 32-bit limit)`
        : `from ${min} to ${max}`
    }`,
  ];
}

/** Text AWS's `.*` patterns take: Java's `.` stops at line ends, so no line breaks. */
export function checkOneLine(option: string, value: string, max: number): string[] {
  if (value.length <= max && !/[\n\r\u0085\u2028\u2029]/.test(value)) return [];
  return [
    `${option}: must be one line of at most ${max} characters (${value.length} given${
      value.length <= max ? ", with a line break" : ""
    })`,
  ];
}

/**
 * Description text (SageMaker's EntityDescription: at most 1024 letters, marks, spaces,
 * symbols, digits and punctuation; no control characters such as tabs or line breaks).
 */
export function checkDescription(option: string, value: string): string[] {
  if (value.length <= 1024 && /^[\p{L}\p{M}\p{Z}\p{S}\p{N}\p{P}]*$/u.test(value)) return [];
  return [
    `${option}: must be at most 1024 characters of letters, digits, spaces, punctuation and ` +
    `symbols, no tabs, line breaks or other control characters (${value.length} given)`,
  ];
}

/** A traffic weight (VariantWeight: a 32-bit float >= 0, so finite below about 3.4e38). */
export function checkWeight(option: string, value: number): string[] {
  return Number.isFinite(Math.fround(value)) && value >= 0 ? [] : [
    `${option} ${show(String(value))}: a weight must be a finite number >= 0 ` +
    "(at most 3.4e38, AWS's 32-bit floats)",
  ];
}

/** A weight AWS stores as a 32-bit float: one too small to hold is 0 there. */
export const storedWeight = (value: number) => Math.fround(value);

/** Serverless: MemorySizeInMB 1024..6144 in steps of 1024, MaxConcurrency 1..200. */
export function checkServerless(memoryMb: number, maxConcurrency: number): string[] {
  const problems: string[] = [];
  if (
    !(Number.isInteger(memoryMb) && memoryMb >= 1024 && memoryMb <= 6144 && memoryMb % 1024 === 0)
  ) {
    problems.push(
      `--serverless memory ${show(memoryMb)}: MemorySizeInMB must be 1024, 2048, 3072, 4096, ` +
        "5120 or 6144",
    );
  }
  problems.push(...checkInteger("--serverless max concurrency", maxConcurrency, 1, 200));
  return problems;
}

/** Autoscaling: integer capacities >= 1 with min <= max, a positive finite target. */
export function checkAutoscaling(
  policy: { min: number; max: number; invocationsPerInstance: number },
): string[] {
  const problems = [
    ...checkInteger("--autoscale MIN", policy.min, 1),
    ...checkInteger("--autoscale MAX", policy.max, 1),
  ];
  if (problems.length === 0 && policy.min > policy.max) {
    problems.push(`--autoscale: MIN ${policy.min} must not exceed MAX ${policy.max}`);
  }
  const t = policy.invocationsPerInstance;
  // Application Auto Scaling takes targets within 2^-360 .. 2^360 ("not too small or too large").
  if (!(Number.isFinite(t) && t >= 2 ** -360 && t <= 2 ** 360)) {
    problems.push(
      `--autoscale target ${show(String(t))}: TargetValue (invocations per instance per ` +
        "minute) must be a finite number > 0, from 2^-360 to 2^360 (AWS's range)",
    );
  }
  return problems;
}

/** An ECR repository name (RepositoryName: 2-256, lower case, [._-] separators, / paths). */
export function checkRepository(option: string, value: string): string[] {
  if (value.length >= 2 && value.length <= 256 && REPOSITORY.test(value)) return [];
  return [
    `${option} ${show(value)}: ECR repository names are 2-256 characters of lower-case letters ` +
    "and digits, separated by single '.', '_', '-' or '/' (e.g. titanic or team/titanic)",
  ];
}

/** A container image tag. */
export function checkImageTag(option: string, value: string): string[] {
  return IMAGE_TAG.test(value) ? [] : [
    `${option} ${show(value)}: an image tag is 1-128 letters, digits, '_', '.' and '-', not ` +
    "starting with '.' or '-'",
  ];
}

/** An InvokeEndpoint header value (Content-Type, Accept, CustomAttributes): ASCII, <= 1024. */
export function checkHeader(option: string, value: string): string[] {
  if (value.length <= 1024 && VISIBLE_ASCII.test(value)) return [];
  return [
    `${option}: must be visible ASCII (no control characters such as tabs or line breaks) and ` +
    `at most 1024 characters (InvokeEndpoint's header rule; ${value.length} characters given${
      VISIBLE_ASCII.test(value) ? "" : ", some not visible ASCII"
    })`,
  ];
}

/** InvokeEndpoint's body limit (6 MB). */
export const MAX_INVOKE_BYTES = 6 * 1024 * 1024;

/** What InvokeEndpoint takes besides the body: the headers and the body's size. */
export function checkInvokeRequest(
  request: { body: Uint8Array; contentType: string; accept: string; customAttributes?: string },
  names = { contentType: "Content-Type", accept: "Accept", customAttributes: "CustomAttributes" },
): string[] {
  const problems = [
    ...checkHeader(names.contentType, request.contentType),
    ...checkHeader(names.accept, request.accept),
    ...(request.customAttributes === undefined
      ? []
      : checkHeader(names.customAttributes, request.customAttributes)),
  ];
  if (request.body.length > MAX_INVOKE_BYTES) {
    problems.push(`the body is ${request.body.length} bytes; InvokeEndpoint takes at most 6 MB`);
  }
  return problems;
}

/**
 * Traffic weights for shift-traffic: each variant a SageMaker name, each weight a finite number
 * >= 0, at least one above 0.
 */
export function checkWeights(weights: Record<string, number>): string[] {
  const problems = Object.entries(weights).flatMap(([name, weight]) => [
    ...checkName("--weights variant", name),
    ...checkWeight(`--weights ${name}`, weight),
  ]);
  const count = Object.keys(weights).length;
  if (count === 0) problems.push("--weights: no variant given");
  else if (count > 10) problems.push(`--weights: ${count} variants; an endpoint has at most 10`);
  else if (problems.length === 0 && !Object.values(weights).some((w) => storedWeight(w) > 0)) {
    problems.push("--weights: at least one weight must be above 0, or no traffic is served");
  }
  return problems;
}

/** Parses `--weights VARIANT=W,...`; `primary=` (no number) and repeated variants are problems. */
export function parseWeights(
  text: string,
): { weights: Record<string, number>; problems: string[] } {
  const weights: Record<string, number> = {};
  const problems: string[] = [];
  for (const pair of text.split(",")) {
    const m = /^\s*([^=]*?)\s*=\s*(.*?)\s*$/.exec(pair);
    if (!m) {
      problems.push(`--weights ${show(pair)}: expected VARIANT=WEIGHT`);
      continue;
    }
    const [, name, weightText] = m;
    if (weightText === "") problems.push(`--weights ${show(pair)}: the weight is missing`);
    if (Object.hasOwn(weights, name)) {
      problems.push(`--weights: variant ${show(name)} is given twice`);
    }
    weights[name] = weightText === "" ? 0 : Number(weightText);
  }
  if (problems.length > 0) return { weights, problems };
  return { weights, problems: checkWeights(weights) };
}

/** The region an ARN or ECR image URI names (undefined for anything else). */
export function regionOf(value: string): string | undefined {
  return /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]+):/.exec(value)?.[1] ??
    /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(value)?.[1];
}

/**
 * A resource the calls use in place (an SNS topic for alarms, a model package, an ECR image)
 * must be in the region the calls go to: CloudWatch notifies topics of its own region only,
 * and SageMaker takes packages and images from its own region.
 */
export function checkRegion(option: string, value: string | undefined, region: string): string[] {
  const named = value === undefined ? undefined : regionOf(value);
  return named === undefined || named === region ? [] : [
    `${option} ${show(value)} is in ${named}, but the calls go to ${region} ` +
    "(--region or AWS_REGION): use one in the same region",
  ];
}
