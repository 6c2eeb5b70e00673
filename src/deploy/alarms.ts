/**
 * `deploy --alarms`: CloudWatch alarms per production variant on what SageMaker publishes
 * (Invocation5XXErrors; ModelLatency p99, in microseconds) and on the container's own EMF
 * metrics (container/metrics.ts: Errors, RequestsShed), each optionally notifying an SNS topic.
 * Alarm names start with "<endpoint>-<variant>-", so teardown finds them by prefix.
 * @module
 */

import {
  type ComparisonOperator,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmInput,
} from "@aws-sdk/client-cloudwatch";
import type { AwsCaller, AwsClients } from "./aws.ts";
import { assertNoProblems, DryRunNotFound } from "./aws.ts";
import { ownershipTags } from "./naming.ts";

/** Thresholds; every alarm looks at 1-minute periods and fires on 3 of the last 5. */
export interface AlarmOptions {
  /** SNS topic ARN notified on ALARM and OK. */
  topic?: string;
  /** Invocation5XXErrors per minute (default 1). */
  errors5xx: number;
  /** ModelLatency p99 in milliseconds (default 100). */
  latencyP99Ms: number;
  /** The container's Errors (4xx and 5xx answers) per minute (default 10). */
  containerErrors: number;
  /** Requests shed by admission control per minute (default 1). */
  shed: number;
  /** Namespace of the container's EMF metrics (default Titanic/Inference, as metrics.ts). */
  namespace: string;
}

export const DEFAULT_ALARMS: AlarmOptions = {
  errors5xx: 1,
  latencyP99Ms: 100,
  containerErrors: 10,
  shed: 1,
  namespace: "Titanic/Inference",
};

const ALARM_KINDS = ["5xx-errors", "model-latency-p99", "container-errors", "requests-shed"];

/** The option each threshold comes from, and its factor to the metric's unit. */
const THRESHOLD_OPTIONS = [
  ["errors5xx", "--alarm-server-errors", 1],
  ["latencyP99Ms", "--alarm-latency-ms", 1000], // ModelLatency is in microseconds
  ["containerErrors", "--alarm-errors", 1],
  ["shed", "--alarm-shed", 1],
] as const;

/**
 * Thresholds PutMetricAlarm can carry: finite numbers >= 0 in the metric's unit (1e306 ms is
 * Infinity microseconds, which JSON sends as null).
 */
export function checkAlarms(options: AlarmOptions): string[] {
  return THRESHOLD_OPTIONS.flatMap(([key, option, factor]) => {
    const value = options[key];
    if (Number.isFinite(value) && value >= 0 && Number.isFinite(value * factor)) return [];
    return [
      `${option} ${JSON.stringify(String(value))}: must be a finite number >= 0` +
      (factor === 1 ? "" : ` (x${factor} in the metric's unit)`),
    ];
  });
}

/** The PutMetricAlarm inputs for every variant of an endpoint. */
export function alarmInputs(
  endpoint: string,
  variants: readonly string[],
  options: AlarmOptions,
): PutMetricAlarmInput[] {
  const actions = options.topic
    ? { AlarmActions: [options.topic], OKActions: [options.topic] }
    : {};
  return variants.flatMap((variant) => {
    const common = {
      Dimensions: [
        { Name: "EndpointName", Value: endpoint },
        { Name: "VariantName", Value: variant },
      ],
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      ComparisonOperator: "GreaterThanOrEqualToThreshold" as ComparisonOperator,
      TreatMissingData: "notBreaching",
      ...actions,
      Tags: ownershipTags(endpoint),
    };
    const name = (kind: string) => `${endpoint}-${variant}-${kind}`;
    return [
      {
        AlarmName: name(ALARM_KINDS[0]),
        AlarmDescription: `${endpoint}/${variant}: ${options.errors5xx}+ 5xx answers a minute`,
        Namespace: "AWS/SageMaker",
        MetricName: "Invocation5XXErrors",
        Statistic: "Sum",
        Threshold: options.errors5xx,
        ...common,
      },
      {
        AlarmName: name(ALARM_KINDS[1]),
        AlarmDescription:
          `${endpoint}/${variant}: model latency p99 above ${options.latencyP99Ms} ms`,
        Namespace: "AWS/SageMaker",
        MetricName: "ModelLatency",
        ExtendedStatistic: "p99",
        // ModelLatency is in microseconds. No Unit: an alarm whose Unit differs from the
        // metric's never leaves INSUFFICIENT_DATA.
        Threshold: options.latencyP99Ms * 1000,
        ...common,
        ComparisonOperator: "GreaterThanThreshold",
      },
      {
        AlarmName: name(ALARM_KINDS[2]),
        AlarmDescription:
          `${endpoint}/${variant}: ${options.containerErrors}+ error answers a minute (container)`,
        Namespace: options.namespace,
        MetricName: "Errors",
        Statistic: "Sum",
        Threshold: options.containerErrors,
        ...common,
      },
      {
        AlarmName: name(ALARM_KINDS[3]),
        AlarmDescription: `${endpoint}/${variant}: ${options.shed}+ requests shed a minute`,
        Namespace: options.namespace,
        MetricName: "RequestsShed",
        Statistic: "Sum",
        Threshold: options.shed,
        ...common,
      },
    ] satisfies PutMetricAlarmInput[];
  });
}

/** Creates or updates (PutMetricAlarm is an upsert) the alarms of every variant. */
export async function putAlarms(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
  variants: readonly string[],
  options: AlarmOptions,
): Promise<string[]> {
  assertNoProblems(checkAlarms(options));
  const inputs = alarmInputs(endpoint, variants, options);
  for (const input of inputs) {
    await caller.send(clients.cloudwatch, new PutMetricAlarmCommand(input));
  }
  return inputs.map((i) => i.AlarmName!);
}

/** This tool's alarms of an endpoint ("<endpoint>-<variant>-<kind>" on it), every page. */
export async function findAlarms(
  clients: AwsClients,
  caller: AwsCaller,
  endpoint: string,
): Promise<string[]> {
  const names: string[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const page = await caller.send(
        clients.cloudwatch,
        new DescribeAlarmsCommand({
          AlarmNamePrefix: `${endpoint}-`,
          AlarmTypes: ["MetricAlarm"],
          MaxRecords: 100,
          ...(NextToken ? { NextToken } : {}),
        }),
      );
      for (const alarm of page.MetricAlarms ?? []) {
        // By the EndpointName dimension, not the prefix alone: "titanic-" also prefixes the
        // alarms of an endpoint "titanic-staging".
        const name = String(alarm.AlarmName);
        const ofEndpoint = (alarm.Dimensions ?? []).some((d: { Name?: string; Value?: string }) =>
          d.Name === "EndpointName" && d.Value === endpoint
        );
        if (ofEndpoint && ALARM_KINDS.some((kind) => name.endsWith(`-${kind}`))) names.push(name);
      }
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (err) {
    if (!(err instanceof DryRunNotFound)) throw err;
  }
  return names;
}

/** Deletes alarms, 100 names per call (the API's limit). */
export async function deleteAlarms(
  clients: AwsClients,
  caller: AwsCaller,
  names: readonly string[],
): Promise<void> {
  for (let i = 0; i < names.length; i += 100) {
    await caller.send(
      clients.cloudwatch,
      new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }),
    );
  }
}
