/** Deploy commands against the SDK's own mocks: exact commands and inputs, waiters, errors. */

import assert from "node:assert/strict";
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
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
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from "@aws-sdk/client-sagemaker";
import { mockClient } from "aws-sdk-client-mock";
import { AwsCaller, explainAwsError, makeClients } from "../src/deploy/aws.ts";
import { preparePush } from "../src/deploy/ecr.ts";
import {
  deploy,
  type DeploySpec,
  planTeardown,
  resourceNames,
  shiftTraffic,
  teardown,
  validateSpec,
} from "../src/deploy/sagemaker.ts";

const notFound = (what: string) =>
  Object.assign(new Error(`Could not find ${what}`), { name: "ValidationException" });
const SPEC: DeploySpec = {
  endpoint: "titanic",
  role: "arn:aws:iam::123456789012:role/sagemaker",
  variants: [{
    name: "primary",
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1",
    weight: 1,
  }],
  instanceType: "ml.t2.medium",
  instanceCount: 1,
};

function setup() {
  const clients = makeClients("us-east-1");
  const sm = mockClient(clients.sagemaker);
  const scaling = mockClient(clients.autoscaling);
  const ecr = mockClient(clients.ecr);
  const lines: string[] = [];
  const caller = new AwsCaller(false, (l) => lines.push(l));
  return { clients, sm, scaling, ecr, caller, lines };
}

Deno.test("deploy: a new endpoint is created and awaited until InService", async () => {
  const { clients, sm, caller, lines } = setup();
  sm.on(DescribeModelCommand).rejects(notFound("model"));
  sm.on(DescribeEndpointConfigCommand).rejects(notFound("endpoint config"));
  sm.on(DescribeEndpointCommand)
    .rejectsOnce(notFound("endpoint"))
    .resolvesOnce({ EndpointStatus: "Creating" })
    .resolvesOnce({ EndpointStatus: "Creating" })
    .resolves({ EndpointStatus: "InService" });
  sm.on(CreateModelCommand).resolves({ ModelArn: "arn:model" });
  sm.on(CreateEndpointConfigCommand).resolves({});
  sm.on(CreateEndpointCommand).resolves({});
  const spec = {
    ...SPEC,
    variants: [{ ...SPEC.variants[0], modelData: "s3://bucket/model.tar.gz" }],
  };
  const result = await deploy(clients, caller, spec, { pollSeconds: 0 });
  const { models, config } = resourceNames(spec);
  assert.equal(result.action, "created");
  assert.deepEqual(sm.commandCalls(CreateModelCommand).map((c) => c.args[0].input), [{
    ModelName: models[0],
    ExecutionRoleArn: SPEC.role,
    PrimaryContainer: {
      Image: SPEC.variants[0].image,
      ModelDataUrl: "s3://bucket/model.tar.gz",
      Environment: {
        SAGEMAKER_MAX_PAYLOAD_IN_MB: "6",
        ENDPOINT_NAME: "titanic",
        VARIANT_NAME: "primary",
      },
    },
    Tags: [{ Key: "managed-by", Value: "titanic-deno" }],
  }]);
  assert.deepEqual(sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input, {
    EndpointConfigName: config,
    ProductionVariants: [{
      VariantName: "primary",
      ModelName: models[0],
      InitialVariantWeight: 1,
      InstanceType: "ml.t2.medium",
      InitialInstanceCount: 1,
      ContainerStartupHealthCheckTimeoutInSeconds: 120,
    }],
    Tags: [{ Key: "managed-by", Value: "titanic-deno" }],
  });
  assert.deepEqual(sm.commandCalls(CreateEndpointCommand)[0].args[0].input, {
    EndpointName: "titanic",
    EndpointConfigName: config,
    Tags: [{ Key: "managed-by", Value: "titanic-deno" }],
  });
  assert.equal(sm.commandCalls(DescribeEndpointCommand).length, 4);
  assert.ok(lines.some((l) => /endpoint titanic: Creating/.test(l)));
  assert.ok(lines.some((l) => /endpoint titanic: InService/.test(l)));
  assert.equal(sm.commandCalls(UpdateEndpointCommand).length, 0);
});

Deno.test("deploy: re-running the same deploy is idempotent; a new config rolls the endpoint", async () => {
  const { clients, sm, caller } = setup();
  const { config } = resourceNames(SPEC);
  sm.on(DescribeModelCommand).resolves({});
  sm.on(DescribeEndpointConfigCommand).resolves({});
  sm.on(DescribeEndpointCommand).resolves({
    EndpointStatus: "InService",
    EndpointConfigName: config,
  });
  const again = await deploy(clients, caller, SPEC, { pollSeconds: 0 });
  assert.equal(again.action, "unchanged");
  const made = sm.calls().map((c) =>
    (c.args[0] as { constructor: { name: string } }).constructor.name
  );
  assert.deepEqual(
    made.filter((name) => /^(Create|Update)/.test(name)),
    [],
    "nothing is created or updated",
  );
  const bigger = { ...SPEC, instanceCount: 2 };
  sm.on(DescribeEndpointConfigCommand).rejects(notFound("endpoint config"));
  sm.on(UpdateEndpointCommand).resolves({});
  sm.on(CreateEndpointConfigCommand).resolves({});
  const updated = await deploy(clients, caller, bigger, { pollSeconds: 0 });
  assert.equal(updated.action, "updated");
  assert.notEqual(updated.config, config);
  assert.deepEqual(sm.commandCalls(UpdateEndpointCommand)[0].args[0].input, {
    EndpointName: "titanic",
    EndpointConfigName: updated.config,
  });
  assert.equal(sm.commandCalls(CreateModelCommand).length, 0, "the model is reused");
});

Deno.test("deploy: Creating -> Failed surfaces the failure reason", async () => {
  const { clients, sm, caller } = setup();
  sm.on(DescribeModelCommand).resolves({});
  sm.on(DescribeEndpointConfigCommand).resolves({});
  sm.on(DescribeEndpointCommand)
    .rejectsOnce(notFound("endpoint"))
    .resolvesOnce({ EndpointStatus: "Creating" })
    .resolves({
      EndpointStatus: "Failed",
      FailureReason: "The primary container did not pass the ping health check.",
    });
  sm.on(CreateEndpointCommand).resolves({});
  await assert.rejects(
    deploy(clients, caller, SPEC, { pollSeconds: 0 }),
    /endpoint titanic is Failed: The primary container did not pass the ping health check/,
  );
});

Deno.test("deploy: A/B variants with weights, autoscaling, serverless", async () => {
  const { clients, sm, scaling, caller } = setup();
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
    scaling.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input),
    [
      ["primary", "candidate"].map((v) => ({
        ServiceNamespace: "sagemaker",
        ResourceId: `endpoint/titanic/variant/${v}`,
        ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
        MinCapacity: 1,
        MaxCapacity: 4,
      })),
    ].flat(),
  );
  const policy = scaling.commandCalls(PutScalingPolicyCommand)[0].args[0].input;
  assert.equal(policy.PolicyType, "TargetTrackingScaling");
  assert.deepEqual(policy.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification, {
    PredefinedMetricType: "SageMakerVariantInvocationsPerInstance",
  });
  assert.equal(policy.TargetTrackingScalingPolicyConfiguration?.TargetValue, 500);

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
});

Deno.test("deploy: bad specs are refused before any call", () => {
  assert.match(validateSpec({ ...SPEC, role: "sagemaker" })!, /--role must be an IAM role ARN/);
  assert.match(validateSpec({ ...SPEC, endpoint: "bad name" })!, /endpoint name/);
  assert.match(
    validateSpec({
      ...SPEC,
      serverless: { memoryMb: 1024, maxConcurrency: 1 },
      autoscaling: { min: 1, max: 2, invocationsPerInstance: 1 },
    })!,
    /not serverless/,
  );
  assert.match(
    validateSpec({ ...SPEC, variants: [{ ...SPEC.variants[0], modelData: "/tmp/model.tar.gz" }] })!,
    /s3:\/\//,
  );
});

Deno.test("dry run: every call is printed and none is sent", async () => {
  const { clients, sm, scaling } = setup();
  const lines: string[] = [];
  const caller = new AwsCaller(true, (l) => lines.push(l));
  await deploy(clients, caller, {
    ...SPEC,
    autoscaling: { min: 1, max: 2, invocationsPerInstance: 100 },
  });
  assert.equal(sm.calls().length + scaling.calls().length, 0);
  assert.deepEqual(caller.calls.map((c) => `${c.service}.${c.operation}`), [
    "SageMaker.DescribeModel",
    "SageMaker.CreateModel",
    "SageMaker.DescribeEndpointConfig",
    "SageMaker.CreateEndpointConfig",
    "SageMaker.DescribeEndpoint",
    "SageMaker.CreateEndpoint",
    "ApplicationAutoScaling.RegisterScalableTarget",
    "ApplicationAutoScaling.PutScalingPolicy",
  ]);
  assert.ok(lines.every((l) => l.startsWith("[dry-run] ")));
  assert.match(lines[1], /"ExecutionRoleArn":"arn:aws:iam::123456789012:role\/sagemaker"/);
});

Deno.test("shift traffic and teardown", async () => {
  const { clients, sm, scaling, caller } = setup();
  sm.on(UpdateEndpointWeightsAndCapacitiesCommand).resolves({});
  sm.on(DescribeEndpointCommand).resolvesOnce({ EndpointStatus: "Updating" }).resolves({
    EndpointStatus: "InService",
  });
  await shiftTraffic(clients, caller, "titanic", { primary: 0.5, candidate: 0.5 }, {
    pollSeconds: 0,
  });
  assert.deepEqual(sm.commandCalls(UpdateEndpointWeightsAndCapacitiesCommand)[0].args[0].input, {
    EndpointName: "titanic",
    DesiredWeightsAndCapacities: [
      { VariantName: "primary", DesiredWeight: 0.5 },
      { VariantName: "candidate", DesiredWeight: 0.5 },
    ],
  });

  sm.reset();
  sm.on(DescribeEndpointCommand).resolves({
    EndpointConfigName: "titanic-aaaaaaaa",
    EndpointStatus: "InService",
  });
  sm.on(DescribeEndpointConfigCommand).resolves({
    ProductionVariants: [{ VariantName: "primary", ModelName: "titanic-primary-11111111" }],
  });
  sm.on(ListEndpointConfigsCommand).resolves({
    EndpointConfigs: [
      { EndpointConfigName: "titanic-aaaaaaaa" },
      { EndpointConfigName: "titanic-bbbbbbbb" },
      { EndpointConfigName: "titanic-other-config" },
    ] as never,
  });
  sm.on(ListModelsCommand).resolves({
    Models: [{ ModelName: "titanic-primary-11111111" }, {
      ModelName: "titanic-primary-22222222",
    }] as never,
  });
  scaling.on(DeleteScalingPolicyCommand).rejects(
    Object.assign(new Error("No scaling policy"), { name: "ObjectNotFoundException" }),
  );
  scaling.on(DeregisterScalableTargetCommand).resolves({});
  const plan = await planTeardown(clients, caller, "titanic");
  assert.deepEqual(plan, {
    endpoint: "titanic",
    configs: ["titanic-aaaaaaaa", "titanic-bbbbbbbb"],
    models: ["titanic-primary-11111111", "titanic-primary-22222222"],
    scalingTargets: ["endpoint/titanic/variant/primary"],
  });
  await teardown(clients, caller, plan);
  assert.deepEqual(sm.commandCalls(DeleteEndpointCommand)[0].args[0].input, {
    EndpointName: "titanic",
  });
  assert.deepEqual(
    sm.commandCalls(DeleteEndpointConfigCommand).map((c) => c.args[0].input.EndpointConfigName),
    plan.configs,
  );
  assert.deepEqual(
    sm.commandCalls(DeleteModelCommand).map((c) => c.args[0].input.ModelName),
    plan.models,
  );
  assert.equal(scaling.commandCalls(DeregisterScalableTargetCommand).length, 1);
});

Deno.test("push-image: creates a missing repository and builds login, tag and push", async () => {
  const { clients, ecr, caller } = setup();
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
  assert.equal(
    ecr.commandCalls(CreateRepositoryCommand)[0].args[0].input.repositoryName,
    "titanic",
  );
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
  ecr.reset();
  ecr.on(DescribeRepositoriesCommand).resolves({
    repositories: [{ repositoryUri: "1.dkr.ecr.eu-west-1.amazonaws.com/titanic" }],
  });
  ecr.on(GetAuthorizationTokenCommand).resolves({});
  await preparePush(clients, caller, {
    repository: "titanic",
    tag: "v1",
    localImage: "titanic",
    tool: "docker",
  });
  assert.equal(ecr.commandCalls(CreateRepositoryCommand).length, 0);
});

Deno.test("errors: credentials, permissions and roles are explained", () => {
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
});
