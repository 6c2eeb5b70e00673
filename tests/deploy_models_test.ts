/**
 * Every deploy command over tables of option sets (defaults, every option, edge values, names
 * of every length up to 63), through the SDK (aws-sdk-client-mock) in each account state it
 * can meet, with every call's input checked against AWS's own service models (botocore's
 * service-2.json, tests/aws_models.ts). Goals: 0 invalid inputs; 0 name collisions (a name
 * always means the same content, so any changed setting gives a new name and rolls the
 * endpoint); option sets that break AWS's rules refused before any call, naming the option.
 */

import assert from "node:assert/strict";
import {
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from "@aws-sdk/client-application-auto-scaling";
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
} from "@aws-sdk/client-ecr";
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTransformJobCommand,
  UpdateEndpointCommand,
} from "@aws-sdk/client-sagemaker";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { mockClient } from "aws-sdk-client-mock";
import {
  deploySpecFromOptions,
  type OptionValues,
  transformSpecFromOptions,
} from "../src/cli/deploy_options.ts";
import { AwsCaller, InvalidOptions, makeClients } from "../src/deploy/aws.ts";
import { preparePush } from "../src/deploy/ecr.ts";
import { invokeEndpoint } from "../src/deploy/invoke.ts";
import { createProxy } from "../src/deploy/lambda.ts";
import {
  deploy,
  type DeploySpec,
  deployWorlds,
  desiredResources,
  planDeploy,
  planTeardown,
  policyName,
  runTransform,
  shiftTraffic,
  teardown,
  teardownWorld,
  variantResourceId,
} from "../src/deploy/sagemaker.ts";
import { parseWeights } from "../src/deploy/validation.ts";
import { callsOfMock, type CapturedCall, validateCalls, type Violation } from "./aws_models.ts";

const ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1";
const IMAGE2 = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/titanic@sha256:" + "a".repeat(64);
const PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package";
const notFound = () =>
  Object.assign(new Error("Could not find it"), { name: "ValidationException" });

/** Endpoint names: the default, short ones, and every length where a cut could go wrong. */
function endpointNames(): string[] {
  const names = ["titanic", "t", "T1", "titanic-v2", "a-b", "a--b"];
  for (const length of [30, 40, 50, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63]) {
    names.push("e".repeat(length));
    // A hyphen just where the readable part of a model or config name gets cut.
    for (const at of [length - 9, length - 18, 44, 45, 46, 53, 54]) {
      if (at > 0 && at < length - 1) names.push(`${"a".repeat(at)}-${"b".repeat(length - at - 1)}`);
    }
  }
  return [...new Set(names)];
}

/** Everything deploy takes, alone and combined, at its edges. */
const OPTION_VARIANTS: OptionValues[] = [
  {},
  { "instance-type": "ml.m5.large" },
  { autoscale: "1,4" }, // the same endpoint config as the set before: a redeploy must not roll
  { "model-data": "s3://bucket/titanic/model.tar.gz" },
  { "instance-type": "ml.m5.large", count: "2" },
  { "instance-type": "ml.c5.xlarge", count: "10" },
  { serverless: "1024,1" },
  { serverless: "6144,200" },
  { serverless: "3072,50", "model-data": "s3://my.bucket-1/m.tar.gz" },
  { autoscale: "2,10,500", count: "2" },
  { autoscale: "1,1,0.5" },
  { autoscale: "1,2147483647,1e108", count: "2147483647" }, // AWS's largest integer and target
  { "ab-image": IMAGE2, "ab-weight": "0.5" },
  {
    "ab-image": IMAGE2,
    "ab-model-data": "s3://b-ucket/x/model.tar.gz",
    "ab-weight": "0.01",
    autoscale: "1,3",
  },
  { autoscale: "1,4", "instance-type": "ml.c5.large" },
  { role: "arn:aws-cn:iam::123456789012:role/sm+x=y,z.@-_" },
  { image: IMAGE2, "instance-type": "ml.g4dn.xlarge" },
  { image: undefined, "model-package": `${PACKAGE_ARN}/${"g".repeat(30)}-${"h".repeat(32)}/99999` },
];

function optionSets(): OptionValues[] {
  const sets: OptionValues[] = [];
  for (const endpoint of endpointNames()) {
    for (const variant of OPTION_VARIANTS) {
      sets.push({ image: IMAGE, role: ROLE, endpoint, ...variant });
    }
  }
  return sets;
}

type Mocks = ReturnType<typeof makeMocks>;

function makeMocks() {
  const clients = makeClients("us-east-1");
  const mocks = () => ({
    sm: mockClient(clients.sagemaker),
    scaling: mockClient(clients.autoscaling),
    ecr: mockClient(clients.ecr),
  });
  const m = {
    clients,
    ...mocks(),
    sent: (): CapturedCall[] => [
      ...callsOfMock(m.sm, clients.sagemaker),
      ...callsOfMock(m.scaling, clients.autoscaling),
      ...callsOfMock(m.ecr, clients.ecr),
    ],
    // Fresh stubs each time: sinon's reset keeps every old fake, and slows down with them.
    reset: () => {
      [m.sm, m.scaling, m.ecr].forEach((mock) => mock.restore());
      Object.assign(m, mocks());
    },
  };
  return m;
}

/** What the mocked account holds for a deploy; the fakes read it on every call. */
interface Account {
  models: Map<string, unknown>;
  configs: Map<string, unknown>;
  /** The live endpoint, or undefined until created. */
  endpoint?: { EndpointStatus: string; EndpointConfigName: string; ProductionVariants: unknown[] };
  /** Registered scaling, by variant. */
  scaling: { spec: DeploySpec; names: string[] } | undefined;
}

/** The fakes are installed once (reinstalling sinon stubs per run costs milliseconds). */
function deployMocks(m: Mocks) {
  m.reset();
  const account: Account = { models: new Map(), configs: new Map(), scaling: undefined };
  const found = (value: unknown) => (value === undefined ? Promise.reject(notFound()) : value);
  m.sm.on(DescribeModelCommand).callsFake((input) => found(account.models.get(input.ModelName)));
  m.sm.on(DescribeEndpointConfigCommand).callsFake((input) =>
    found(account.configs.get(input.EndpointConfigName))
  );
  m.sm.on(DescribeEndpointCommand).callsFake(() => {
    const live = account.endpoint;
    // Created by the call before: InService from now on.
    account.endpoint ??= {
      EndpointStatus: "InService",
      EndpointConfigName: "",
      ProductionVariants: [],
    };
    return found(live);
  });
  m.scaling.on(DescribeScalableTargetsCommand).callsFake(() => {
    const r = account.scaling;
    const a = r?.spec.autoscaling ?? { min: 1, max: 2, invocationsPerInstance: 1000 };
    return {
      ScalableTargets: (r?.names ?? []).map((v) => ({
        ServiceNamespace: "sagemaker",
        ResourceId: variantResourceId(r!.spec.endpoint, v),
        ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
        MinCapacity: a.min,
        MaxCapacity: a.max,
      })),
    };
  });
  m.scaling.on(DescribeScalingPoliciesCommand).callsFake((input) => ({
    ScalingPolicies: [{
      PolicyName: policyName(account.scaling!.spec.endpoint, input.ResourceId.split("/")[3]),
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: account.scaling!.spec.autoscaling?.invocationsPerInstance ?? 1000,
      },
    }],
  }));

  /** The account states a deploy meets: nothing yet; `live` deployed; another config live. */
  return (state: "fresh" | "live" | "other", spec: DeploySpec, live?: DeploySpec) => {
    m.sm.resetHistory();
    m.scaling.resetHistory();
    account.models.clear();
    account.configs.clear();
    account.endpoint = undefined;
    account.scaling = undefined;
    if (state === "fresh") return;
    const deployed = desiredResources(live ?? spec);
    for (const model of deployed.models) account.models.set(model.ModelName!, model);
    account.configs.set(deployed.config.EndpointConfigName!, deployed.config);
    const names = spec.variants.map((v) => v.name);
    account.endpoint = {
      EndpointStatus: "InService",
      EndpointConfigName: state === "live"
        ? deployed.config.EndpointConfigName!
        : "titanic-previous",
      ProductionVariants: names.map((VariantName) => ({ VariantName })),
    };
    const scaled = live ?? spec;
    if (state === "other" || (!scaled.serverless && scaled.autoscaling)) {
      account.scaling = { spec: scaled, names };
    }
  };
}

const tally = { optionSets: 0, calls: 0, violations: [] as Violation[] };
function check(calls: CapturedCall[]) {
  tally.calls += calls.length;
  tally.violations.push(...validateCalls(calls));
}

Deno.test("models: deploy over every option set and account state sends only valid inputs", async () => {
  const m = makeMocks();
  const arrange = deployMocks(m);
  const sets = optionSets();
  const models = new Map<string, string>();
  const configs = new Map<string, string>();
  const collisions: string[] = [];
  const remember = (map: Map<string, string>, name: string, content: unknown) => {
    const text = JSON.stringify(content);
    if (map.has(name) && map.get(name) !== text) collisions.push(name);
    map.set(name, text);
  };
  const specs: DeploySpec[] = [];
  for (const options of sets) {
    const spec = deploySpecFromOptions(options);
    specs.push(spec);
    tally.optionSets++;
    const desired = desiredResources(spec);
    for (const model of desired.models) {
      remember(models, model.ModelName!, { ...model, ModelName: 0 });
    }
    remember(configs, desired.config.EndpointConfigName!, {
      ...desired.config,
      EndpointConfigName: 0,
    });

    for (const state of ["fresh", "live", "other"] as const) {
      arrange(state, spec);
      const caller = new AwsCaller("live", () => {});
      const result = await deploy(m.clients, caller, spec, { pollSeconds: 0 });
      assert.equal(result.action, { fresh: "created", live: "unchanged", other: "updated" }[state]);
      check(m.sent());
    }
    arrange("other", spec);
    await planDeploy(m.clients, new AwsCaller("plan", () => {}), spec);
    check(m.sent());
    for (const world of deployWorlds(spec)) {
      const caller = new AwsCaller("dry-run", () => {}, world.simulate);
      await deploy(m.clients, caller, spec);
      check(caller.calls);
    }
  }
  // Each spec deployed over its neighbour's live deployment: rolled exactly when they differ.
  let rolled = 0;
  let redeploys = 0;
  for (const [i, spec] of specs.entries()) {
    const live = specs[i - 1];
    if (!live || live.endpoint !== spec.endpoint) continue;
    redeploys++;
    arrange("live", spec, live);
    const result = await deploy(m.clients, new AwsCaller("live", () => {}), spec, {
      pollSeconds: 0,
    });
    const differs = JSON.stringify(desiredResources(live).config.ProductionVariants) !==
        JSON.stringify(desiredResources(spec).config.ProductionVariants) ||
      JSON.stringify(desiredResources(live).models) !==
        JSON.stringify(desiredResources(spec).models);
    assert.equal(result.action, differs ? "updated" : "unchanged", JSON.stringify(spec));
    assert.equal(m.sm.commandCalls(UpdateEndpointCommand).length, differs ? 1 : 0);
    if (differs) rolled++;
    check(m.sent());
  }
  console.log(
    `deploy: ${sets.length} option sets x (3 account states + plan + 2 dry-run paths), ` +
      `${redeploys} redeploys over a neighbour (${rolled} rolled); ${models.size} model and ${configs.size} config ` +
      `names, ${collisions.length} collisions`,
  );
  assert.deepEqual(collisions, []);
  assert.ok(rolled > sets.length / 2 && rolled < redeploys, `${rolled} of ${redeploys} rolled`);
  assert.ok(sets.length >= 300, `${sets.length} option sets`);
});

Deno.test("models: shift-traffic, teardown, push-image, transform and the proxy over their tables", async () => {
  const m = makeMocks();
  for (
    const text of [
      "primary=1",
      "primary=0.5,candidate=0.5",
      "primary=0,candidate=1",
      " primary = 0.9 , candidate=0.1",
      "a-b=3,c=0",
    ]
  ) {
    for (const endpoint of endpointNames()) {
      m.reset();
      m.sm.on(DescribeEndpointCommand).resolves({ EndpointStatus: "InService" });
      const { weights, problems } = parseWeights(text);
      assert.deepEqual(problems, []);
      await shiftTraffic(m.clients, new AwsCaller("live", () => {}), endpoint, weights, {
        pollSeconds: 0,
      });
      check(m.sent());
      tally.optionSets++;
    }
  }
  for (const endpoint of endpointNames()) {
    const world = teardownWorld(endpoint);
    const caller = new AwsCaller("dry-run", () => {}, world.simulate);
    await teardown(m.clients, caller, await planTeardown(m.clients, caller, endpoint));
    check(caller.calls);
    tally.optionSets++;
  }
  for (const repository of ["titanic", "team/titanic", "my.repo_name-x", "ab", "a".repeat(256)]) {
    for (const tag of ["latest", "v1.2.3", "_x", "A".repeat(128)]) {
      for (const exists of [true, false]) {
        m.reset();
        if (exists) {
          m.ecr.on(DescribeRepositoriesCommand).resolves({
            repositories: [{ repositoryUri: "1.dkr.ecr.us-east-1.amazonaws.com/x" }],
          });
        } else {
          m.ecr.on(DescribeRepositoriesCommand).rejects(
            Object.assign(new Error("no"), { name: "RepositoryNotFoundException" }),
          );
          m.ecr.on(CreateRepositoryCommand).resolves({
            repository: { repositoryUri: "1.dkr.ecr.us-east-1.amazonaws.com/x" },
          });
        }
        m.ecr.on(GetAuthorizationTokenCommand).resolves({});
        await preparePush(m.clients, new AwsCaller("live", () => {}), {
          repository,
          tag,
          localImage: "titanic",
          tool: "docker",
        });
        check(m.sent());
        tally.optionSets++;
      }
    }
  }
  const transforms: OptionValues[] = [];
  for (
    const model of [
      "titanic-primary-0123abcd",
      "m",
      "x".repeat(63),
      `${"a".repeat(40)}-${"b".repeat(22)}`,
    ]
  ) {
    for (
      const extra of [
        {},
        { "content-type": "application/jsonlines" },
        { "instance-type": "ml.c5.2xlarge", count: "3", concurrency: "8" },
        { "max-payload-mb": "1", concurrency: "1" },
        { "max-payload-mb": "100", concurrency: "1" },
        { "max-payload-mb": "1", concurrency: "100" },
        { "max-payload-mb": "4", concurrency: "25" },
        { "job-name": "j" },
        { input: "s3://bucket", output: "s3://bucket/" },
      ] as OptionValues[]
    ) {
      transforms.push({ model, input: "s3://bucket/in/part", output: "s3://bucket/out", ...extra });
    }
  }
  transforms.push({
    "endpoint-config": "titanic-0123abcd",
    input: "s3://b1b/i",
    output: "s3://b1b/o",
  });
  for (const options of transforms) {
    m.reset();
    m.sm.on(DescribeEndpointConfigCommand).resolves({
      ProductionVariants: [{
        VariantName: "primary",
        ModelName: "titanic-primary-0123abcd",
      }] as never,
    });
    m.sm.on(DescribeTransformJobCommand).resolves({ TransformJobStatus: "Completed" });
    await runTransform(
      m.clients,
      new AwsCaller("live", () => {}),
      transformSpecFromOptions(options),
      { pollSeconds: 0 },
    );
    check(m.sent());
    tally.optionSets++;
  }

  const runtime = new SageMakerRuntimeClient({ region: "us-east-1" });
  const rt = mockClient(runtime);
  rt.on(InvokeEndpointCommand).resolves({
    Body: new TextEncoder().encode("{}") as never,
    ContentType: "application/json",
  });
  const proxy = createProxy((request) => invokeEndpoint(runtime, "titanic", request));
  const headerSets: Record<string, string>[] = [
    {},
    { "content-type": "text/csv; charset=utf-8", accept: "text/csv" },
    {
      "Content-Type": "application/jsonlines",
      "x-amzn-sagemaker-custom-attributes": "a".repeat(1024),
    },
    {
      "content-type": "application/json",
      accept: "*/*",
      "x-amzn-sagemaker-custom-attributes": "trace=1",
    },
  ];
  for (const headers of headerSets) {
    rt.resetHistory();
    const result = await proxy({
      body: "[]",
      headers,
      requestContext: { http: { method: "POST" } },
    });
    assert.equal(result.statusCode, 200);
    check(callsOfMock(rt, runtime));
    tally.optionSets++;
  }
  for (
    const [headers, named] of [
      [{ "content-type": "text/csv; charset=é" }, /Content-Type: must be visible ASCII/],
      [{ accept: "x".repeat(1025) }, /Accept: must be visible ASCII .*at most 1024/],
      [{ "x-amzn-sagemaker-custom-attributes": "a\tb" }, /Custom-Attributes: .*control/],
      [{ accept: "text/csv\u0000" }, /Accept: must be visible ASCII/],
      [
        { "x-amzn-sagemaker-custom-attributes": "a".repeat(1025) },
        /X-Amzn-SageMaker-Custom-Attributes/,
      ],
    ] as const
  ) {
    rt.resetHistory();
    const result = await proxy({
      body: "[]",
      headers,
      requestContext: { http: { method: "POST" } },
    });
    assert.equal(result.statusCode, 400);
    assert.match(JSON.parse(result.body).message, named);
    assert.equal(rt.calls().length, 0, "refused before InvokeEndpoint");
  }
  rt.restore();
});

/** Option sets that break AWS's rules, each with the option its message must name. */
const INVALID: [OptionValues, RegExp][] = [
  [{ endpoint: "titanic-" }, /--endpoint "titanic-"/],
  [{ endpoint: "a".repeat(64) }, /--endpoint "a{64}".*64 characters/],
  [{ endpoint: "titanic_v2" }, /--endpoint "titanic_v2"/],
  [{ endpoint: "" }, /--endpoint ""/],
  [{ count: "0" }, /--count 0: must be an integer >= 1/],
  [{ count: "-1" }, /--count -1/],
  [{ count: "1.5" }, /--count 1.5/],
  [{ count: "" }, /--count null/],
  [{ serverless: "1000,5" }, /MemorySizeInMB must be 1024/],
  [{ serverless: "1536,5" }, /--serverless memory 1536/],
  [{ serverless: "7168,5" }, /--serverless memory 7168/],
  [{ serverless: "2048.5,5" }, /--serverless memory 2048.5/],
  [{ serverless: "2048,0" }, /--serverless max concurrency 0/],
  [{ serverless: "2048,201" }, /--serverless max concurrency 201/],
  [{ serverless: "2048" }, /--serverless takes 2 comma-separated numbers/],
  [{ "instance-type": "m5.large" }, /--instance-type "m5.large": not a SageMaker/],
  [{ "instance-type": "ml.t2.gigantic" }, /--instance-type "ml.t2.gigantic"/],
  [{ "model-data": "s3://" }, /--model-data "s3:\/\/": must be s3:\/\/BUCKET\/KEY/],
  [{ "model-data": "s3://bucket" }, /--model-data "s3:\/\/bucket"/],
  [{ "model-data": "s3://Bad_Bucket/m.tar.gz" }, /--model-data/],
  [{ "model-data": "/tmp/model.tar.gz" }, /--model-data/],
  [{ "model-data": "s3://bucket/with space.tar.gz" }, /--model-data/],
  [{ role: "arn:aws:iam::123456789012:role/with space" }, /--role .*must be an IAM role ARN/],
  [{ role: "sagemaker" }, /--role "sagemaker"/],
  [{ role: "arn:aws:iam::12345:role/x" }, /--role/],
  [{ image: "" }, /--image "": must be an image URI/],
  [{ image: "a b" }, /--image "a b"/],
  [{ image: "x".repeat(256) }, /--image/],
  [{ autoscale: "1.5,2" }, /--autoscale MIN 1.5/],
  [{ autoscale: "0,2" }, /--autoscale MIN 0/],
  [{ autoscale: "3,2" }, /MIN 3 must not exceed MAX 2/],
  [{ autoscale: "1,2,0" }, /TargetValue .* must be a finite number > 0/],
  [{ autoscale: "1,2,-5" }, /--autoscale target "-5"/],
  [{ autoscale: "1,2,1e400" }, /--autoscale target "Infinity"/],
  [{ autoscale: "1,2,1e300" }, /--autoscale target "1e\+300".*2\^360/],
  [{ autoscale: "1,2,1e-300" }, /--autoscale target "1e-300"/],
  [{ autoscale: "1,2147483648" }, /--autoscale MAX 2147483648/],
  [{ autoscale: "2147483648,2147483648" }, /--autoscale MIN 2147483648/],
  [{ count: "3000000000" }, /--count 3000000000: .*at most 2147483647/],
  [{ count: "2147483648" }, /--count 2147483648/],
  [{ autoscale: "1,2", serverless: "2048,5" }, /--autoscale applies to instance-based/],
  [{ "ab-image": IMAGE2, "ab-weight": "0" }, /--ab-weight "0"/],
  [{ "ab-image": IMAGE2, "ab-weight": "1" }, /--ab-weight "1"/],
  [{ "ab-image": IMAGE2, "ab-weight": "1e-300" }, /--ab-weight "1e-300": .*32-bit/],
  [{ "ab-image": "", "ab-weight": "0.5" }, /--ab-image ""/],
  [{ "ab-image": IMAGE2, "ab-model-data": "s3://" }, /--ab-model-data "s3:\/\/"/],
  [{ "ab-model-data": "s3://b-b/m" }, /--ab-model-data needs --ab-image/],
  [
    { image: undefined, "model-package": `${PACKAGE_ARN}/titanic/123456` },
    /--model-package .*VERSION 1-5 digits/,
  ],
  [{ image: undefined, "model-package": `${PACKAGE_ARN}/-titanic/1` }, /--model-package/],
  [{ image: undefined, "model-package": `${PACKAGE_ARN}/${"t".repeat(64)}/1` }, /--model-package/],
  [{ image: undefined, "model-package": "titanic" }, /--model-package "titanic"/],
  [{ image: undefined, "model-package": "latest-approved" }, /--model-package "latest-approved"/],
  // Serverless endpoints have one variant; T2 instances are not autoscaled.
  [{ "ab-image": IMAGE2, serverless: "2048,5" }, /--ab-image applies to instance-based/],
  [{ autoscale: "1,4", "instance-type": "ml.t2.medium" }, /--autoscale: .*burstable/],
  [{ autoscale: "1,4", "instance-type": "ml.t2.2xlarge" }, /--instance-type ml.t2.2xlarge/],
  [{ capture: `s3://b-b/${"k".repeat(600)}` }, /--capture .*at most 512 characters/],
  [{ capture: "s3://b-b/with space" }, /--capture "s3:\/\/b-b\/with space"/],
];

Deno.test("models: option sets that break AWS's rules are refused before any call, naming the option", async () => {
  const m = makeMocks();
  m.reset();
  for (const [options, named] of INVALID) {
    const run = async () =>
      await deploy(
        m.clients,
        new AwsCaller("live", () => {}),
        deploySpecFromOptions({ image: IMAGE, role: ROLE, ...options }),
      );
    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof InvalidOptions, `${JSON.stringify(options)}: ${err}`);
      assert.match(err.message, named, JSON.stringify(options));
      return true;
    });
  }
  const badWeights: [string, RegExp][] = [
    ["primary=", /"primary=": the weight is missing/],
    ["primary=1e400", /--weights primary "Infinity"/],
    ["primary=1e300", /--weights primary "1e\+300": .*32-bit/],
    ["primary=1e-300", /at least one weight must be above 0/],
    ["primary=-1", /--weights primary "-1"/],
    ["primary=x", /--weights primary "NaN"/],
    ["a_b=1", /--weights variant "a_b"/],
    ["primary", /expected VARIANT=WEIGHT/],
    ["primary=0,candidate=0", /at least one weight must be above 0/],
    ["primary=1,primary=0", /given twice/],
    [`${"v".repeat(64)}=1`, /--weights variant/],
    [Array.from({ length: 11 }, (_, i) => `v${i}=1`).join(","), /11 variants; .* at most 10/],
  ];
  for (const [text, named] of badWeights) {
    assert.match(parseWeights(text).problems.join("\n"), named, text);
  }
  // Names an empty object inherits are still valid variant names, given once.
  for (const name of ["constructor", "toString", "hasOwnProperty"]) {
    assert.deepEqual(parseWeights(`${name}=1`).problems, [], name);
  }
  await assert.rejects(
    shiftTraffic(m.clients, new AwsCaller("live", () => {}), "titanic-", { primary: 1 }),
    /--endpoint "titanic-"/,
  );
  const badTransforms: [OptionValues, RegExp][] = [
    [{ model: "m_1" }, /--model "m_1"/],
    [{ model: "m", "endpoint-config": "c" }, /exactly one of --model and --endpoint-config/],
    [{ model: "m", input: "s3://" }, /--input "s3:\/\/"/],
    [{ model: "m", output: "https://x" }, /--output "https:\/\/x"/],
    [{ model: "m", "content-type": "application/json" }, /--content-type "application\/json"/],
    [
      { model: "m", "instance-type": "ml.t2.medium" },
      /--instance-type "ml.t2.medium": not a SageMaker Batch Transform/,
    ],
    [{ model: "m", "max-payload-mb": "0" }, /--max-payload-mb 0/],
    [{ model: "m", "max-payload-mb": "101" }, /--max-payload-mb 101/],
    [{ model: "m", concurrency: "0" }, /--concurrency 0/],
    [{ model: "m", count: "0" }, /--count 0/],
    [{ model: "m", variant: "primary" }, /--variant picks a variant of --endpoint-config/],
    [{ model: "m", count: "2147483648" }, /--count 2147483648: .*at most 2147483647/],
    [{ model: "m", count: "1e300" }, /--count 1e\+300/],
    [{ model: "m", "max-payload-mb": "100", concurrency: "2" }, /= 200 MB: AWS takes at most 100/],
    [{ model: "m", "max-payload-mb": "6", concurrency: "17" }, /--concurrency 17 x/],
    [{ model: "m", input: `s3://b-b/${"k".repeat(1020)}` }, /--input .*at most 1024/],
    [{ model: "m", "job-name": "j".repeat(64) }, /--job-name/],
  ];
  for (const [options, named] of badTransforms) {
    await assert.rejects(
      runTransform(
        m.clients,
        new AwsCaller("live", () => {}),
        transformSpecFromOptions({ input: "s3://b-b/i", output: "s3://b-b/o", ...options }),
      ),
      named,
    );
  }
  assert.equal(m.sent().length, 0, "no call was made");
  console.log(
    `${
      INVALID.length + badWeights.length + badTransforms.length
    } invalid option sets refused before any call`,
  );
});

Deno.test("models: the tally", () => {
  // Runs after the tables above (tests in a file run in order).
  const kinds = new Set(
    tally.violations.map((v) => `${v.operation} ${v.path.replace(/\[\d+\]/g, "[]")} ${v.rule}`),
  );
  console.log(
    `${tally.optionSets} option sets, ${tally.calls} calls checked against the service models: ` +
      `${tally.violations.length} invalid inputs of ${kinds.size} kinds`,
  );
  assert.deepEqual(tally.violations.slice(0, 20).map((v) => `${v.operation} ${v.message}`), []);
  assert.ok(tally.calls > 5000);
});
