/** `deploy --alarms` and teardown's alarm removal: exact CloudWatch inputs, valid for AWS. */

import assert from "node:assert/strict";
import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { DEFAULT_ALARMS, deleteAlarms, findAlarms, putAlarms } from "../src/deploy/alarms.ts";
import { AwsCaller, InvalidOptions, makeClients } from "../src/deploy/aws.ts";
import { alarmsFromOptions } from "../src/cli/operations_options.ts";
import { assertValidCalls, callsOfMock } from "./aws_models.ts";
import { runTask } from "./task_helpers.ts";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:titanic-alerts";

function setup() {
  const clients = makeClients("us-east-1");
  const cw = mockClient(clients.cloudwatch);
  return { clients, cw, caller: new AwsCaller(false, () => {}) };
}

Deno.test("alarms: four per variant with the thresholds given, exact inputs, valid for CloudWatch", async () => {
  const { clients, cw, caller } = setup();
  cw.on(PutMetricAlarmCommand).resolves({});
  const names = await putAlarms(clients, caller, "titanic", ["primary", "candidate"], {
    ...DEFAULT_ALARMS,
    topic: TOPIC,
    latencyP99Ms: 250,
  });
  assert.deepEqual(names, [
    "titanic-primary-5xx-errors",
    "titanic-primary-model-latency-p99",
    "titanic-primary-container-errors",
    "titanic-primary-requests-shed",
    "titanic-candidate-5xx-errors",
    "titanic-candidate-model-latency-p99",
    "titanic-candidate-container-errors",
    "titanic-candidate-requests-shed",
  ]);
  const inputs = cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input);
  const common = {
    Dimensions: [
      { Name: "EndpointName", Value: "titanic" },
      { Name: "VariantName", Value: "primary" },
    ],
    Period: 60,
    EvaluationPeriods: 5,
    DatapointsToAlarm: 3,
    TreatMissingData: "notBreaching",
    AlarmActions: [TOPIC],
    OKActions: [TOPIC],
    Tags: [{ Key: "project", Value: "titanic-deno" }, { Key: "endpoint", Value: "titanic" }],
  };
  assert.deepEqual(inputs.slice(0, 4), [
    {
      AlarmName: "titanic-primary-5xx-errors",
      AlarmDescription: "titanic/primary: 1+ 5xx answers a minute",
      Namespace: "AWS/SageMaker",
      MetricName: "Invocation5XXErrors",
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      ...common,
    },
    {
      AlarmName: "titanic-primary-model-latency-p99",
      AlarmDescription: "titanic/primary: model latency p99 above 250 ms",
      Namespace: "AWS/SageMaker",
      MetricName: "ModelLatency",
      ExtendedStatistic: "p99",
      Threshold: 250_000,
      ...common,
      ComparisonOperator: "GreaterThanThreshold",
    },
    {
      AlarmName: "titanic-primary-container-errors",
      AlarmDescription: "titanic/primary: 10+ error answers a minute (container)",
      Namespace: "Titanic/Inference",
      MetricName: "Errors",
      Statistic: "Sum",
      Threshold: 10,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      ...common,
    },
    {
      AlarmName: "titanic-primary-requests-shed",
      AlarmDescription: "titanic/primary: 1+ requests shed a minute",
      Namespace: "Titanic/Inference",
      MetricName: "RequestsShed",
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      ...common,
    },
  ]);
  assert.deepEqual(inputs[4].Dimensions![1], { Name: "VariantName", Value: "candidate" });
  assertValidCalls(callsOfMock(cw, clients.cloudwatch));
});

Deno.test("alarms: without a topic no actions; the service model refuses a bad statistic", async () => {
  const { clients, cw, caller } = setup();
  cw.on(PutMetricAlarmCommand).resolves({});
  await putAlarms(clients, caller, "titanic", ["primary"], DEFAULT_ALARMS);
  const input = cw.commandCalls(PutMetricAlarmCommand)[0].args[0].input;
  assert.equal(input.AlarmActions, undefined);
  assert.equal(input.OKActions, undefined);
  const calls = callsOfMock(cw, clients.cloudwatch);
  assertValidCalls(calls);
  // The check is not a formality: the model knows Statistic's enum.
  const broken = [{ ...calls[0], input: { ...(calls[0].input as object), Statistic: "Total" } }];
  assert.throws(() => assertValidCalls(broken), /Statistic/);
});

Deno.test("alarms: thresholds CloudWatch cannot carry are refused before any call, naming the option", async () => {
  const { clients, cw, caller } = setup();
  cw.on(PutMetricAlarmCommand).resolves({});
  // The largest finite thresholds (latency in ms, x1000 in microseconds) are valid inputs.
  await putAlarms(clients, caller, "titanic", ["primary"], {
    ...DEFAULT_ALARMS,
    latencyP99Ms: 1.7e305,
    shed: Number.MAX_VALUE,
  });
  assertValidCalls(callsOfMock(cw, clients.cloudwatch));
  cw.resetHistory();
  const refused: [Record<string, number>, RegExp][] = [
    [{ "alarm-latency-ms": 1e306 }, /--alarm-latency-ms "1e\+306": must be a finite number/],
    [{ "alarm-errors": Infinity }, /--alarm-errors "Infinity"/],
    [{ "alarm-shed": NaN }, /--alarm-shed "NaN"/],
    [{ "alarm-server-errors": -1 }, /--alarm-server-errors "-1"/],
  ];
  for (const [thresholds, named] of refused) {
    const problems: string[] = [];
    const alarms = alarmsFromOptions({ alarms: true, ...thresholds }, problems);
    assert.match(problems.join("\n"), named);
    await assert.rejects(
      putAlarms(clients, caller, "titanic", ["primary"], alarms!),
      (err: unknown) => err instanceof InvalidOptions && named.test(err.message),
    );
  }
  assert.equal(cw.commandCalls(PutMetricAlarmCommand).length, 0, "no call was made");
});

Deno.test("teardown: finds this tool's alarms over every page and deletes them 100 at a time", async () => {
  const { clients, cw, caller } = setup();
  const on = (endpoint: string) => [
    { Name: "EndpointName", Value: endpoint },
    { Name: "VariantName", Value: "v" },
  ];
  const many = Array.from({ length: 60 }, (_, i) => [
    { AlarmName: `titanic-v${i}-5xx-errors`, Dimensions: on("titanic") },
    { AlarmName: `titanic-v${i}-requests-shed`, Dimensions: on("titanic") },
  ]).flat();
  cw.on(DescribeAlarmsCommand)
    .resolvesOnce({
      MetricAlarms: [
        ...many.slice(0, 100),
        { AlarmName: "titanic-someone-elses-alarm", Dimensions: on("titanic") },
        { AlarmName: "titanic-staging-primary-5xx-errors", Dimensions: on("titanic-staging") },
      ],
      NextToken: "next",
    })
    .resolvesOnce({ MetricAlarms: [...many.slice(100), { AlarmName: "titanic-x-latency" }] });
  cw.on(DeleteAlarmsCommand).resolves({});
  const names = await findAlarms(clients, caller, "titanic");
  assert.equal(names.length, 120);
  assert.ok(!names.includes("titanic-someone-elses-alarm"));
  assert.ok(!names.includes("titanic-staging-primary-5xx-errors"), "another endpoint's alarm");
  await deleteAlarms(clients, caller, names);
  assert.deepEqual(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input), [
    { AlarmNamePrefix: "titanic-", AlarmTypes: ["MetricAlarm"], MaxRecords: 100 },
    {
      AlarmNamePrefix: "titanic-",
      AlarmTypes: ["MetricAlarm"],
      MaxRecords: 100,
      NextToken: "next",
    },
  ]);
  assert.deepEqual(
    cw.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input.AlarmNames!.length),
    [100, 20],
  );
  assertValidCalls(callsOfMock(cw, clients.cloudwatch));
});

const task = (args: string[]) =>
  runTask(args[0], args.slice(1), { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });

Deno.test("deno task deploy --alarms --dry-run prints the alarms; teardown --dry-run looks for them", async () => {
  const deploy = await task([
    "deploy",
    "--image",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1",
    "--role",
    "arn:aws:iam::123456789012:role/sagemaker",
    "--alarms",
    "--alarm-topic",
    TOPIC,
    "--alarm-latency-ms",
    "50",
    "--region",
    "us-east-1",
    "--dry-run",
  ]);
  assert.equal(deploy.code, 0, deploy.out);
  const puts = deploy.out.split("\n").filter((l) =>
    l.startsWith("[dry-run] CloudWatch.PutMetricAlarm")
  );
  // Both dry-run paths (a new endpoint, an update) put the same four alarms.
  assert.equal(puts.length, 8, deploy.out);
  assert.match(puts[1], /"AlarmName":"titanic-primary-model-latency-p99".*"Threshold":50000/);
  assert.deepEqual(puts.slice(0, 4), puts.slice(4));
  const bad = await task([
    "deploy",
    "--image",
    "i",
    "--role",
    "r",
    "--alarms",
    "--alarm-topic",
    "nope",
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /--alarm-topic "nope": must be an SNS topic ARN/);
  const teardown = await task([
    "teardown",
    "--endpoint",
    "titanic",
    "--region",
    "us-east-1",
    "--dry-run",
  ]);
  assert.equal(teardown.code, 0, teardown.out);
  assert.match(
    teardown.out,
    /\[dry-run\] CloudWatch\.DescribeAlarms \{"AlarmNamePrefix":"titanic-"/,
  );
});
