/**
 * The deploy options of the operations features, parsed without exiting (problems collected,
 * as deploy_options.ts does): --capture, --alarms and its thresholds, --model-package.
 * @module
 */

import type { DataCaptureConfig } from "@aws-sdk/client-sagemaker";
import { type AlarmOptions, DEFAULT_ALARMS } from "../deploy/alarms.ts";
import { dataCaptureConfig } from "../deploy/capture.ts";
import type { OptionValues } from "./deploy_options.ts";

/** parseCli's definitions of these options, to spread into deploy's. */
export const OPERATIONS_OPTIONS = {
  capture: { type: "string" },
  alarms: { type: "boolean" },
  "alarm-topic": { type: "string" },
  "alarm-server-errors": { type: "string" },
  "alarm-latency-ms": { type: "string" },
  "alarm-errors": { type: "string" },
  "alarm-shed": { type: "string" },
  "model-package": { type: "string" },
  group: { type: "string" },
} as const;

export const OPERATIONS_USAGE = `
  --model-package P        deploy a registered version instead of --image/--model-data: its
                           ARN, or latest-approved (the newest approved version of --group)
  --group NAME             model package group for latest-approved (default: titanic)
  --capture S3URL[,P]      capture requests and responses to S3 (P % of them, default 100)
                           for deno task drift
  --alarms                 CloudWatch alarms per variant: 5xx errors, model latency p99, the
                           container's errors and shed requests (3 of 5 minutes over threshold)
  --alarm-topic ARN        SNS topic notified on ALARM and OK
  --alarm-server-errors N  Invocation5XXErrors per minute (default: ${DEFAULT_ALARMS.errors5xx})
  --alarm-latency-ms MS    ModelLatency p99 (default: ${DEFAULT_ALARMS.latencyP99Ms})
  --alarm-errors N         container error answers per minute (default: ${DEFAULT_ALARMS.containerErrors})
  --alarm-shed N           requests shed per minute (default: ${DEFAULT_ALARMS.shed})`;

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

/** --alarms and its thresholds (undefined without --alarms). */
export function alarmsFromOptions(
  values: OptionValues,
  problems: string[],
): AlarmOptions | undefined {
  const thresholds = [
    "alarm-topic",
    "alarm-server-errors",
    "alarm-latency-ms",
    "alarm-errors",
    "alarm-shed",
  ];
  if (!values.alarms) {
    const stray = thresholds.find((name) => values[name] !== undefined);
    if (stray) problems.push(`--${stray} needs --alarms`);
    return undefined;
  }
  const threshold = (name: string, fallback: number) => {
    const value = values[name];
    if (value === undefined) return fallback;
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    if (!(n >= 0)) problems.push(`--${name} "${value}": must be a number >= 0`);
    return n;
  };
  const topic = typeof values["alarm-topic"] === "string" ? values["alarm-topic"] : undefined;
  if (
    topic !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topic)
  ) {
    problems.push(`--alarm-topic "${topic}": must be an SNS topic ARN`);
  }
  return {
    ...DEFAULT_ALARMS,
    ...(topic ? { topic } : {}),
    errors5xx: threshold("alarm-server-errors", DEFAULT_ALARMS.errors5xx),
    latencyP99Ms: threshold("alarm-latency-ms", DEFAULT_ALARMS.latencyP99Ms),
    containerErrors: threshold("alarm-errors", DEFAULT_ALARMS.containerErrors),
    shed: threshold("alarm-shed", DEFAULT_ALARMS.shed),
  };
}
