/** Model registry: register, approve, deploy --model-package; exact inputs, valid for AWS. */

import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  UpdateModelPackageCommand,
} from "@aws-sdk/client-sagemaker";
import { mockClient } from "aws-sdk-client-mock";
import { AwsCaller, makeClients } from "../src/deploy/aws.ts";
import { approve, latestApproved, register, type RegisterSpec } from "../src/deploy/registry.ts";
import { deploy } from "../src/deploy/sagemaker.ts";
import { readCard } from "../src/inference/card.ts";
import { assertValidCalls, callsOfMock } from "./aws_models.ts";
import { runTask } from "./task_helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:v1";
const PACKAGE = (n: number) =>
  `arn:aws:sagemaker:us-east-1:123456789012:model-package/titanic/${n}`;
const notFound = () =>
  Object.assign(new Error("ModelPackageGroup titanic does not exist."), {
    name: "ValidationException",
  });

function setup() {
  const clients = makeClients("us-east-1");
  const sm = mockClient(clients.sagemaker);
  const s3 = mockClient(clients.s3);
  const lines: string[] = [];
  return { clients, sm, s3, caller: new AwsCaller(false, (l) => lines.push(l)), lines };
}

async function spec(): Promise<RegisterSpec> {
  return {
    group: "titanic",
    image: IMAGE,
    modelData: "s3://my-bucket/titanic/v1/model.tar.gz",
    card: await readCard(`${ROOT}models/titanic.json`),
    realtimeInstanceTypes: ["ml.t2.medium", "ml.m5.large"],
    transformInstanceTypes: ["ml.m5.large"],
  };
}

Deno.test("register: group created when missing, reports uploaded, package pending approval", async () => {
  const { clients, sm, s3, caller } = setup();
  sm.on(DescribeModelPackageGroupCommand).rejects(notFound());
  sm.on(CreateModelPackageGroupCommand).resolves({});
  sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: PACKAGE(3) });
  s3.on(PutObjectCommand).resolves({});
  const base = await spec();
  const card = { ...base.card, baseline: { rows: 891, inputs: [], predictions: {} } };
  const result = await register(clients, caller, { ...base, card });
  assert.deepEqual(result, { arn: PACKAGE(3), group: "titanic", version: 3, groupCreated: true });
  assert.deepEqual(sm.commandCalls(CreateModelPackageGroupCommand)[0].args[0].input, {
    ModelPackageGroupName: "titanic",
    ModelPackageGroupDescription: "Titanic survival models (deno task register)",
    Tags: [{ Key: "project", Value: "titanic-deno" }],
  });
  const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
  assert.deepEqual(puts.map((p) => [p.Bucket, p.Key, p.ContentType]), [
    ["my-bucket", "titanic/v1/model-quality.json", "application/json"],
    ["my-bucket", "titanic/v1/data-baseline.json", "application/json"],
  ]);
  const quality = JSON.parse(String(puts[0].Body));
  assert.deepEqual(quality.metrics, card.metrics);
  assert.equal(quality.onnxSha256, card.onnx.sha256);
  assert.deepEqual(JSON.parse(String(puts[1].Body)), card.baseline);
  const digest = async (body: unknown) =>
    "sha256:" + Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(String(body)))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
  type Estimate = typeof card.metrics.estimate;
  const metrics = card.metrics as typeof card.metrics & { crossValidation?: Estimate };
  const cv = card.metrics.estimate ?? metrics.crossValidation!;
  const types = ["application/json", "text/csv", "application/jsonlines"];
  assert.deepEqual(sm.commandCalls(CreateModelPackageCommand)[0].args[0].input, {
    ModelPackageGroupName: "titanic",
    ModelPackageDescription: `Titanic survival, preset ${card.preset}: ${
      (cv.accuracy.mean * 100).toFixed(2)
    } % ${cv.folds}x${cv.repeats} CV accuracy`,
    InferenceSpecification: {
      Containers: [{ Image: IMAGE, ModelDataUrl: "s3://my-bucket/titanic/v1/model.tar.gz" }],
      SupportedContentTypes: types,
      SupportedResponseMIMETypes: types,
      SupportedRealtimeInferenceInstanceTypes: ["ml.t2.medium", "ml.m5.large"],
      SupportedTransformInstanceTypes: ["ml.m5.large"],
    },
    ModelApprovalStatus: "PendingManualApproval",
    ModelMetrics: {
      ModelQuality: {
        Statistics: {
          ContentType: "application/json",
          S3Uri: "s3://my-bucket/titanic/v1/model-quality.json",
          ContentDigest: await digest(puts[0].Body),
        },
      },
      ModelDataQuality: {
        Statistics: {
          ContentType: "application/json",
          S3Uri: "s3://my-bucket/titanic/v1/data-baseline.json",
          ContentDigest: await digest(puts[1].Body),
        },
      },
    },
    CustomerMetadataProperties: {
      preset: card.preset,
      onnxSha256: card.onnx.sha256,
      cvAccuracy: String(cv.accuracy.mean),
      cvRocAuc: String(cv.rocAuc.mean),
      cvLogLoss: String(cv.logLoss.mean),
      trainSha256: card.data.train.sha256,
    },
    Tags: [{ Key: "project", Value: "titanic-deno" }],
  });
  assertValidCalls([...callsOfMock(sm, clients.sagemaker), ...callsOfMock(s3, clients.s3)]);
});

Deno.test("register: an existing group is reused; bad names are refused before any call", async () => {
  const { clients, sm, s3, caller } = setup();
  sm.on(DescribeModelPackageGroupCommand).resolves({ ModelPackageGroupName: "titanic" });
  sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: PACKAGE(4) });
  s3.on(PutObjectCommand).resolves({});
  const result = await register(clients, caller, await spec());
  assert.equal(result.groupCreated, false);
  assert.equal(sm.commandCalls(CreateModelPackageGroupCommand).length, 0);
  await assert.rejects(
    register(clients, caller, { ...await spec(), group: "bad_name" }),
    /--group "bad_name": must be 1-63 letters/,
  );
  assertValidCalls(callsOfMock(sm, clients.sagemaker));
});

Deno.test("approve: by version over every page, by ARN, the newest by default; latest approved", async () => {
  const { clients, sm, caller } = setup();
  sm.on(ListModelPackagesCommand, { ModelPackageGroupName: "titanic", NextToken: undefined })
    .resolves({
      ModelPackageSummaryList: [
        { ModelPackageArn: PACKAGE(5), ModelPackageVersion: 5 } as never,
        { ModelPackageArn: PACKAGE(4), ModelPackageVersion: 4 } as never,
      ],
      NextToken: "more",
    });
  sm.on(ListModelPackagesCommand, { ModelPackageGroupName: "titanic", NextToken: "more" })
    .resolves({
      ModelPackageSummaryList: [{ ModelPackageArn: PACKAGE(1), ModelPackageVersion: 1 } as never],
    });
  sm.on(UpdateModelPackageCommand).resolves({});
  assert.equal(await approve(clients, caller, { group: "titanic", version: 1 }), PACKAGE(1));
  assert.equal(await approve(clients, caller, { group: "titanic" }), PACKAGE(5));
  assert.equal(
    await approve(clients, caller, {
      group: "titanic",
      arn: PACKAGE(4),
      status: "Rejected",
      description: "worse on the holdout",
    }),
    PACKAGE(4),
  );
  await assert.rejects(approve(clients, caller, { group: "titanic", version: 9 }), /no version 9/);
  assert.deepEqual(sm.commandCalls(UpdateModelPackageCommand).map((c) => c.args[0].input), [
    { ModelPackageArn: PACKAGE(1), ModelApprovalStatus: "Approved" },
    { ModelPackageArn: PACKAGE(5), ModelApprovalStatus: "Approved" },
    {
      ModelPackageArn: PACKAGE(4),
      ModelApprovalStatus: "Rejected",
      ApprovalDescription: "worse on the holdout",
    },
  ]);
  assert.deepEqual(sm.commandCalls(ListModelPackagesCommand)[0].args[0].input, {
    ModelPackageGroupName: "titanic",
    SortBy: "CreationTime",
    SortOrder: "Descending",
    MaxResults: 100,
  });
  sm.on(ListModelPackagesCommand, { ModelApprovalStatus: "Approved" }).resolves({
    ModelPackageSummaryList: [{ ModelPackageArn: PACKAGE(2) } as never],
  });
  assert.equal(await latestApproved(clients, caller, "titanic"), PACKAGE(2));
  sm.on(ListModelPackagesCommand, { ModelApprovalStatus: "Approved" }).resolves({
    ModelPackageSummaryList: [],
  });
  await assert.rejects(latestApproved(clients, caller, "titanic"), /has no approved version/);
  assertValidCalls(callsOfMock(sm, clients.sagemaker));
});

Deno.test("deploy --model-package: the model is created from the package", async () => {
  const { clients, sm, caller } = setup();
  const missing = Object.assign(new Error("Could not find model"), { name: "ValidationException" });
  sm.on(DescribeModelCommand).rejects(missing);
  sm.on(DescribeEndpointConfigCommand).rejects(missing);
  sm.on(DescribeEndpointCommand).rejectsOnce(missing).resolves({ EndpointStatus: "InService" });
  sm.on(CreateModelCommand).resolves({});
  sm.on(CreateEndpointConfigCommand).resolves({});
  sm.on(CreateEndpointCommand).resolves({});
  const result = await deploy(clients, caller, {
    endpoint: "titanic",
    role: "arn:aws:iam::123456789012:role/sagemaker",
    variants: [{ name: "primary", image: "", modelPackage: PACKAGE(2), weight: 1 }],
    instanceType: "ml.t2.medium",
    instanceCount: 1,
  }, { pollSeconds: 0 });
  assert.deepEqual(sm.commandCalls(CreateModelCommand)[0].args[0].input, {
    ModelName: result.models[0],
    ExecutionRoleArn: "arn:aws:iam::123456789012:role/sagemaker",
    PrimaryContainer: {
      ModelPackageName: PACKAGE(2),
      Environment: {
        SAGEMAKER_MAX_PAYLOAD_IN_MB: "6",
        ENDPOINT_NAME: "titanic",
        VARIANT_NAME: "primary",
      },
    },
    Tags: [{ Key: "project", Value: "titanic-deno" }, { Key: "endpoint", Value: "titanic" }],
  });
  assertValidCalls(callsOfMock(sm, clients.sagemaker));
});

Deno.test("register, approve, latest-approved: values AWS's models refuse are refused before any call, naming the option", async () => {
  const { clients, sm, s3, caller } = setup();
  const base = await spec();
  const badRegisters: [Partial<RegisterSpec>, RegExp][] = [
    [{ group: "bad_name" }, /--group "bad_name": must be 1-63 letters/],
    [{ group: "a".repeat(64) }, /--group "a{64}"/],
    [{ image: "a b" }, /--image "a b"/],
    [{ image: "x".repeat(256) }, /--image "x{256}"/],
    [{ modelData: "s3://bucket" }, /--model-data "s3:\/\/bucket": must be s3:\/\/BUCKET\/KEY/],
    [{ modelData: "/tmp/model.tar.gz" }, /--model-data/],
    [{ modelData: `s3://bucket/${"k".repeat(1000)}/m` }, /a report beside it\) would be over 1024/],
    [{ description: "two\nlines" }, /--description: must be at most 1024 .*no tabs, line breaks/],
    [{ description: "d".repeat(1025) }, /--description: .*1025 given/],
    [{ realtimeInstanceTypes: ["ml.t2.gigantic"] }, /--instance-types "ml.t2.gigantic"/],
    [{ transformInstanceTypes: ["ml.t2.medium"] }, /--transform-types "ml.t2.medium"/],
    [{ transformInstanceTypes: [] }, /--transform-types: at least one type/],
  ];
  for (const [change, named] of badRegisters) {
    await assert.rejects(register(clients, caller, { ...base, ...change }), named);
  }
  const badApprovals: [Parameters<typeof approve>[2], RegExp][] = [
    [{ group: "titanic_x" }, /--group "titanic_x"/],
    [{ group: "a b" }, /--group "a b"/],
    [{ group: "titanic", version: 100000 }, /--version 100000: must be an integer from 1 to 99999/],
    [{ group: "titanic", arn: "foo" }, /--package "foo": must be a model package ARN/],
    [{ group: "titanic", arn: `${PACKAGE(1)}-` }, /--package/],
    [
      { group: "titanic", arn: PACKAGE(1).replace("titanic", "t".repeat(64)) },
      /--package .*GROUP 1-63/,
    ],
    [{ group: "titanic", arn: PACKAGE(123456) }, /--package/],
    [{ group: "other", arn: PACKAGE(1) }, /--package .* is not a version of --group other/],
    [{ group: "titanic", description: "a\nb" }, /--description: must be one line/],
    [{ group: "titanic", description: "d".repeat(1025) }, /at most 1024 characters \(1025 given/],
  ];
  for (const [options, named] of badApprovals) {
    await assert.rejects(approve(clients, caller, options), named, JSON.stringify(options));
  }
  await assert.rejects(latestApproved(clients, caller, "titanic_x"), /--group "titanic_x"/);
  assert.equal(sm.calls().length + s3.calls().length, 0, "no call was made");

  // The edges AWS takes are taken, and their calls are valid.
  sm.on(DescribeModelPackageGroupCommand).resolves({});
  sm.on(CreateModelPackageCommand).resolves({ ModelPackageArn: PACKAGE(99999) });
  sm.on(UpdateModelPackageCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  const group = `${"g".repeat(31)}-${"h".repeat(31)}`;
  await register(clients, caller, {
    ...base,
    group,
    image: "x".repeat(255),
    modelData: `s3://bucket/${"k".repeat(990)}/model.tar.gz`,
    description: "Überleben – «Titanic» · 99.9 % ± 0.1 ✓ ".repeat(25).slice(0, 1024),
  });
  const longest = PACKAGE(99999).replace("titanic", group);
  await approve(clients, caller, { group, arn: longest, description: "é".repeat(1024) });
  assertValidCalls([...callsOfMock(sm, clients.sagemaker), ...callsOfMock(s3, clients.s3)]);
});

const task = (args: string[]) => runTask(args[0], args.slice(1));

Deno.test("deno task register / approve / deploy --model-package: dry runs print the calls", async () => {
  const region = ["--region", "us-east-1", "--dry-run"];
  const reg = await task([
    "register",
    "--image",
    IMAGE,
    "--model-data",
    "s3://my-bucket/titanic/v1/model.tar.gz",
    "--group",
    "titanic",
    ...region,
  ]);
  assert.equal(reg.code, 0, reg.out);
  for (
    const call of [
      "SageMaker.DescribeModelPackageGroup",
      "SageMaker.CreateModelPackageGroup",
      "S3.PutObject",
      "SageMaker.CreateModelPackage",
    ]
  ) {
    assert.match(reg.out, new RegExp(`^\\[dry-run\\] ${call} `, "m"), call);
  }
  const ok = await task(["approve", "--group", "titanic", "--version", "2", ...region]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /\[dry-run\] SageMaker\.ListModelPackages/);
  assert.match(
    ok.out,
    /\[dry-run\] SageMaker\.UpdateModelPackage .*"ModelApprovalStatus":"Approved"/,
  );
  const dep = await task([
    "deploy",
    "--model-package",
    "latest-approved",
    "--group",
    "titanic",
    "--role",
    "arn:aws:iam::123456789012:role/sagemaker",
    ...region,
  ]);
  assert.equal(dep.code, 0, dep.out);
  assert.match(dep.out, /"ModelApprovalStatus":"Approved","SortBy":"CreationTime"/);
  assert.match(dep.out, /dry run: taking .*model-package\/titanic\/1 \(an example\)/);
  assert.match(
    dep.out,
    /SageMaker\.CreateModel .*"ModelPackageName":"arn:aws:sagemaker:us-east-1:123456789012:model-package\/titanic\/1"/,
  );
  const both = await task([
    "deploy",
    "--model-package",
    PACKAGE(1),
    "--image",
    IMAGE,
    "--role",
    "r",
  ]);
  assert.equal(both.code, 2);
  assert.match(both.out, /--model-package replaces --image/);
  assert.equal((await task(["approve", "--group", "titanic", "--version", "0"])).code, 2);
  // latest-approved: a bad group, or any other bad option, is refused before the registry is read.
  for (
    const [extra, named] of [
      [["--group", "titanic_x"], /--group "titanic_x"/],
      [["--endpoint", "titanic_v2"], /--endpoint "titanic_v2"/],
      [["--count", "3000000000"], /--count 3000000000/],
    ] as const
  ) {
    const refused = await task([
      "deploy",
      "--model-package",
      "latest-approved",
      "--role",
      "arn:aws:iam::123456789012:role/sagemaker",
      ...extra,
      ...region,
    ]);
    assert.notEqual(refused.code, 0, refused.out);
    assert.match(refused.out, named);
    assert.doesNotMatch(refused.out, /\[dry-run\]/, "no call, not even a read");
  }
});
