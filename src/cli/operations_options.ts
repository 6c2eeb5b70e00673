/**
 * The deploy options of the operations features, declared once and parsed without exiting
 * (problems collected, as deploy_options.ts does): --capture, --alarms and its thresholds,
 * --model-package.
 * @module
 */

import type { DataCaptureConfig } from "@aws-sdk/client-sagemaker";
import { type AlarmOptions, checkAlarms, DEFAULT_ALARMS } from "../deploy/alarms.ts";
import { dataCaptureConfig } from "../deploy/capture.ts";
import type { Options, Values } from "../util/command.ts";
import type { OptionValues } from "./deploy_options.ts";

/** Their declarations, spliced into deploy's options. */
export const OPERATIONS_OPTIONS = {
  "model-package": {
    type: "string",
    arg: "P",
    help: "deploy a registered version instead of --image/--model-data: its ARN, or " +
      "latest-approved (the newest approved version of --group)",
  },
  group: {
    type: "string",
    arg: "NAME",
    default: "titanic",
    help: "model package group for latest-approved",
  },
  capture: {
    type: "string",
    arg: "S3URL[,P]",
    help: "capture requests and responses to S3 (P % of them, default 100) for deno task drift",
  },
  alarms: {
    type: "boolean",
    help: "CloudWatch alarms per variant: 5xx errors, model latency p99, the container's " +
      "errors and shed requests (3 of 5 minutes over threshold)",
  },
  "alarm-topic": { type: "string", arg: "ARN", help: "SNS topic notified on ALARM and OK" },
  "alarm-server-errors": threshold("Invocation5XXErrors per minute", DEFAULT_ALARMS.errors5xx),
  "alarm-latency-ms": threshold("ModelLatency p99 (ms)", DEFAULT_ALARMS.latencyP99Ms),
  "alarm-errors": threshold("container error answers per minute", DEFAULT_ALARMS.containerErrors),
  "alarm-shed": threshold("requests shed per minute", DEFAULT_ALARMS.shed),
} as const satisfies Options;

/** An alarm threshold: set only with --alarms, so its default is shown, not filled in. */
function threshold(help: string, shown: number) {
  return { type: "number", arg: "N", min: 0, shownDefault: String(shown), help } as const;
}

type AlarmValues = Partial<Values<typeof OPERATIONS_OPTIONS>>;

/** --capture as DataCaptureConfig (undefined when absent). */
export function captureFromOptions(
  values: OptionValues,
  problems: string[],
): DataCaptureConfig | undefined {
  if (typeof values.capture !== "string") return undefined;
  try {
    return dataCaptureConfig(values.capture);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
}

/** --alarms and its thresholds (undefined without --alarms), checked as CloudWatch takes them. */
export function alarmsFromOptions(
  values: AlarmValues,
  problems: string[],
): AlarmOptions | undefined {
  const thresholds = [
    "alarm-topic",
    "alarm-server-errors",
    "alarm-latency-ms",
    "alarm-errors",
    "alarm-shed",
  ] as const;
  if (!values.alarms) {
    const stray = thresholds.find((name) => values[name] !== undefined);
    if (stray) problems.push(`--${stray} needs --alarms`);
    return undefined;
  }
  const topic = values["alarm-topic"];
  if (
    topic !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topic)
  ) {
    problems.push(`--alarm-topic "${topic}": must be an SNS topic ARN`);
  }
  const alarms = {
    ...DEFAULT_ALARMS,
    ...(topic ? { topic } : {}),
    errors5xx: values["alarm-server-errors"] ?? DEFAULT_ALARMS.errors5xx,
    latencyP99Ms: values["alarm-latency-ms"] ?? DEFAULT_ALARMS.latencyP99Ms,
    containerErrors: values["alarm-errors"] ?? DEFAULT_ALARMS.containerErrors,
    shed: values["alarm-shed"] ?? DEFAULT_ALARMS.shed,
  };
  problems.push(...checkAlarms(alarms));
  return alarms;
}
