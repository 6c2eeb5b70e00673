/**
 * SageMaker Model Registry: `register` puts a model version (image, model data, content types,
 * the card's metrics) in a Model Package Group, created when missing, pending manual approval;
 * `approve` approves (or rejects) a version; deploy resolves `latest-approved` to the newest
 * approved version of a group. The card's metrics (and its drift baseline) are uploaded to S3
 * beside the model data and referenced as the package's ModelMetrics.
 * @module
 */

import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  type CreateModelPackageInput,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  type ModelApprovalStatus,
  type ModelPackageSummary,
  type ProductionVariantInstanceType,
  type TransformInstanceType,
  UpdateModelPackageCommand,
} from "@aws-sdk/client-sagemaker";
import type { ModelCard } from "../inference/card.ts";
import {
  assertNoProblems,
  type AwsCaller,
  type AwsClients,
  DryRunNotFound,
  isNotFound,
} from "./aws.ts";
import { checkInstanceType, checkTransformInstanceType } from "./instance_types.ts";
import {
  checkDescription,
  checkImage,
  checkInteger,
  checkName,
  checkOneLine,
  checkS3Url,
} from "./validation.ts";
import { PROJECT_TAG } from "./naming.ts";

const TAGS = [{ ...PROJECT_TAG }];
/** What the server speaks (container/payload.ts). */
export const CONTENT_TYPES = ["application/json", "text/csv", "application/jsonlines"];

export interface RegisterSpec {
  group: string;
  image: string;
  /** s3://.../model.tar.gz */
  modelData: string;
  card: ModelCard;
  realtimeInstanceTypes: string[];
  transformInstanceTypes: string[];
  description?: string;
}

/** s3://bucket/dir/model.tar.gz -> s3://bucket/dir/NAME */
export function besideModelData(modelData: string, name: string): string {
  return modelData.replace(/[^/]*$/, name);
}

function splitS3(uri: string): { Bucket: string; Key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an s3://BUCKET/KEY URL`);
  return { Bucket: match[1], Key: match[2] };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The reports a package references: the card's metrics and, when present, its baseline. */
export function reports(card: ModelCard): { name: string; body: string; kind: string }[] {
  const out = [{
    name: "model-quality.json",
    kind: "ModelQuality",
    body: JSON.stringify(
      {
        model: card.name,
        preset: card.preset,
        onnxSha256: card.onnx.sha256,
        metrics: card.metrics,
      },
      null,
      2,
    ),
  }];
  if (card.baseline) {
    out.push({
      name: "data-baseline.json",
      kind: "ModelDataQuality",
      body: JSON.stringify(card.baseline, null, 2),
    });
  }
  return out;
}

/** A metadata value the registry accepts (letters, digits, spaces and _.:/=+-@). */
const metadataValue = (v: unknown) => String(v).replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, "_");

/** The card's CV estimate (cards written before nested CV call it crossValidation). */
function estimateOf(card: ModelCard): ModelCard["metrics"]["estimate"] {
  const metrics = card.metrics as ModelCard["metrics"] & {
    crossValidation?: ModelCard["metrics"]["estimate"];
  };
  const estimate = metrics.estimate ?? metrics.crossValidation;
  if (!estimate) throw new Error(`the card of ${card.name} has no CV estimate (metrics.estimate)`);
  return estimate;
}

/** The CreateModelPackage input for a spec, with its reports at `uris`. */
export function modelPackageInput(
  spec: RegisterSpec,
  uris: Record<string, { S3Uri: string; ContentDigest: string }>,
): CreateModelPackageInput {
  const cv = estimateOf(spec.card);
  const source = (kind: string) =>
    uris[kind] ? { Statistics: { ContentType: "application/json", ...uris[kind] } } : undefined;
  return {
    ModelPackageGroupName: spec.group,
    ModelPackageDescription: spec.description ??
      `Titanic survival, preset ${spec.card.preset}: ${(cv.accuracy.mean * 100).toFixed(2)} % ` +
        `${cv.folds}x${cv.repeats} CV accuracy`,
    InferenceSpecification: {
      Containers: [{ Image: spec.image, ModelDataUrl: spec.modelData }],
      SupportedContentTypes: CONTENT_TYPES,
      SupportedResponseMIMETypes: CONTENT_TYPES,
      SupportedRealtimeInferenceInstanceTypes: spec
        .realtimeInstanceTypes as ProductionVariantInstanceType[],
      SupportedTransformInstanceTypes: spec.transformInstanceTypes as TransformInstanceType[],
    },
    ModelApprovalStatus: "PendingManualApproval",
    ModelMetrics: {
      ...(source("ModelQuality") ? { ModelQuality: source("ModelQuality") } : {}),
      ...(source("ModelDataQuality") ? { ModelDataQuality: source("ModelDataQuality") } : {}),
    },
    CustomerMetadataProperties: {
      preset: metadataValue(spec.card.preset),
      onnxSha256: spec.card.onnx.sha256,
      cvAccuracy: String(cv.accuracy.mean),
      cvRocAuc: String(cv.rocAuc.mean),
      cvLogLoss: String(cv.logLoss.mean),
      trainSha256: spec.card.data.train.sha256,
    },
    Tags: TAGS,
  };
}

/** Account and region of the example ARNs dry runs show (as src/deploy/dry_run.ts). */
const EXAMPLE_ARN = "arn:aws:sagemaker:us-east-1:123456789012";

/** A model package's ARN (CreateModel's ModelPackageName: at most 176 characters). */
const PACKAGE_ARN =
  /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\/\d{1,5})?$/;

/** Problems of a --model-package value (latest-approved resolved): a model package ARN. */
export function checkModelPackage(option: string, value: string, latest = true): string[] {
  return value.length <= 176 && PACKAGE_ARN.test(value) ? [] : [
    `${option} "${value}": must be ${latest ? "latest-approved or " : ""}a model package ARN, ` +
    "arn:aws:sagemaker:REGION:ACCOUNT:model-package/GROUP/VERSION (at most 176 characters; " +
    "GROUP 1-63 letters, digits and hyphens, VERSION 1-5 digits)",
  ];
}

/** A model package group's name (EntityName), as register, approve and deploy take it. */
export const checkGroup = (option: string, value: string) => checkName(option, value);

/** Every way a register spec breaks AWS's rules, each naming the option. */
export function validateRegister(spec: RegisterSpec): string[] {
  // The reports go beside the model data, so their URLs must fit S3Uri's 1024 characters too.
  const longestReport = besideModelData(spec.modelData, "data-baseline.json");
  const problems = [
    ...checkGroup("--group", spec.group),
    ...checkImage("--image", spec.image),
    ...checkS3Url("--model-data", spec.modelData, "the model.tar.gz"),
    ...(longestReport.length > 1024
      ? [`--model-data: ${longestReport} (a report beside it) would be over 1024 characters`]
      : []),
    ...(spec.description === undefined ? [] : checkDescription("--description", spec.description)),
    ...spec.realtimeInstanceTypes.flatMap((t) => checkInstanceType("--instance-types", t)),
    ...spec.transformInstanceTypes.flatMap((t) =>
      checkTransformInstanceType("--transform-types", t)
    ),
  ];
  if (spec.transformInstanceTypes.length === 0) {
    problems.push("--transform-types: at least one type (SupportedTransformInstanceTypes)");
  }
  return problems;
}

/** The version number at the end of a model package ARN (".../group/3" -> 3). */
export function versionOf(arn: string): number {
  return Number(/\/(\d+)$/.exec(arn)?.[1] ?? NaN);
}

/** Registers a new version; returns its ARN (a placeholder in dry-run mode). */
export async function register(
  clients: AwsClients,
  caller: AwsCaller,
  spec: RegisterSpec,
): Promise<{ arn: string; group: string; version: number; groupCreated: boolean }> {
  assertNoProblems(validateRegister(spec));
  const sm = clients.sagemaker;
  let groupCreated = false;
  try {
    await caller.send(
      sm,
      new DescribeModelPackageGroupCommand({ ModelPackageGroupName: spec.group }),
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await caller.send(
      sm,
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: spec.group,
        ModelPackageGroupDescription: "Titanic survival models (deno task register)",
        Tags: TAGS,
      }),
    );
    groupCreated = true;
  }
  const uris: Record<string, { S3Uri: string; ContentDigest: string }> = {};
  for (const report of reports(spec.card)) {
    const S3Uri = besideModelData(spec.modelData, report.name);
    await caller.send(
      clients.s3,
      new PutObjectCommand({
        ...splitS3(S3Uri),
        Body: report.body,
        ContentType: "application/json",
      }),
    );
    uris[report.kind] = { S3Uri, ContentDigest: `sha256:${await sha256(report.body)}` };
  }
  const created = await caller.send(
    sm,
    new CreateModelPackageCommand(modelPackageInput(spec, uris)),
  );
  // A dry run gets no answer: an example ARN stands for the version it would create.
  const arn = String(created.ModelPackageArn ?? `${EXAMPLE_ARN}:model-package/${spec.group}/1`);
  return { arn, group: spec.group, version: versionOf(arn), groupCreated };
}

/** Every version of a group, newest first. */
export async function listVersions(
  clients: AwsClients,
  caller: AwsCaller,
  group: string,
  status?: ModelApprovalStatus,
): Promise<ModelPackageSummary[]> {
  const all: ModelPackageSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await caller.send(
      clients.sagemaker,
      new ListModelPackagesCommand({
        ModelPackageGroupName: group,
        ...(status ? { ModelApprovalStatus: status } : {}),
        SortBy: "CreationTime",
        SortOrder: "Descending",
        MaxResults: 100,
        ...(NextToken ? { NextToken } : {}),
      }),
    );
    all.push(...(page.ModelPackageSummaryList ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

/** The ARN of the newest approved version of a group; throws when there is none. */
export async function latestApproved(
  clients: AwsClients,
  caller: AwsCaller,
  group: string,
): Promise<string> {
  assertNoProblems(checkGroup("--group", group));
  let versions: ModelPackageSummary[];
  try {
    versions = await listVersions(clients, caller, group, "Approved");
  } catch (err) {
    if (!(err instanceof DryRunNotFound)) throw err;
    const example = `${EXAMPLE_ARN}:model-package/${group}/1`;
    caller.log(`dry run: taking ${example} (an example) as the latest approved version`);
    return example;
  }
  if (!versions[0]?.ModelPackageArn) {
    throw new Error(
      `model package group ${group} has no approved version: deno task approve --group ${group}`,
    );
  }
  return versions[0].ModelPackageArn;
}

/**
 * Sets a version's approval status: `version` N, or the package `arn`, or else the newest
 * version. Returns the ARN.
 */
export async function approve(
  clients: AwsClients,
  caller: AwsCaller,
  options: {
    group: string;
    version?: number;
    arn?: string;
    status?: "Approved" | "Rejected";
    description?: string;
  },
): Promise<string> {
  assertNoProblems([
    ...checkGroup("--group", options.group),
    ...(options.version === undefined ? [] : checkInteger("--version", options.version, 1, 99999)),
    ...(options.arn === undefined ? [] : checkModelPackage("--package", options.arn, false)),
    ...(options.arn !== undefined && !options.arn.includes(`:model-package/${options.group}/`)
      ? [`--package ${options.arn} is not a version of --group ${options.group}`]
      : []),
    ...(options.description === undefined
      ? []
      : checkOneLine("--description", options.description, 1024)),
  ]);
  let arn = options.arn;
  if (!arn) {
    let versions: ModelPackageSummary[] = [];
    try {
      versions = await listVersions(clients, caller, options.group);
    } catch (err) {
      if (!(err instanceof DryRunNotFound)) throw err;
      arn = `${EXAMPLE_ARN}:model-package/${options.group}/${options.version ?? 1}`;
      caller.log(`dry run: ${arn} (an example) stands for the version`);
    }
    if (!arn) {
      const found = options.version === undefined
        ? versions[0]
        : versions.find((v) =>
          v.ModelPackageVersion === options.version ||
          versionOf(String(v.ModelPackageArn)) === options.version
        );
      if (!found?.ModelPackageArn) {
        throw new Error(
          `model package group ${options.group} has no version ${options.version ?? ""}`.trim(),
        );
      }
      arn = found.ModelPackageArn;
    }
  }
  await caller.send(
    clients.sagemaker,
    new UpdateModelPackageCommand({
      ModelPackageArn: arn,
      ModelApprovalStatus: options.status ?? "Approved",
      ...(options.description ? { ApprovalDescription: options.description } : {}),
    }),
  );
  return arn;
}
