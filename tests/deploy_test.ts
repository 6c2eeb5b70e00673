/**
 * Deploy commands against the SDK's own mocks: the exact calls and inputs of every path
 * (create, unchanged, roll, roll with autoscaling, failures, plan, dry runs, teardown by tags
 * next to a sibling, shift-traffic, push-image, Batch Transform), each call also checked
 * against AWS's service models (tests/aws_models.ts).
 */

import assert from "node:assert/strict";
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from "@aws-sdk/client-application-auto-scaling";
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
} from "@aws-sdk/client-ecr";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTransformJobCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTransformJobCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from "@aws-sdk/client-sagemaker";
import { mockClient } from "aws-sdk-client-mock";
import { AwsCaller, explainAwsError, InvalidOptions, makeClients } from "../src/deploy/aws.ts";
import { preparePush } from "../src/deploy/ecr.ts";
import {
  deploy,
  type DeploySpec,
  deployWorlds,
  hashedName,
  planDeploy,
  planTeardown,
  resourceNames,
  runTransform,
  shiftTraffic,
  teardown,
  teardownWorld,
  type TransformSpec,
  validateSpec,
} from "../src/deploy/sagemaker.ts";
import {
  EXAMPLE_DEPLOY,
  EXAMPLE_IMAGE,
  EXAMPLE_ROLE,
  EXAMPLE_TRANSFORM,
} from "./deploy_fixtures.ts";
import { assertValidCalls, callsOfMock, validateCalls } from "./aws_models.ts";

const notFound = (what: string) =>
  Object.assign(new Error(`Could not find ${what}`), { name: "ValidationException" });
const ROLE = EXAMPLE_ROLE;
const IMAGE = EXAMPLE_IMAGE;
const ARN = "arn:aws:sagemaker:us-east-1:123456789012";
const SPEC: DeploySpec = EXAMPLE_DEPLOY;
const TAGS = (endpoint = "titanic") => [
  { Key: "project", Value: "titanic-deno" },
  { Key: "endpoint", Value: endpoint },
];
const TARGET = (variant = "primary", endpoint = "titanic") => ({
  ServiceNamespace: "sagemaker",
  ResourceId: `endpoint/${endpoint}/variant/${variant}`,
  ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
});

function setup() {
  const clients = makeClients("us-east-1");
  const sm = mockClient(clients.sagemaker);
  const scaling = mockClient(clients.autoscaling);
  const ecr = mockClient(clients.ecr);
  const lines: string[] = [];
  const caller = new AwsCaller("live", (l) => lines.push(l));
  /** What reached the (mocked) SDK, every input checked against AWS's service models. */
  const sent = () => {
    const calls = [
      ...callsOfMock(sm, clients.sagemaker),
      ...callsOfMock(scaling, clients.autoscaling),
      ...callsOfMock(ecr, clients.ecr),
    ];
    assertValidCalls(calls);
    return calls;
  };
  /** The calls in the order made, as "Operation input". */
  const path = () => caller.calls.map((c) => c.operation);
  return { clients, sm, scaling, ecr, caller, lines, sent, path };
}

/** Autoscaling registered on titanic's primary variant: 1..2 instances, the given target. */
function scaledOnPrimary(scaling: ReturnType<typeof setup>["scaling"], TargetValue: number) {
  scaling.on(DescribeScalableTargetsCommand).resolves({
    ScalableTargets: [{ ...TARGET(), MinCapacity: 1, MaxCapacity: 2 }] as never,
  });
  scaling.on(DescribeScalingPoliciesCommand).resolves({
    ScalingPolicies: [{
      PolicyName: "titanic-primary-invocations",
      TargetTrackingScalingPolicyConfiguration: { TargetValue },
    }] as never,
  });
}

/** The path of a roll of an autoscaled endpoint to a new model and config, `wait` its polls. */
const updateWithScaling = (wait: string[]) => [
  "DescribeModel",
  "CreateModel",
  "DescribeEndpointConfig",
  "CreateEndpointConfig",
  "DescribeEndpoint",
  "DescribeScalableTargets",
  "DescribeScalingPolicies",
  "DeleteScalingPolicy",
  "DeregisterScalableTarget",
  "UpdateEndpoint",
  ...wait,
  "RegisterScalableTarget",
  "PutScalingPolicy",
];

const inputsOf = <T extends { args: [{ input: unknown }] }>(calls: T[]) =>
  calls.map((c) => c.args[0].input);

Deno.test("deploy: a new endpoint is created with tagged resources and awaited until InService", async () => {
  const { clients, sm, caller, lines, sent, path } = setup();
  sm.on(DescribeModelCommand).rejects(notFound("model"));
  sm.on(DescribeEndpointConfigCommand).rejects(notFound("endpoint config"));
  sm.on(DescribeEndpointCommand)
    .rejectsOnce(notFound("endpoint"))
    .resolvesOnce({ EndpointStatus: "Creating" })
    .resolvesOnce({ EndpointStatus: "Creating" })
    .resolves({ EndpointStatus: "InService" });
  sm.on(CreateModelCommand).resolves({ ModelArn: "arn:model" });
  const spec = {
    ...SPEC,
    variants: [{ ...SPEC.variants[0], modelData: "s3://bucket/model.tar.gz" }],
  };
  const result = await deploy(clients, caller, spec, { pollSeconds: 0 });
  const { models, config } = resourceNames(spec);
  assert.deepEqual(result, {
    endpoint: "titanic",
    config,
    models,
    action: "created",
    scaling: "none",
  });
  assert.deepEqual(path(), [
    "DescribeModel",
    "CreateModel",
    "DescribeEndpointConfig",
    "CreateEndpointConfig",
    "DescribeEndpoint",
    "CreateEndpoint",
    "DescribeEndpoint",
    "DescribeEndpoint",
    "DescribeEndpoint",
  ]);
  assert.deepEqual(inputsOf(sm.commandCalls(CreateModelCommand)), [{
    ModelName: models[0],
    ExecutionRoleArn: ROLE,
    PrimaryContainer: {
      Image: IMAGE,
      ModelDataUrl: "s3://bucket/model.tar.gz",
      Environment: {
        SAGEMAKER_MAX_PAYLOAD_IN_MB: "6",
        ENDPOINT_NAME: "titanic",
        VARIANT_NAME: "primary",
      },
    },
    Tags: TAGS(),
  }]);
  assert.deepEqual(inputsOf(sm.commandCalls(CreateEndpointConfigCommand)), [{
    EndpointConfigName: config,
    ProductionVariants: [{
      VariantName: "primary",
      ModelName: models[0],
      InitialVariantWeight: 1,
      InstanceType: "ml.t2.medium",
      InitialInstanceCount: 1,
      ContainerStartupHealthCheckTimeoutInSeconds: 120,
    }],
    Tags: TAGS(),
  }]);
  assert.deepEqual(inputsOf(sm.commandCalls(CreateEndpointCommand)), [{
    EndpointName: "titanic",
    EndpointConfigName: config,
    Tags: TAGS(),
  }]);
  assert.ok(lines.some((l) => /endpoint titanic: Creating/.test(l)));
  assert.ok(lines.some((l) => /endpoint titanic: InService/.test(l)));
  assert.equal(sent().length, 9);
});

Deno.test("deploy: the same deploy changes nothing; any changed setting rolls the endpoint", async () => {
  const { clients, sm, caller, path, sent } = setup();
  const { config, models } = resourceNames(SPEC);
  sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { Image: IMAGE } });
  sm.on(DescribeEndpointConfigCommand).resolves({});
  sm.on(DescribeEndpointCommand).resolves({
    EndpointStatus: "InService",
    EndpointConfigName: config,
  });
  const again = await deploy(clients, caller, SPEC, { pollSeconds: 0 });
  assert.equal(again.action, "unchanged");
  // Reads only, the last one checking that no autoscaling was left registered.
  assert.deepEqual(path(), [
    "DescribeModel",
    "DescribeEndpointConfig",
    "DescribeEndpoint",
    "DescribeScalableTargets",
  ]);

  for (
    const changed of [
      { ...SPEC, instanceCount: 2 },
      { ...SPEC, instanceType: "ml.m5.large" },
      { ...SPEC, role: "arn:aws:iam::123456789012:role/other" },
      { ...SPEC, variants: [{ ...SPEC.variants[0], image: `${IMAGE}1` }] },
      { ...SPEC, variants: [{ ...SPEC.variants[0], modelData: "s3://bucket/m.tar.gz" }] },
      { ...SPEC, serverless: { memoryMb: 2048, maxConcurrency: 5 } },
    ]
  ) {
    sm.reset();
    const names = resourceNames(changed);
    sm.on(DescribeModelCommand).callsFake((input) =>
      input.ModelName === models[0]
        ? { PrimaryContainer: { Image: IMAGE } }
        : Promise.reject(notFound("model"))
    );
    sm.on(DescribeEndpointConfigCommand).rejects(notFound("endpoint config"));
    sm.on(DescribeEndpointCommand).resolves({
      EndpointStatus: "InService",
      EndpointConfigName: config,
    });
    const updated = await deploy(clients, caller, changed, { pollSeconds: 0 });
    assert.equal(updated.action, "updated", JSON.stringify(changed));
    assert.notEqual(updated.config, config);
    assert.deepEqual(inputsOf(sm.commandCalls(UpdateEndpointCommand)), [{
      EndpointName: "titanic",
      EndpointConfigName: names.config,
    }]);
    const modelChanged = names.models[0] !== models[0];
    assert.equal(sm.commandCalls(CreateModelCommand).length, modelChanged ? 1 : 0);
    sent();
  }
});

Deno.test("deploy: an autoscaled endpoint is deregistered, updated, awaited, registered again", async () => {
  const { clients, sm, scaling, caller, path, sent } = setup();
  const spec = {
    ...SPEC,
    instanceType: "ml.m5.large",
    autoscaling: { min: 1, max: 4, invocationsPerInstance: 500 },
  };
  const { config, models } = resourceNames(spec);
  sm.on(DescribeModelCommand).rejects(notFound("model"));
  sm.on(DescribeEndpointConfigCommand).rejects(notFound("endpoint config"));
  sm.on(DescribeEndpointCommand)
    .resolvesOnce({
      EndpointStatus: "InService",
      EndpointConfigName: "titanic-0123abcd",
      ProductionVariants: [{ VariantName: "primary" }],
    })
    .resolvesOnce({ EndpointStatus: "Updating" })
    .resolves({ EndpointStatus: "InService" });
  scaledOnPrimary(scaling, 1000);
  const result = await deploy(clients, caller, spec, { pollSeconds: 0 });
  assert.deepEqual(result, {
    endpoint: "titanic",
    config,
    models,
    action: "updated",
    scaling: "re-registered",
  });
  assert.deepEqual(path(), updateWithScaling(["DescribeEndpoint", "DescribeEndpoint"]));
  assert.deepEqual(inputsOf(scaling.commandCalls(DescribeScalableTargetsCommand)), [{
    ServiceNamespace: "sagemaker",
    ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
    ResourceIds: ["endpoint/titanic/variant/primary"],
  }]);
  assert.deepEqual(inputsOf(scaling.commandCalls(DescribeScalingPoliciesCommand)), [TARGET()]);
  assert.deepEqual(inputsOf(scaling.commandCalls(DeleteScalingPolicyCommand)), [{
    ...TARGET(),
    PolicyName: "titanic-primary-invocations",
  }]);
  assert.deepEqual(inputsOf(scaling.commandCalls(DeregisterScalableTargetCommand)), [TARGET()]);
  assert.deepEqual(inputsOf(sm.commandCalls(UpdateEndpointCommand)), [{
    EndpointName: "titanic",
    EndpointConfigName: config,
  }]);
  assert.deepEqual(inputsOf(scaling.commandCalls(RegisterScalableTargetCommand)), [{
    ...TARGET(),
    MinCapacity: 1,
    MaxCapacity: 4,
  }]);
  assert.deepEqual(inputsOf(scaling.commandCalls(PutScalingPolicyCommand)), [{
    ...TARGET(),
    PolicyName: "titanic-primary-invocations",
    PolicyType: "TargetTrackingScaling",
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: 500,
      PredefinedMetricSpecification: {
        PredefinedMetricType: "SageMakerVariantInvocationsPerInstance",
      },
      ScaleInCooldown: 300,
      ScaleOutCooldown: 60,
    },
  }]);
  sent();
});

Deno.test("deploy: autoscaling alone changes are applied without rolling; removal deregisters", async () => {
  const { clients, sm, scaling, caller, sent } = setup();
  const spec = {
    ...SPEC,
    instanceType: "ml.m5.large",
    autoscaling: { min: 1, max: 3, invocationsPerInstance: 200 },
  };
  const { config } = resourceNames(spec);
  sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { Image: IMAGE } });
  sm.on(DescribeEndpointConfigCommand).resolves({});
  sm.on(DescribeEndpointCommand).resolves({
    EndpointStatus: "InService",
    EndpointConfigName: config,
  });
  scaledOnPrimary(scaling, 200);
  const more = await deploy(clients, caller, spec, { pollSeconds: 0 });
  assert.deepEqual([more.action, more.scaling], ["unchanged", "registered"]);
  assert.deepEqual(inputsOf(scaling.commandCalls(RegisterScalableTargetCommand)), [{
    ...TARGET(),
    MinCapacity: 1,
    MaxCapacity: 3,
  }]);
  assert.equal(sm.commandCalls(UpdateEndpointCommand).length, 0);

  scaling.resetHistory();
  const same = await deploy(clients, caller, {
    ...spec,
    autoscaling: { min: 1, max: 2, invocationsPerInstance: 200 },
  });
  assert.deepEqual([same.action, same.scaling], ["unchanged", "unchanged"]);
  assert.equal(scaling.commandCalls(RegisterScalableTargetCommand).length, 0);

  scaling.resetHistory();
  const none = await deploy(clients, caller, { ...SPEC, instanceType: "ml.m5.large" });
  assert.deepEqual([none.action, none.scaling], ["unchanged", "removed"]);
  assert.deepEqual(inputsOf(scaling.commandCalls(DeregisterScalableTargetCommand)), [TARGET()]);
  sent();
});

Deno.test("deploy: failures are explained, never passed over", async (t) => {
  await t.step("Creating -> Failed surfaces the failure reason", async () => {
    const { clients, sm, caller } = setup();
    sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { Image: IMAGE } });
    sm.on(DescribeEndpointConfigCommand).resolves({});
    sm.on(DescribeEndpointCommand)
      .rejectsOnce(notFound("endpoint"))
      .resolvesOnce({ EndpointStatus: "Creating" })
      .resolves({
        EndpointStatus: "Failed",
        FailureReason: "The primary container did not pass the ping health check.",
      });
    await assert.rejects(
      deploy(clients, caller, SPEC, { pollSeconds: 0 }),
      /endpoint titanic is Failed: The primary container did not pass the ping health check/,
    );
  });
  await t.step("a Failed endpoint is not reported unchanged", async () => {
    const { clients, sm, caller } = setup();
    sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { Image: IMAGE } });
    sm.on(DescribeEndpointConfigCommand).resolves({});
    sm.on(DescribeEndpointCommand).resolves({
      EndpointStatus: "Failed",
      EndpointConfigName: resourceNames(SPEC).config,
      FailureReason: "image not found",
    });
    await assert.rejects(deploy(clients, caller, SPEC), /is Failed \(image not found\).*teardown/);
  });
  await t.step("a model under our name with another image is refused", async () => {
    const { clients, sm, caller } = setup();
    sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { Image: "someone/else:1" } });
    await assert.rejects(deploy(clients, caller, SPEC), /exists with image someone\/else:1/);
    assert.equal(sm.commandCalls(CreateEndpointConfigCommand).length, 0);
  });
  await t.step("an endpoint still Updating is awaited before it is changed", async () => {
    const { clients, sm, caller, path } = setup();
    sm.on(DescribeModelCommand).resolves({ PrimaryContainer: { Image: IMAGE } });
    sm.on(DescribeEndpointConfigCommand).resolves({});
    sm.on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointStatus: "Updating", EndpointConfigName: "titanic-0" })
      .resolvesOnce({ EndpointStatus: "InService", EndpointConfigName: "titanic-0" })
      .resolves({ EndpointStatus: "InService", EndpointConfigName: "titanic-0" });
    await deploy(clients, caller, { ...SPEC, serverless: { memoryMb: 1024, maxConcurrency: 1 } }, {
      pollSeconds: 0,
    });
    assert.deepEqual(path().slice(2), [
      "DescribeEndpoint",
      "DescribeEndpoint",
      "DescribeEndpoint",
      "DescribeScalableTargets",
      "UpdateEndpoint",
      "DescribeEndpoint",
    ]);
  });
});

Deno.test("deploy: A/B variants with weights, autoscaling on each; serverless", async () => {
  const { clients, sm, scaling, caller, sent } = setup();
  sm.on(DescribeModelCommand).rejects(notFound("model"));
  sm.on(DescribeEndpointConfigCommand).rejects(notFound("config"));
  sm.on(DescribeEndpointCommand).rejectsOnce(notFound("endpoint")).resolves({
    EndpointStatus: "InService",
  });
  const spec: DeploySpec = {
    ...SPEC,
    variants: [
      { ...SPEC.variants[0], weight: 0.9 },
      {
        name: "candidate",
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:2",
        weight: 0.1,
      },
    ],
    instanceType: "ml.m5.large",
    autoscaling: { min: 1, max: 4, invocationsPerInstance: 500 },
  };
  await deploy(clients, caller, spec, { pollSeconds: 0 });
  const variants = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input
    .ProductionVariants!;
  assert.deepEqual(variants.map((v) => [v.VariantName, v.InitialVariantWeight]), [
    ["primary", 0.9],
    ["candidate", 0.1],
  ]);
  assert.equal(sm.commandCalls(CreateModelCommand).length, 2);
  assert.deepEqual(
    inputsOf(scaling.commandCalls(RegisterScalableTargetCommand)),
    ["primary", "candidate"].map((v) => ({ ...TARGET(v), MinCapacity: 1, MaxCapacity: 4 })),
  );

  sm.reset();
  sm.on(DescribeModelCommand).rejects(notFound("model"));
  sm.on(DescribeEndpointConfigCommand).rejects(notFound("config"));
  sm.on(DescribeEndpointCommand).rejectsOnce(notFound("endpoint")).resolves({
    EndpointStatus: "InService",
  });
  await deploy(clients, caller, { ...SPEC, serverless: { memoryMb: 2048, maxConcurrency: 5 } }, {
    pollSeconds: 0,
  });
  const serverless =
    sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input.ProductionVariants![0];
  assert.deepEqual(serverless.ServerlessConfig, { MemorySizeInMB: 2048, MaxConcurrency: 5 });
  assert.equal(serverless.InstanceType, undefined);
  sent();
});

Deno.test("names: long endpoint names keep the hash, never end in '-', stay within 63", () => {
  for (let length = 1; length <= 63; length++) {
    const endpoint = "e".repeat(Math.max(1, length - 1)).slice(0, length - 1) + "x";
    for (const e of [endpoint, `${endpoint.slice(0, -2)}-x`.slice(-length)]) {
      if (!/^[a-z](-?[a-z])*$/.test(e)) continue;
      const a = resourceNames({ ...SPEC, endpoint: e });
      const b = resourceNames({
        ...SPEC,
        endpoint: e,
        variants: [{ ...SPEC.variants[0], image: `${IMAGE}9` }],
      });
      for (const name of [...a.models, a.config]) {
        assert.ok(name.length <= 63 && /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/.test(name), name);
        assert.match(name, /-[0-9a-f]{8}$/);
      }
      assert.notEqual(a.models[0], b.models[0], `the image changes the model name at ${e.length}`);
      assert.notEqual(a.config, b.config);
    }
  }
  assert.equal(
    hashedName("a".repeat(54) + "-" + "b".repeat(8), "0123abcd"),
    "a".repeat(54) + "-0123abcd",
  );
  assert.equal(hashedName("a".repeat(53) + "--b", "0123abcd"), "a".repeat(53) + "-0123abcd");
});

Deno.test("validation: bad specs are refused before any call, naming the option and rule", async () => {
  const problems = (spec: Partial<DeploySpec>) => validateSpec({ ...SPEC, ...spec }).join("\n");
  assert.match(problems({ role: "sagemaker" }), /--role "sagemaker": must be an IAM role ARN/);
  assert.match(problems({ endpoint: "bad name" }), /--endpoint "bad name": must be 1-63 letters/);
  assert.match(problems({ endpoint: "titanic-" }), /--endpoint "titanic-"/);
  assert.match(problems({ endpoint: "a".repeat(64) }), /64 characters given/);
  assert.match(problems({ instanceCount: 0 }), /--count 0: must be an integer >= 1/);
  assert.match(
    problems({ instanceType: "m5.large" }),
    /--instance-type "m5.large": not a SageMaker/,
  );
  assert.match(
    problems({ serverless: { memoryMb: 1536, maxConcurrency: 201 } }),
    /MemorySizeInMB must be 1024, 2048[\s\S]*max concurrency 201/,
  );
  assert.match(
    problems({
      serverless: { memoryMb: 1024, maxConcurrency: 1 },
      autoscaling: { min: 1, max: 2, invocationsPerInstance: 1 },
    }),
    /not --serverless/,
  );
  assert.match(
    problems({ autoscaling: { min: 1.5, max: 2, invocationsPerInstance: 0 } }),
    /--autoscale MIN 1.5[\s\S]*TargetValue/,
  );
  assert.match(
    problems({ variants: [{ ...SPEC.variants[0], modelData: "s3://" }] }),
    /--model-data "s3:\/\/": must be s3:\/\/BUCKET\/KEY/,
  );
  assert.match(
    problems({ variants: [{ ...SPEC.variants[0], image: "" }] }),
    /--image "": must be an image URI/,
  );
  const { clients, sm, caller } = setup();
  await assert.rejects(deploy(clients, caller, { ...SPEC, instanceCount: -1 }), InvalidOptions);
  await assert.rejects(
    shiftTraffic(clients, caller, "titanic", { primary: Infinity }),
    /finite number/,
  );
  await assert.rejects(
    shiftTraffic(clients, caller, "titanic", { a_b: 1 }),
    /--weights variant "a_b"/,
  );
  assert.equal(sm.calls().length, 0);
});

Deno.test("plan: only Describe calls, and a diff of what would change", async () => {
  const { clients, sm, scaling, sent } = setup();
  const live = resourceNames(SPEC);
  sm.on(DescribeEndpointCommand).resolves({
    EndpointConfigName: live.config,
    EndpointStatus: "InService",
  });
  sm.on(DescribeEndpointConfigCommand).resolves({
    ProductionVariants: [{
      VariantName: "primary",
      ModelName: live.models[0],
      InitialVariantWeight: 1,
      InstanceType: "ml.t2.medium",
      InitialInstanceCount: 1,
    }],
  });
  sm.on(DescribeModelCommand).resolves({
    ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: IMAGE },
  });
  scaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
  const caller = new AwsCaller("plan", () => {});
  const spec = {
    ...SPEC,
    instanceType: "ml.m5.large",
    autoscaling: { min: 1, max: 2, invocationsPerInstance: 100 },
  };
  const plan = await planDeploy(clients, caller, spec);
  const next = resourceNames(spec);
  assert.equal(plan.action, "update");
  assert.deepEqual(plan.diff, [
    `~ endpoint config: ${live.config} -> ${next.config}`,
    "~ variant primary instance type: ml.t2.medium -> ml.m5.large",
    "+ autoscaling primary min: 1",
    "+ autoscaling primary max: 2",
    "+ autoscaling primary target: 100",
  ]);
  assert.ok(sent().every((c) => /^(Describe|List)/.test(c.operation)));
  assert.equal((await planDeploy(clients, caller, SPEC)).action, "none");
  sm.on(DescribeEndpointCommand).rejects(notFound("endpoint"));
  assert.equal((await planDeploy(clients, caller, SPEC)).action, "create");
  await assert.rejects(
    caller.send(clients.sagemaker, new DeleteEndpointCommand({ EndpointName: "titanic" })),
    /plan: SageMaker.DeleteEndpoint changes something and was not made/,
  );
});

Deno.test("dry run: both paths, create and update of an autoscaled endpoint, printed and not sent", async () => {
  const { clients, sm, scaling } = setup();
  const spec = {
    ...SPEC,
    instanceType: "ml.m5.large",
    autoscaling: { min: 1, max: 2, invocationsPerInstance: 100 },
  };
  const [create, update] = deployWorlds(spec).map((world) => {
    const lines: string[] = [];
    return { world, lines, caller: new AwsCaller("dry-run", (l) => lines.push(l), world.simulate) };
  });
  await deploy(clients, create.caller, spec);
  await deploy(clients, update.caller, spec);
  assert.equal(sm.calls().length + scaling.calls().length, 0, "nothing is sent");
  assert.deepEqual(create.caller.calls.map((c) => c.operation), [
    "DescribeModel",
    "CreateModel",
    "DescribeEndpointConfig",
    "CreateEndpointConfig",
    "DescribeEndpoint",
    "CreateEndpoint",
    "RegisterScalableTarget",
    "PutScalingPolicy",
  ]);
  assert.deepEqual(update.caller.calls.map((c) => c.operation), updateWithScaling([]));
  assert.ok(
    create.lines.some((l) => /^\[dry-run\] then wait until endpoint titanic is InService/.test(l)),
  );
  assert.ok(create.lines.every((l) => l.startsWith("[dry-run] ") || /exists|already/.test(l)));
  assertValidCalls([...create.caller.calls, ...update.caller.calls]);
});

/** An account with titanic (ours, with an older config and model), titanic-v2 (a sibling) and
 * "shared" (someone's endpoint that uses titanic's old config). */
function account(sm: ReturnType<typeof setup>["sm"]) {
  const arn = (kind: string, name: string) => `${ARN}:${kind}/${name}`;
  const tags: Record<string, { Key: string; Value: string }[]> = {};
  const own = (kind: string, name: string, owner: string) => {
    tags[arn(kind, name)] = TAGS(owner);
    return arn(kind, name);
  };
  const configs = [
    ["titanic-aaaaaaaa", "titanic"],
    ["titanic-bbbbbbbb", "titanic"],
    ["titanic-cccccccc", "titanic"],
    ["titanic-v2-aaaaaaaa", "titanic-v2"],
  ].map(([name, owner]) => ({
    EndpointConfigName: name,
    EndpointConfigArn: own("endpoint-config", name, owner),
  }));
  const models = [
    ["titanic-primary-11111111", "titanic"],
    ["titanic-primary-22222222", "titanic"],
    ["titanic-primary-33333333", "titanic"],
    ["titanic-v2-primary-11111111", "titanic-v2"],
  ].map(([name, owner]) => ({ ModelName: name, ModelArn: own("model", name, owner) }));
  const endpoints: Record<string, { config: string; model: string }> = {
    "titanic": { config: "titanic-aaaaaaaa", model: "titanic-primary-11111111" },
    "titanic-v2": { config: "titanic-v2-aaaaaaaa", model: "titanic-v2-primary-11111111" },
    "shared": { config: "titanic-cccccccc", model: "titanic-primary-33333333" },
  };
  own("endpoint", "titanic", "titanic");
  own("endpoint", "titanic-v2", "titanic-v2");
  sm.on(DescribeEndpointCommand).callsFake((input) => ({
    EndpointName: input.EndpointName,
    EndpointArn: arn("endpoint", input.EndpointName),
    EndpointConfigName: endpoints[input.EndpointName].config,
    EndpointStatus: "InService",
  }));
  sm.on(DescribeEndpointConfigCommand).callsFake((input) => {
    const [, e] = Object.entries(endpoints).find(([, e]) => e.config === input.EndpointConfigName)!;
    return {
      ProductionVariants: [{
        VariantName: "primary",
        ModelName: e.model,
        InstanceType: "ml.t2.medium",
      }],
    };
  });
  // Two pages each, to follow NextToken.
  sm.on(ListEndpointConfigsCommand).callsFake((input) =>
    input.NextToken
      ? { EndpointConfigs: configs.slice(2) }
      : { EndpointConfigs: configs.slice(0, 2), NextToken: "p2" }
  );
  sm.on(ListModelsCommand).callsFake((input) =>
    input.NextToken ? { Models: models.slice(2) } : { Models: models.slice(0, 2), NextToken: "p2" }
  );
  sm.on(ListEndpointsCommand).resolves({
    Endpoints: Object.keys(endpoints).map((EndpointName) => ({ EndpointName })) as never,
  });
  sm.on(ListTagsCommand).callsFake((input) => ({ Tags: tags[input.ResourceArn] ?? [] }));
}

Deno.test("teardown: by tags, next to a sibling and a config another endpoint uses", async () => {
  const { clients, sm, scaling, caller, sent } = setup();
  account(sm);
  scaling.on(DescribeScalableTargetsCommand).resolves({
    ScalableTargets: [{ ...TARGET(), MinCapacity: 1, MaxCapacity: 2 }] as never,
  });
  scaling.on(DescribeScalingPoliciesCommand).resolves({
    ScalingPolicies: [{ PolicyName: "titanic-primary-invocations" }] as never,
  });
  scaling.on(DeleteScalingPolicyCommand).rejects(
    Object.assign(new Error("No scaling policy"), { name: "ObjectNotFoundException" }),
  );
  const plan = await planTeardown(clients, new AwsCaller("plan", () => {}), "titanic");
  assert.deepEqual(plan, {
    endpoint: "titanic",
    configs: ["titanic-aaaaaaaa", "titanic-bbbbbbbb"],
    models: ["titanic-primary-11111111", "titanic-primary-22222222"],
    scaling: [{
      resourceId: "endpoint/titanic/variant/primary",
      min: 1,
      max: 2,
      policies: [{ name: "titanic-primary-invocations", targetValue: undefined }],
    }],
    kept: [
      { name: "titanic-cccccccc", reason: "endpoint shared uses it" },
      { name: "titanic-primary-33333333", reason: "endpoint shared uses it" },
    ],
  });
  assert.deepEqual(inputsOf(sm.commandCalls(ListEndpointConfigsCommand)), [{ MaxResults: 100 }, {
    MaxResults: 100,
    NextToken: "p2",
  }]);
  await teardown(clients, caller, plan);
  assert.deepEqual(caller.calls.map((c) => `${c.operation} ${JSON.stringify(c.input)}`), [
    `DeleteScalingPolicy ${
      JSON.stringify({ ...TARGET(), PolicyName: "titanic-primary-invocations" })
    }`,
    `DeregisterScalableTarget ${JSON.stringify(TARGET())}`,
    `DeleteEndpoint {"EndpointName":"titanic"}`,
    `DeleteEndpointConfig {"EndpointConfigName":"titanic-aaaaaaaa"}`,
    `DeleteEndpointConfig {"EndpointConfigName":"titanic-bbbbbbbb"}`,
    `DeleteModel {"ModelName":"titanic-primary-11111111"}`,
    `DeleteModel {"ModelName":"titanic-primary-22222222"}`,
  ]);
  sent();

  // The sibling's teardown touches nothing of titanic's.
  const sibling = await planTeardown(clients, new AwsCaller("plan", () => {}), "titanic-v2");
  assert.deepEqual([sibling.endpoint, sibling.configs, sibling.models], ["titanic-v2", [
    "titanic-v2-aaaaaaaa",
  ], ["titanic-v2-primary-11111111"]]);
  // Someone else's endpoint is not ours to delete, nor what it uses.
  const shared = await planTeardown(clients, new AwsCaller("plan", () => {}), "shared");
  assert.deepEqual([shared.endpoint, shared.configs, shared.models], [undefined, [], []]);
  assert.deepEqual(shared.kept, [{
    name: "shared",
    reason: "the endpoint is not tagged as this project's",
  }]);
});

Deno.test("teardown: the dry run walks an example account and deletes only the endpoint's own", async () => {
  const { clients, sm } = setup();
  const world = teardownWorld("titanic");
  const caller = new AwsCaller("dry-run", () => {}, world.simulate);
  const plan = await planTeardown(clients, caller, "titanic");
  await teardown(clients, caller, plan);
  assert.equal(sm.calls().length, 0);
  const deletes = caller.calls.filter((c) => /^(Delete|Deregister)/.test(c.operation));
  assert.deepEqual(deletes.map((c) => c.operation), [
    "DeleteScalingPolicy",
    "DeregisterScalableTarget",
    "DeleteEndpoint",
    "DeleteEndpointConfig",
    "DeleteEndpointConfig",
    "DeleteModel",
    "DeleteModel",
  ]);
  assert.ok(deletes.every((c) => !JSON.stringify(c.input).includes("titanic-v2")));
  assertValidCalls(caller.calls);
});

Deno.test("shift traffic: the exact weights, then a wait until InService", async () => {
  const { clients, sm, caller, sent } = setup();
  sm.on(DescribeEndpointCommand).resolvesOnce({ EndpointStatus: "Updating" }).resolves({
    EndpointStatus: "InService",
  });
  await shiftTraffic(clients, caller, "titanic", { primary: 0.5, candidate: 0.5 }, {
    pollSeconds: 0,
  });
  assert.deepEqual(inputsOf(sm.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)), [{
    EndpointName: "titanic",
    DesiredWeightsAndCapacities: [
      { VariantName: "primary", DesiredWeight: 0.5 },
      { VariantName: "candidate", DesiredWeight: 0.5 },
    ],
  }]);
  sent();
});

Deno.test("push-image: creates a missing repository and builds login, tag and push", async () => {
  const { clients, ecr, caller, sent } = setup();
  ecr.on(DescribeRepositoriesCommand).rejects(
    Object.assign(new Error("repo not found"), { name: "RepositoryNotFoundException" }),
  );
  ecr.on(CreateRepositoryCommand).resolves({
    repository: { repositoryUri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic" },
  });
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [{ authorizationToken: btoa("AWS:s3cret") }],
  });
  const plan = await preparePush(clients, caller, {
    repository: "titanic",
    tag: "v1",
    localImage: "titanic",
    tool: "podman",
  });
  assert.deepEqual(inputsOf(ecr.commandCalls(CreateRepositoryCommand)), [{
    repositoryName: "titanic",
    imageScanningConfiguration: { scanOnPush: true },
    imageTagMutability: "MUTABLE",
  }]);
  assert.equal(plan.password, "s3cret");
  assert.equal(plan.imageUri, "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:v1");
  assert.deepEqual(plan.commands, [
    [
      "podman",
      "login",
      "--username",
      "AWS",
      "--password-stdin",
      "123456789012.dkr.ecr.us-east-1.amazonaws.com",
    ],
    ["podman", "tag", "titanic", plan.imageUri],
    ["podman", "push", plan.imageUri],
  ]);
  sent();
  for (const repository of ["Titanic", "t", "a//b", "-x"]) {
    await assert.rejects(
      preparePush(clients, caller, {
        repository,
        tag: "v1",
        localImage: "titanic",
        tool: "docker",
      }),
      new RegExp(`--repository "${repository.replace(/[/]/g, "\\/")}": ECR repository names`),
    );
  }
  await assert.rejects(
    preparePush(clients, caller, {
      repository: "titanic",
      tag: ".v1",
      localImage: "x",
      tool: "docker",
    }),
    /--tag/,
  );
  assert.equal(ecr.calls().length, 3);
});

const TRANSFORM: TransformSpec = EXAMPLE_TRANSFORM;

Deno.test("transform: CreateTransformJob split by line, awaited; failure reasons reported", async () => {
  const { clients, sm, caller, lines, path, sent } = setup();
  sm.on(DescribeTransformJobCommand)
    .resolvesOnce({ TransformJobStatus: "InProgress" })
    .resolves({ TransformJobStatus: "Completed" });
  const now = new Date("2026-12-01T10:20:30Z");
  const result = await runTransform(clients, caller, TRANSFORM, { pollSeconds: 0, now });
  assert.equal(result.job, "titanic-primary-0123abcd-transform-20261201102030");
  assert.deepEqual(path(), ["CreateTransformJob", "DescribeTransformJob", "DescribeTransformJob"]);
  assert.deepEqual(inputsOf(sm.commandCalls(CreateTransformJobCommand)), [{
    TransformJobName: result.job,
    ModelName: "titanic-primary-0123abcd",
    MaxConcurrentTransforms: 2,
    MaxPayloadInMB: 6,
    BatchStrategy: "MultiRecord",
    Environment: { SAGEMAKER_MAX_PAYLOAD_IN_MB: "6", SAGEMAKER_MODEL_SERVER_WORKERS: "2" },
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://bucket/in/" } },
      ContentType: "text/csv",
      SplitType: "Line",
      CompressionType: "None",
    },
    TransformOutput: { S3OutputPath: "s3://bucket/out/", Accept: "text/csv", AssembleWith: "Line" },
    TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
    Tags: [{ Key: "project", Value: "titanic-deno" }, {
      Key: "model",
      Value: "titanic-primary-0123abcd",
    }],
  }]);
  assert.ok(lines.some((l) => /transform job .*: InProgress/.test(l)));
  sent();

  sm.reset();
  sm.on(DescribeEndpointConfigCommand).resolves({
    ProductionVariants: [{ VariantName: "primary", ModelName: "m-1" }, {
      VariantName: "candidate",
      ModelName: "m-2",
    }] as never,
  });
  sm.on(DescribeTransformJobCommand).resolves({
    TransformJobStatus: "Failed",
    FailureReason: "ClientError: See job logs for more information",
  });
  await assert.rejects(
    runTransform(clients, caller, {
      ...TRANSFORM,
      model: undefined,
      endpointConfig: "titanic-aaaaaaaa",
      variant: "candidate",
      contentType: "application/jsonlines",
    }, { pollSeconds: 0 }),
    /transform job m-2-transform-\d{14} is Failed: ClientError: See job logs.*\/aws\/sagemaker\/TransformJobs/,
  );
  const input = sm.commandCalls(CreateTransformJobCommand)[0].args[0].input;
  assert.deepEqual([
    input.ModelName,
    input.TransformInput?.ContentType,
    input.TransformOutput?.Accept,
  ], ["m-2", "application/jsonlines", "application/jsonlines"]);
  sent();
  await assert.rejects(
    runTransform(clients, caller, {
      ...TRANSFORM,
      input: "s3://",
      maxPayloadMb: 101,
      contentType: "application/json" as never,
    }),
    /--input "s3:\/\/"[\s\S]*--max-payload-mb 101[\s\S]*--content-type "application\/json"/,
  );
});

Deno.test("errors: credentials, permissions, roles and bad options are explained", () => {
  assert.match(
    explainAwsError(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    ),
    /no AWS credentials found: set AWS_PROFILE/,
  );
  assert.match(
    explainAwsError(
      Object.assign(
        new Error(
          "User: arn:aws:iam::1:user/x is not authorized to perform: sagemaker:CreateModel",
        ),
        { name: "AccessDeniedException" },
      ),
    ),
    /permission denied: .*sagemaker:CreateModel[\s\S]*needs the SageMaker/,
  );
  assert.match(
    explainAwsError(
      Object.assign(new Error("Could not assume role arn:aws:iam::1:role/x"), {
        name: "ValidationException",
      }),
    ),
    /execution role was refused[\s\S]*sagemaker\.amazonaws\.com/,
  );
  assert.match(explainAwsError(new Error("Region is missing")), /no AWS region/);
  assert.equal(explainAwsError(new InvalidOptions(["--a: x", "--b: y"])), "--a: x\n       --b: y");
  assert.deepEqual(validateCalls([]), []);
});
