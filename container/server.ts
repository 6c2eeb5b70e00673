/**
 * The inference server: `deno task serve` locally, `IMAGE serve` in the container.
 * Listens at once (/ping says 503), loads and verifies the model, warms it up, then serves.
 * Needs only the ONNX file, its card and onnxruntime-node: no polars, no training code.
 * @module
 */

import { join } from "node:path";
import { admissionLimits, clientLimits, workersPerUnit } from "./limits.ts";
import { releaseStartupMemory, residentMb } from "./memory.ts";
import { metricsConfigFromEnv } from "./metrics.ts";
import { HealthBoard } from "./health.ts";
import { flushLog } from "./log_lines.ts";
import { log, startUnit } from "./serve.ts";
import { startWorkerUnit } from "./worker_unit.ts";
import { command } from "./serve_command.ts";
import { parseOrExit } from "../src/util/command.ts";

function die(message: string): never {
  log({ level: "fatal", message });
  flushLog();
  Deno.exit(1);
}

/** The model file: --model, else a *.onnx in the SageMaker model dir, else the baked one. */
async function findModel(explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const dir = Deno.env.get("MODEL_DIR") ?? "/opt/ml/model";
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".onnx")) names.push(entry.name);
    }
    if (names.length > 0) return join(dir, names.sort()[0]);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      die(`cannot read model directory ${dir}: ${(err as Error).message}`);
    }
  }
  return new URL("../models/titanic.onnx", import.meta.url).pathname;
}

// Options and environment are validated before anything starts (exit 2 naming the problem).
const { values, env } = parseOrExit(command);
const port = values.port;
const maxPayloadMb = env.SAGEMAKER_MAX_PAYLOAD_IN_MB;
const timeoutSeconds = env.SAGEMAKER_MODEL_SERVER_TIMEOUT;
const cpus = navigator.hardwareConcurrency || 1;
// Scoring Workers, each with its own onnxruntime session (and as many offload Workers at most).
const workers = env.SAGEMAKER_MODEL_SERVER_WORKERS ?? cpus;
// onnxruntime runs block their thread: split the cores between the scoring Workers.
const threads = env.MODEL_THREADS ?? Math.max(1, Math.floor(cpus / workers));
// Serving units (threads that move bytes and answer /ping), each with its share of Workers.
const scorersOf = workersPerUnit(workers, env.SCORERS_PER_UNIT);
const units = scorersOf.length;
const modelPath = await findModel(values.model as string | undefined);
const maxPayloadBytes = Math.floor(maxPayloadMb * 1024 * 1024);
// Each unit's budget follows the Workers it holds.
let unitLimits: ReturnType<typeof admissionLimits>[];
try {
  unitLimits = scorersOf.map((scorers) =>
    admissionLimits((name) => Deno.env.get(name), units, maxPayloadBytes, scorers)
  );
} catch (err) {
  die((err as Error).message);
}
const limits = unitLimits[0];
const admissionOf = (unit: number) => ({
  maxRequests: unitLimits[unit].maxRequests,
  maxBodyBytes: unitLimits[unit].maxBodyBytes,
});
let clients: ReturnType<typeof clientLimits>;
try {
  clients = clientLimits((name) => Deno.env.get(name));
} catch (err) {
  die((err as Error).message);
}
// What Batch Transform may send at once: one full-size body per offload Worker, which every unit
// admits whatever its budget (admission.ts); more would only queue behind the CPUs.
const maxConcurrentTransforms = workers;
log({
  level: "info",
  message: "admission limits per serving unit",
  units,
  scoring_workers: scorersOf,
  max_requests: limits.maxRequests,
  max_body_mb: Math.round(limits.maxBodyBytes / 1024 / 1024 * 10) / 10,
  memory_mb: Math.round(limits.memoryBytes / 1024 / 1024),
  memory_source: limits.memorySource,
  max_concurrent_transforms: maxConcurrentTransforms,
  max_connections: clients.maxConnections,
  header_timeout_s: clients.headerTimeoutMs / 1000,
  keepalive_timeout_s: clients.keepAliveTimeoutMs / 1000,
  body_min_rate_kb: clients.bodyMinBytesPerSecond / 1024,
});
let metrics;
try {
  metrics = metricsConfigFromEnv((name) => Deno.env.get(name));
} catch (err) {
  die((err as Error).message);
}

// Every unit writes its heartbeat here and reads the others' when it answers /ping.
const board = new HealthBoard(units);
for (let unit = 0; unit < units; unit++) board.markLoading(unit);
const base = {
  health: board.buffer,
  hostname: (values.host as string | undefined) ?? "0.0.0.0",
  reusePort: units > 1,
  modelPath,
  threads,
  maxPayloadBytes,
  maxConcurrentTransforms,
  bodyTimeoutMs: timeoutSeconds * 1000,
  clients,
  metrics,
};
// The main thread serves too; it binds first, so that a port of 0 becomes a real one the
// workers share.
const main = startUnit(
  { ...base, port, worker: 0, scorers: scorersOf[0], admission: admissionOf(0) },
  (message) => die(`serving unit 0: ${message}`),
);
const extra = Array.from(
  { length: units - 1 },
  (_, i) =>
    startWorkerUnit(
      {
        ...base,
        port: main.connections.addr.port,
        worker: i + 1,
        scorers: scorersOf[i + 1],
        admission: admissionOf(i + 1),
      },
      board,
      { log, die },
    ),
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log({ level: "info", message: "shutting down: finishing in-flight requests", signal });
  setTimeout(() => die("shutdown took longer than 20 s"), 20_000);
  await Promise.all([main.stop(), ...extra.map((unit) => unit.stop())]);
  log({ level: "info", message: "stopped" });
  flushLog();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));

try {
  await main.ready;
} catch (err) {
  die(`cannot serve ${modelPath}: ${(err as Error).message}`);
}

// Every unit warm: give start-up memory back (see memory.ts), then run inference once more so
// that its code is resident again before the first request needs it.
await Promise.all(extra.map((w) => w.warm));
if (!stopping) {
  const before = residentMb();
  const t0 = performance.now();
  const release = Deno.env.get("RELEASE_STARTUP_MEMORY") === "0"
    ? { segments: 0, skipped: "RELEASE_STARTUP_MEMORY=0" }
    : await releaseStartupMemory();
  const releaseMs = performance.now() - t0;
  await main.warmUp();
  const after = residentMb();
  log({
    level: "info",
    message: release.skipped
      ? `start-up memory kept: ${release.skipped}`
      : "start-up memory released",
    segments: release.segments,
    rss_mb_before: Math.round(before),
    rss_mb_after: Math.round(after),
    release_ms: Math.round(releaseMs * 10) / 10,
    warm_up_ms: Math.round((performance.now() - t0 - releaseMs) * 10) / 10,
  });
}
