/**
 * The service-model validator itself: every pattern of the models the project uses translates
 * and compiles; known-bad inputs break the rule AWS states; and on the rules botocore's own
 * client-side validator checks (required, types, minimums, unknown members) it agrees with
 * botocore's ParamValidator, run in Python on the same inputs.
 */

import assert from "node:assert/strict";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { DescribeModelCommand } from "@aws-sdk/client-sagemaker";
import { mockClient } from "aws-sdk-client-mock";
import {
  assertValidCalls,
  callsOfMock,
  captureCalls,
  fullMatch,
  javaRegexToJs,
  loadServiceModel,
  validateInput,
  type Violation,
} from "./aws_models.ts";

const SERVICES = ["sagemaker", "application-autoscaling", "ecr", "sagemaker-runtime", "cloudwatch"];
const ROLE = "arn:aws:iam::123456789012:role/sagemaker";
const IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1";

const rules = (v: Violation[]) => v.map((x) => `${x.path} ${x.rule}`).sort();

Deno.test("aws_models: every pattern of the five services translates and compiles", () => {
  let patterns = 0;
  for (const service of SERVICES) {
    const model = loadServiceModel(service);
    for (const shape of Object.values(model.shapes)) {
      if (shape.pattern) {
        fullMatch(shape.pattern);
        patterns++;
      }
    }
  }
  console.log(`compiled ${patterns} patterns from ${SERVICES.join(", ")}`);
  assert.ok(patterns > 300);
});

Deno.test("aws_models: a float member is AWS's 32-bit float, a double 64-bit", () => {
  const weights = (DesiredWeight: number) => ({
    EndpointName: "titanic",
    DesiredWeightsAndCapacities: [{ VariantName: "primary", DesiredWeight }],
  });
  const check = (w: number) =>
    rules(validateInput("sagemaker", "UpdateEndpointWeightsAndCapacities", weights(w)));
  assert.deepEqual(check(3.4e38), []);
  assert.deepEqual(check(1e300), ["DesiredWeightsAndCapacities[0].DesiredWeight type"]);
  // TargetValue is a double: 1e300 is a value it holds.
  const policy = {
    PolicyName: "p",
    ServiceNamespace: "sagemaker",
    ResourceId: "endpoint/titanic/variant/primary",
    ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
    TargetTrackingScalingPolicyConfiguration: { TargetValue: 1e300 },
  };
  assert.deepEqual(validateInput("application-autoscaling", "PutScalingPolicy", policy), []);
});

Deno.test("aws_models: service names in any spelling find the same model", () => {
  const model = loadServiceModel("application-autoscaling");
  assert.equal(loadServiceModel("Application Auto Scaling"), model);
  assert.equal(loadServiceModel("ApplicationAutoScalingClient"), model);
  assert.equal(model.serviceId, "Application Auto Scaling");
  assert.equal(loadServiceModel("SageMaker Runtime").name, "sagemaker-runtime");
  assert.throws(() => loadServiceModel("no-such-service"), /no botocore model/);
  assert.throws(() => validateInput("sagemaker", "NoSuchThing", {}), /no operation/);
});

Deno.test("aws_models: Java regex features translate to their Java meaning", () => {
  // \p{Print} is ASCII-only in Java: an accented letter is not printable there.
  assert.ok(fullMatch("\\p{Print}+").test("titanic-primary-invocations"));
  assert.ok(!fullMatch("\\p{Print}+").test("café"));
  // Surrogate pairs written as \uD800\uDC00-\uDBFF\uDFFF are the supplementary planes.
  const text = fullMatch("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*");
  assert.ok(text.test("a 🚢 b"));
  assert.ok(!text.test("a\u0001b"));
  // Escaped ordinary characters, \A..\z, a quantified $ and a lookbehind.
  assert.ok(fullMatch("[a-zA-Z0-9\\ \\_\\.]+").test("a b_c.d"));
  assert.ok(fullMatch("\\A\\S[\\p{Print}]*\\z").test("x y"));
  assert.ok(!fullMatch("\\A\\S[\\p{Print}]*\\z").test(" x"));
  assert.ok(fullMatch("^([\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*)${1,128}").test("project"));
  assert.ok(!fullMatch("([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)$").test("ends-"));
  // Full match: a pattern without anchors still has to cover the whole value.
  assert.ok(!fullMatch("[a-z]+").test("abc1"));
  assert.equal(javaRegexToJs("[\\-a]"), "[\\-a]");
  assert.throws(() => javaRegexToJs("[a-z&&[^b]]"), /no JavaScript translation/);
  assert.throws(() => javaRegexToJs("a*+"), /possessive/);
});

Deno.test("aws_models: known-bad deploy inputs break the rule AWS states", () => {
  const variant = {
    VariantName: "primary",
    ModelName: "titanic-primary-0123abcd",
    InitialVariantWeight: 1,
    InstanceType: "ml.t2.medium",
    InitialInstanceCount: 1,
  };
  const config = (v: Record<string, unknown>) => ({
    EndpointConfigName: "titanic-0123abcd",
    ProductionVariants: [{ ...variant, ...v }],
  });
  assert.deepEqual(validateInput("sagemaker", "CreateEndpointConfig", config({})), []);
  assert.deepEqual(
    rules(validateInput("sagemaker", "CreateEndpointConfig", config({ InitialInstanceCount: 0 }))),
    ["ProductionVariants[0].InitialInstanceCount min"],
  );
  assert.deepEqual(
    rules(validateInput("sagemaker", "CreateEndpointConfig", config({ InstanceType: "m5.large" }))),
    ["ProductionVariants[0].InstanceType enum"],
  );
  assert.deepEqual(
    rules(
      validateInput(
        "sagemaker",
        "CreateEndpointConfig",
        config({ InitialVariantWeight: Infinity }),
      ),
    ),
    ["ProductionVariants[0].InitialVariantWeight type"],
  );
  const serverless = (MemorySizeInMB: number, MaxConcurrency: number) =>
    rules(
      validateInput(
        "sagemaker",
        "CreateEndpointConfig",
        config({
          InstanceType: undefined,
          InitialInstanceCount: undefined,
          ServerlessConfig: { MemorySizeInMB, MaxConcurrency },
        }),
      ),
    );
  assert.deepEqual(serverless(2048, 5), []);
  assert.deepEqual(serverless(7168, 201), [
    "ProductionVariants[0].ServerlessConfig.MaxConcurrency max",
    "ProductionVariants[0].ServerlessConfig.MemorySizeInMB max",
  ]);
  assert.deepEqual(serverless(2048.5, 0), [
    "ProductionVariants[0].ServerlessConfig.MaxConcurrency min",
    "ProductionVariants[0].ServerlessConfig.MemorySizeInMB type",
  ]);

  const model = (ModelName: string, extra: Record<string, unknown> = {}) =>
    rules(
      validateInput("sagemaker", "CreateModel", {
        ModelName,
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE, ...extra },
      }),
    );
  assert.deepEqual(model("titanic-primary-0123abcd"), []);
  assert.deepEqual(model("titanic-"), ["ModelName pattern"]);
  assert.deepEqual(model("a".repeat(64)), ["ModelName max"]);
  assert.deepEqual(model("t", { ModelDataUrl: "s3://" }), [
    "PrimaryContainer.ModelDataUrl pattern",
  ]);
  assert.deepEqual(model("t", { Image: "" }), ["PrimaryContainer.Image pattern"]);
  assert.deepEqual(
    rules(validateInput("sagemaker", "CreateModel", { ModelName: "t", ExecutionRoleArn: "x y" })),
    ["ExecutionRoleArn min", "ExecutionRoleArn pattern"],
  );
  assert.deepEqual(
    rules(
      validateInput("sagemaker", "CreateModel", {
        ModelName: "t",
        ExecutionRoleArn: ROLE,
        Extra: 1,
      }),
    ),
    ["Extra unknown-member"],
  );
  assert.deepEqual(rules(validateInput("ecr", "CreateRepository", { repositoryName: "Titanic" })), [
    "repositoryName pattern",
  ]);
  assert.deepEqual(rules(validateInput("ecr", "CreateRepository", { repositoryName: "t" })), [
    "repositoryName min",
  ]);
  const target = {
    ServiceNamespace: "sagemaker",
    ResourceId: "endpoint/titanic/variant/primary",
    ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
  };
  assert.deepEqual(
    rules(validateInput("application-autoscaling", "RegisterScalableTarget", {
      ...target,
      MinCapacity: 1.5,
    })),
    ["MinCapacity type"],
  );
  assert.deepEqual(
    rules(validateInput("application-autoscaling", "RegisterScalableTarget", {})),
    ["ResourceId required", "ScalableDimension required", "ServiceNamespace required"],
  );
  assert.deepEqual(
    rules(validateInput("sagemaker-runtime", "InvokeEndpoint", {
      EndpointName: "titanic",
      Body: new Uint8Array(3),
      ContentType: "text/csv; charset=é",
      CustomAttributes: "x".repeat(1025),
    })),
    ["ContentType pattern", "CustomAttributes max"],
  );
});

Deno.test("aws_models: calls are captured from a mock and from the middleware stack", async () => {
  const client = new SageMakerClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  });
  const mock = mockClient(client);
  mock.on(DescribeModelCommand).resolves({});
  await client.send(new DescribeModelCommand({ ModelName: "bad_name" }));
  const calls = callsOfMock(mock, client);
  assert.deepEqual(calls, [{
    service: "SageMaker",
    operation: "DescribeModel",
    input: { ModelName: "bad_name" },
  }]);
  assert.throws(
    () => assertValidCalls(calls),
    /sagemaker.DescribeModel ModelName: "bad_name" does not match/,
  );
  mock.restore();

  // Through the real stack: the request goes to a loopback port that answers what SageMaker would.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      Response.json({ ModelName: "titanic", ModelArn: "arn:aws:sagemaker:us-east-1:1:model/t" }),
  );
  const real = new SageMakerClient({
    region: "us-east-1",
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  });
  const captured = captureCalls(real);
  await real.send(new DescribeModelCommand({ ModelName: "titanic" }));
  await server.shutdown();
  assert.deepEqual(captured, [{
    service: "SageMaker",
    operation: "DescribeModel",
    input: { ModelName: "titanic" },
  }]);
  assertValidCalls(captured);
});

/** Inputs with mistakes botocore's ParamValidator knows about, and clean ones. */
function crossCheckCases(): { service: string; operation: string; input: unknown }[] {
  const good = {
    ModelName: "titanic-primary-0123abcd",
    ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: IMAGE, Environment: { SAGEMAKER_MAX_PAYLOAD_IN_MB: "6" } },
    Tags: [{ Key: "project", Value: "titanic" }],
  };
  const cases: { service: string; operation: string; input: unknown }[] = [
    { service: "sagemaker", operation: "CreateModel", input: good },
    { service: "sagemaker", operation: "CreateModel", input: { ...good, ModelName: 5 } },
    { service: "sagemaker", operation: "CreateModel", input: { ...good, Tags: [{ Key: "" }] } },
    { service: "sagemaker", operation: "CreateModel", input: { ...good, Tagz: [] } },
    { service: "sagemaker", operation: "CreateModel", input: { ...good, Tags: "x" } },
    {
      service: "sagemaker",
      operation: "CreateModel",
      input: { ...good, PrimaryContainer: { Environment: { A: 1 } } },
    },
    {
      service: "sagemaker",
      operation: "CreateEndpointConfig",
      input: { EndpointConfigName: "c", ProductionVariants: [] },
    },
    {
      service: "sagemaker",
      operation: "CreateEndpointConfig",
      input: {
        EndpointConfigName: "c",
        ProductionVariants: [{
          VariantName: "p",
          InitialInstanceCount: 0,
          InitialVariantWeight: -1,
        }],
      },
    },
    {
      service: "sagemaker",
      operation: "CreateTransformJob",
      input: {
        TransformJobName: "j",
        ModelName: "m",
        MaxPayloadInMB: -1,
        TransformInput: { DataSource: { S3DataSource: { S3DataType: "S3Prefix" } } },
        TransformOutput: {},
        TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 0 },
      },
    },
    {
      service: "application-autoscaling",
      operation: "PutScalingPolicy",
      input: {
        PolicyName: "",
        ServiceNamespace: "sagemaker",
        ResourceId: "endpoint/t/variant/p",
        ScalableDimension: "sagemaker:variant:DesiredInstanceCount",
        TargetTrackingScalingPolicyConfiguration: { TargetValue: "1000" },
      },
    },
    { service: "ecr", operation: "DescribeRepositories", input: { repositoryNames: [] } },
    { service: "cloudwatch", operation: "PutMetricAlarm", input: { AlarmName: "a" } },
  ];
  return cases;
}

Deno.test("aws_models: agrees with botocore's ParamValidator on the rules it checks", async () => {
  const cases = crossCheckCases();
  const script = `
import json, sys
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
loader = Loader()
out = []
for case in json.load(sys.stdin):
    model = ServiceModel(loader.load_service_model(case["service"], "service-2"))
    shape = model.operation_model(case["operation"]).input_shape
    report = ParamValidator().validate(case["input"], shape)
    out.append([[e[0], e[1].lstrip("."), e[2].get("required_name") or e[2].get("unknown_param") or ""]
                for e in report._errors])
print(json.dumps(out))
`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
  await writer.close();
  const { stdout, success } = await child.output();
  assert.ok(success, "botocore's validator ran");
  const botocore: [string, string, string][][] = JSON.parse(new TextDecoder().decode(stdout));
  const ruleOf: Record<string, Violation["rule"]> = {
    "missing required field": "required",
    "invalid type": "type",
    "invalid range": "min",
    "invalid length": "min",
    "unknown field": "unknown-member",
  };
  let compared = 0;
  for (const [i, c] of cases.entries()) {
    const ours = validateInput(c.service, c.operation, c.input);
    const expected = botocore[i].map(([kind, path, name]) => {
      const where = name ? (path ? `${path}.${name}` : name) : path;
      return `${where} ${ruleOf[kind]}`;
    });
    const mine = new Set(rules(ours));
    for (const e of expected) {
      assert.ok(mine.has(e), `${c.operation} case ${i}: botocore reports ${e}; ours: ${[...mine]}`);
      compared++;
    }
    if (expected.length === 0) {
      // Where botocore sees nothing wrong, only the rules it does not check may fire.
      assert.ok(ours.every((v) => ["max", "pattern", "enum"].includes(v.rule)), rules(ours).join());
    }
  }
  assert.ok(compared >= 15, `compared ${compared} botocore findings`);
});
