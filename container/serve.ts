/**
 * One serving unit: an HTTP listener with the SageMaker handlers and its own onnxruntime
 * session. The main process runs one; with several workers each Worker runs another on the
 * same port (SO_REUSEPORT), so that request parsing and inference use every core.
 * @module
 */

import { columnsFromRecords } from "../src/codec/columns.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { OnnxModel } from "../src/inference/model.ts";
import { Admission, type AdmissionLimits } from "./admission.ts";
import { createHandler, type ModelSlot } from "./app.ts";
import { type Connections, serveConnections } from "./connections.ts";
import { HealthBoard, startBeating } from "./health.ts";
import type { ClientLimits } from "./limits.ts";
import { idleStoppingOffload } from "./offload.ts";
import { releaseIdleMemory, releaseWhenIdle, residentMb } from "./memory.ts";
import { createMetrics, type MetricsConfig } from "./metrics.ts";

export interface UnitConfig {
  hostname: string;
  port: number;
  reusePort: boolean;
  modelPath: string;
  /** onnxruntime threads per prediction. */
  threads: number;
  maxPayloadBytes: number;
  maxConcurrentTransforms: number;
  bodyTimeoutMs: number;
  /** This unit's bound on requests and body bytes in progress. */
  admission: AdmissionLimits;
  /** This unit's bounds on connections and slow clients. */
  clients: ClientLimits;
  /** 0 for the main thread, 1.. for workers. */
  worker: number;
  /** The health board every unit shares (health.ts); this unit writes slot `worker`. */
  health: SharedArrayBuffer;
  /** EMF and /metrics; the counters are shared by every unit. */
  metrics: MetricsConfig;
}

export const log = (entry: Record<string, unknown>) => console.log(JSON.stringify(entry));

/**
 * A running unit: `ready` settles after warm-up; `warmUp` runs one more prediction (after
 * start-up memory was released); `stop` drains, then closes the listener.
 */
export interface Unit {
  connections: Connections;
  ready: Promise<void>;
  warmUp(): Promise<void>;
  stop(): Promise<void>;
}

/** One real prediction, so that every code path of inference has run (and is resident). */
async function warmUp(model: OnnxModel): Promise<void> {
  const out = await model.predict(
    encodeInputs(columnsFromRecords([{ Pclass: 3, Sex: "male" }]), model.inputNames),
  );
  if (out.labels.length !== 1) throw new Error("warm-up prediction returned nothing");
}

/** Starts listening at once (/ping says 503) and loads the model. */
export function startUnit(config: UnitConfig): Unit {
  const started = performance.now();
  const slot: ModelSlot = {};
  // Started with the first large body, stopped once idle: a unit that sees none costs no
  // second session.
  const board = new HealthBoard(config.health);
  const stopBeating = startBeating(board, config.worker);
  const offload = idleStoppingOffload(config.modelPath, config.threads, {
    onStopped: releaseIdleMemory,
    onProgress: (pending) => board.offloadProgress(config.worker, pending),
  });
  const handler = createHandler(slot, {
    answerLarge: offload.answer,
    maxPayloadBytes: config.maxPayloadBytes,
    maxConcurrentTransforms: config.maxConcurrentTransforms,
    bodyTimeoutMs: config.bodyTimeoutMs,
    bodyMinBytesPerSecond: config.clients.bodyMinBytesPerSecond,
    bodyGraceMs: config.clients.headerTimeoutMs,
    admission: new Admission(config.admission),
    log,
    metrics: createMetrics(config.metrics),
    health: () => board.problem(),
  });
  const connections = serveConnections({
    hostname: config.hostname,
    port: config.port,
    reusePort: config.reusePort,
    limits: config.clients,
    handler,
    health: () => {
      const problem = slot.model ? board.problem() : "the model is loading";
      return problem
        ? { status: 503, body: JSON.stringify({ error: "unhealthy", message: problem }) }
        : { status: 200, body: "" };
    },
    onError: () => new Response(null, { status: 500 }),
  });
  if (config.worker === 0) {
    const { hostname, port } = connections.addr;
    log({ level: "info", message: "listening", hostname, port });
  }
  let stopReleasing = () => {};
  const ready = (async () => {
    const model = await OnnxModel.load(config.modelPath, undefined, {
      intraOpThreads: config.threads,
    });
    await warmUp(model); // before /ping may say 200
    slot.model = model;
    log({
      level: "info",
      message: "model loaded",
      worker: config.worker,
      model: config.modelPath,
      preset: model.card.preset,
      sha256: model.sha256,
      threads: config.threads,
      load_ms: Math.round(performance.now() - started),
    });
    // After a burst, the memory it used goes back to the OS once the unit is idle for a second
    // (and the process has grown by 8 MB since its lowest idle reading).
    stopReleasing = releaseWhenIdle(handler, () => {
      releaseIdleMemory();
      log({
        level: "info",
        message: "idle: memory released",
        worker: config.worker,
        rss_mb: Math.round(residentMb()),
      });
    });
  })();
  const stop = async () => {
    stopReleasing();
    await handler.drain();
    stopBeating();
    await connections.shutdown();
    await offload.stop();
  };
  return {
    connections,
    ready,
    warmUp: async () => {
      await ready;
      await warmUp(slot.model!);
    },
    stop,
  };
}
