/** `deploy --capture`: DataCaptureConfig in the endpoint config, exact and valid for SageMaker. */

import assert from "node:assert/strict";
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
} from "@aws-sdk/client-sagemaker";
import { mockClient } from "aws-sdk-client-mock";
import { AwsCaller, makeClients } from "../src/deploy/aws.ts";
import { dataCaptureConfig } from "../src/deploy/capture.ts";
import {
  deploy,
  type DeploySpec,
  desiredState,
  resourceNames,
  validateSpec,
} from "../src/deploy/sagemaker.ts";
import { assertValidCalls, callsOfMock } from "./aws_models.ts";
import { EXAMPLE_DEPLOY } from "./deploy_fixtures.ts";

const SPEC: DeploySpec = EXAMPLE_DEPLOY;

Deno.test("capture option: URI and sampling percentage, refusals naming the problem", () => {
  assert.deepEqual(dataCaptureConfig("s3://my-bucket/titanic/capture/,20"), {
    EnableCapture: true,
    InitialSamplingPercentage: 20,
    DestinationS3Uri: "s3://my-bucket/titanic/capture",
    CaptureOptions: [{ CaptureMode: "Input" }, { CaptureMode: "Output" }],
    CaptureContentTypeHeader: {
      CsvContentTypes: ["text/csv"],
      JsonContentTypes: ["application/json"],
    },
  });
  assert.equal(dataCaptureConfig("s3://my-bucket").InitialSamplingPercentage, 100);
  assert.throws(() => dataCaptureConfig("/tmp/capture"), /s3:\/\/BUCKET\/PREFIX\[,PERCENT\]/);
  assert.throws(() => dataCaptureConfig("s3://b-b/x,0"), /integer 1-100, got "0"/);
  assert.throws(() => dataCaptureConfig("s3://b-b/x,50,1"), /s3:\/\/BUCKET/);
  // DestinationS3Uri takes at most 512 characters.
  const longest = `s3://b-b/${"k".repeat(503)}`;
  assert.equal(dataCaptureConfig(longest).DestinationS3Uri, longest);
  assert.throws(() => dataCaptureConfig(`${longest}k`), /at most 512 characters; 513 given/);
  const serverless = {
    ...SPEC,
    serverless: { memoryMb: 2048, maxConcurrency: 5 },
    dataCapture: dataCaptureConfig("s3://b-b/x"),
  };
  assert.ok(
    validateSpec(serverless).includes(
      "--capture applies to instance-based endpoints, not --serverless ones",
    ),
  );
});

Deno.test("deploy --capture: the endpoint config carries DataCaptureConfig; a new config name", async () => {
  const clients = makeClients("us-east-1");
  const sm = mockClient(clients.sagemaker);
  const notFound = Object.assign(new Error("Could not find it"), { name: "ValidationException" });
  sm.on(DescribeModelCommand).rejects(notFound);
  sm.on(DescribeEndpointConfigCommand).rejects(notFound);
  sm.on(DescribeEndpointCommand).rejectsOnce(notFound).resolves({ EndpointStatus: "InService" });
  sm.on(CreateModelCommand).resolves({});
  sm.on(CreateEndpointConfigCommand).resolves({});
  sm.on(CreateEndpointCommand).resolves({});
  const spec = { ...SPEC, dataCapture: dataCaptureConfig("s3://my-bucket/capture,25") };
  await deploy(clients, new AwsCaller(false, () => {}), spec, { pollSeconds: 0 });
  const input = sm.commandCalls(CreateEndpointConfigCommand)[0].args[0].input;
  assert.deepEqual(input.DataCaptureConfig, {
    EnableCapture: true,
    InitialSamplingPercentage: 25,
    DestinationS3Uri: "s3://my-bucket/capture",
    CaptureOptions: [{ CaptureMode: "Input" }, { CaptureMode: "Output" }],
    CaptureContentTypeHeader: {
      CsvContentTypes: ["text/csv"],
      JsonContentTypes: ["application/json"],
    },
  });
  assert.equal(input.EndpointConfigName, resourceNames(spec).config);
  assert.notEqual(
    resourceNames(spec).config,
    resourceNames(SPEC).config,
    "capture rolls the config",
  );
  assert.equal(resourceNames(SPEC).config, resourceNames({ ...SPEC }).config);
  assertValidCalls(callsOfMock(sm, clients.sagemaker));
  // deploy --plan shows it, and its absence.
  assert.equal(desiredState(spec)["data capture"], "s3://my-bucket/capture (25 %)");
  assert.equal(desiredState(SPEC)["data capture"], undefined);
});
