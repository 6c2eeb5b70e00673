/**
 * The server's own metrics, two ways: one CloudWatch Embedded Metric Format (EMF) line on stdout
 * per /invocations answer (SageMaker sends a container's stdout to CloudWatch Logs, which turns
 * such lines into metrics: no agent, no API call), and `GET /metrics` in Prometheus text format
 * for where the image runs outside SageMaker. Figures: latency, records, share predicted to
 * survive, errors by kind, requests shed by admission control.
 *
 * Counters live in a SharedArrayBuffer that every serving unit (thread) adds to, so /metrics
 * shows the whole process whichever unit answers it.
 * @module
 */

import { logLine } from "./log_lines.ts";

/**
 * Error codes the server answers with (container/app.ts, payload.ts); others count as "other".
 * Admission control's "overloaded" is not an error here: it counts as a shed request.
 */
export const ERROR_KINDS = [
  "malformed_json",
  "malformed_csv",
  "invalid_payload",
  "invalid_field",
  "invalid_encoding",
  "incomplete_body",
  "empty_payload",
  "payload_too_large",
  "request_timeout",
  "unsupported_media_type",
  "unsupported_charset",
  "invalid_content_type",
  "not_acceptable",
  "not_found",
  "method_not_allowed",
  "not_ready",
  "shutting_down",
  "internal_error",
  "other",
] as const;

/** Upper bounds (seconds) of the latency histogram's buckets. */
export const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** The error code of admission control's 503 (container/admission.ts): counted as shed. */
export const SHED_CODE = "overloaded";

// Slots of the shared counters (BigInt64, added to with Atomics).
const REQUESTS = 0;
const BY_CLASS = 1; // 2xx, 4xx, 5xx
const RECORDS = 4;
const SURVIVORS = 5;
const SHED = 6;
const LATENCY_US = 7;
const BUCKETS = 8;
const KINDS = BUCKETS + LATENCY_BUCKETS.length + 1;
const SLOTS = KINDS + ERROR_KINDS.length;

/** Where the EMF metrics go and under which dimensions. */
export interface MetricsConfig {
  namespace: string;
  dimensions: Record<string, string>;
  /** Write EMF lines (METRICS_EMF=0 turns them off; /metrics stays). */
  emf: boolean;
  /** Shared by every serving unit (see {@link sharedCounters}). */
  counters: SharedArrayBuffer;
}

/** Memory for the counters, created once by the main thread and handed to every unit. */
export function sharedCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * 8);
}

/**
 * Namespace and dimensions from the environment: METRICS_NAMESPACE (default
 * "Titanic/Inference"), METRICS_DIMENSIONS ("Name=value,..."; default EndpointName and
 * VariantName from ENDPOINT_NAME and VARIANT_NAME, which deploy sets on the model, else
 * "local"), METRICS_EMF ("0": no EMF lines).
 */
export function metricsConfigFromEnv(env: (name: string) => string | undefined): MetricsConfig {
  const dimensions: Record<string, string> = {};
  const spec = env("METRICS_DIMENSIONS");
  if (spec !== undefined && spec.trim() !== "") {
    for (const pair of spec.split(",")) {
      const [name, ...value] = pair.split("=");
      if (!name.trim() || value.length === 0) {
        throw new Error(`METRICS_DIMENSIONS: "${pair}" is not Name=value`);
      }
      dimensions[name.trim()] = value.join("=").trim();
    }
  } else {
    dimensions.EndpointName = env("ENDPOINT_NAME") || "local";
    dimensions.VariantName = env("VARIANT_NAME") || "local";
  }
  if (Object.keys(dimensions).length > 29) {
    throw new Error("METRICS_DIMENSIONS: EMF allows at most 29 dimensions");
  }
  return {
    namespace: env("METRICS_NAMESPACE") || "Titanic/Inference",
    dimensions,
    emf: env("METRICS_EMF") !== "0",
    counters: sharedCounters(),
  };
}

/** One /invocations answer. */
export interface Answer {
  status: number;
  latencyMs: number;
  records: number;
  /** Records predicted to survive. */
  survived: number;
  /** The error code of a 4xx/5xx answer. */
  error?: string;
}

export interface Metrics {
  /** Counts an answer and writes its EMF line. */
  observe(answer: Answer): void;
  /**
   * For admission control: `count` requests refused without an answer passing through
   * {@link Metrics.observe} (an answer with error "overloaded" is counted as shed by observe).
   */
  shed(count?: number): void;
  /** The counters in Prometheus text format (version 0.0.4). */
  prometheus(): string;
}

const kindIndex = new Map<string, number>(ERROR_KINDS.map((k, i) => [k, i]));

/** Metrics of one serving unit, adding to the shared counters. */
export function createMetrics(
  config: MetricsConfig,
  write: (line: string) => void = logLine,
  now: () => number = Date.now,
): Metrics {
  const counters = new BigInt64Array(config.counters);
  const add = (slot: number, n: number | bigint) => Atomics.add(counters, slot, BigInt(n));
  const dimensionNames = Object.keys(config.dimensions);
  let pendingShed = 0;

  const emit = (answer: Answer | undefined, shed: number) => {
    if (!config.emf) return;
    const metrics: { Name: string; Unit: string }[] = [];
    const values: Record<string, number | string> = {};
    if (answer) {
      const failed = answer.status >= 400;
      metrics.push(
        { Name: "Latency", Unit: "Milliseconds" },
        { Name: "Records", Unit: "Count" },
        { Name: "Errors", Unit: "Count" },
        { Name: "ClientErrors", Unit: "Count" },
        { Name: "ServerErrors", Unit: "Count" },
      );
      values.Latency = Math.round(answer.latencyMs * 1000) / 1000; // as the log's latency_ms
      values.Records = answer.records;
      values.Errors = failed ? 1 : 0;
      values.ClientErrors = answer.status >= 400 && answer.status < 500 ? 1 : 0;
      values.ServerErrors = answer.status >= 500 ? 1 : 0;
      if (answer.records > 0) {
        metrics.push({ Name: "SurvivalShare", Unit: "None" });
        values.SurvivalShare = Math.round((answer.survived / answer.records) * 1e6) / 1e6;
      }
      values.StatusCode = answer.status;
      if (answer.error) values.ErrorKind = answer.error;
    }
    metrics.push({ Name: "RequestsShed", Unit: "Count" });
    values.RequestsShed = shed;
    const directives = [{
      Namespace: config.namespace,
      Dimensions: [dimensionNames],
      Metrics: metrics,
    }];
    // Errors also by kind: the same value under one more dimension.
    if (answer?.error) {
      directives.push({
        Namespace: config.namespace,
        Dimensions: [[...dimensionNames, "ErrorKind"]],
        Metrics: [{ Name: "Errors", Unit: "Count" }],
      });
    }
    write(JSON.stringify({
      _aws: { Timestamp: now(), CloudWatchMetrics: directives },
      ...config.dimensions,
      ...values,
    }));
  };

  // Shed requests are reported with the next answer, or within a second when none comes.
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  const flushShed = () => {
    flushTimer = undefined;
    if (pendingShed === 0) return;
    const shed = pendingShed;
    pendingShed = 0;
    emit(undefined, shed);
  };

  return {
    observe(answer) {
      if (answer.error === SHED_CODE) {
        // Admission control's refusal: a request shed, not an error of the model's.
        add(SHED, 1);
        emit(undefined, pendingShed + 1);
        pendingShed = 0;
        return;
      }
      add(REQUESTS, 1);
      add(BY_CLASS + (answer.status >= 500 ? 2 : answer.status >= 400 ? 1 : 0), 1);
      add(RECORDS, answer.records);
      add(SURVIVORS, answer.survived);
      add(LATENCY_US, Math.round(answer.latencyMs * 1000));
      const seconds = answer.latencyMs / 1000;
      let bucket = LATENCY_BUCKETS.findIndex((b) => seconds <= b);
      if (bucket < 0) bucket = LATENCY_BUCKETS.length;
      add(BUCKETS + bucket, 1);
      if (answer.error) add(KINDS + (kindIndex.get(answer.error) ?? kindIndex.get("other")!), 1);
      const shed = pendingShed;
      pendingShed = 0;
      emit(answer, shed);
    },
    shed(count = 1) {
      add(SHED, count);
      pendingShed += count;
      if (flushTimer === undefined && config.emf) {
        const timer = setTimeout(flushShed, 1000);
        Deno.unrefTimer(timer);
        flushTimer = timer;
      }
    },
    prometheus() {
      const read = (slot: number) => Atomics.load(counters, slot).toString();
      const labels = Object.entries(config.dimensions).map(([k, v]) =>
        `${k.replace(/[^a-zA-Z0-9_]/g, "_")}="${
          v.replace(/["\\\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`)
        }"`
      );
      const withLabels = (extra: string[] = []) => `{${[...labels, ...extra].join(",")}}`;
      const lines: string[] = [];
      const family = (name: string, type: string, help: string) =>
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      family("titanic_invocations_total", "counter", "/invocations answers by status class");
      ["2xx", "4xx", "5xx"].forEach((c, i) =>
        lines.push(
          `titanic_invocations_total${withLabels([`status="${c}"`])} ${read(BY_CLASS + i)}`,
        )
      );
      family("titanic_records_total", "counter", "passenger records scored");
      lines.push(`titanic_records_total${withLabels()} ${read(RECORDS)}`);
      family("titanic_predicted_survivors_total", "counter", "records predicted to survive");
      lines.push(`titanic_predicted_survivors_total${withLabels()} ${read(SURVIVORS)}`);
      family("titanic_errors_total", "counter", "/invocations errors by kind");
      ERROR_KINDS.forEach((kind, i) =>
        lines.push(`titanic_errors_total${withLabels([`kind="${kind}"`])} ${read(KINDS + i)}`)
      );
      family("titanic_requests_shed_total", "counter", "requests refused by admission control");
      lines.push(`titanic_requests_shed_total${withLabels()} ${read(SHED)}`);
      family("titanic_latency_seconds", "histogram", "/invocations latency");
      let cumulative = 0n;
      for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
        cumulative += Atomics.load(counters, BUCKETS + i);
        const le = i < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[i]) : "+Inf";
        lines.push(`titanic_latency_seconds_bucket${withLabels([`le="${le}"`])} ${cumulative}`);
      }
      lines.push(
        `titanic_latency_seconds_sum${withLabels()} ${
          Number(Atomics.load(counters, LATENCY_US)) / 1e6
        }`,
        `titanic_latency_seconds_count${withLabels()} ${read(REQUESTS)}`,
      );
      return lines.join("\n") + "\n";
    },
  };
}
