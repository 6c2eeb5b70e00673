/**
 * One serving unit: an HTTP listener with the SageMaker handlers, whose thread only moves bytes
 * and answers /ping, and the Workers that do the work: `scorers` scoring Workers (each its own
 * onnxruntime session; every body up to 256 KB) and as many offload Workers (larger bodies,
 * each started when one comes). The main thread runs the first unit; past 4 scoring Workers
 * (SCORERS_PER_UNIT) more units run on Workers on the same port (SO_REUSEPORT), so that one
 * thread's I/O does not limit a large machine.
 * @module
 */

import { Admission, type AdmissionLimits } from "./admission.ts";
import { createHandler, type ModelSlot } from "./app.ts";
import { type Connections, serveConnections } from "./connections.ts";
import { HealthBoard, startBeating } from "./health.ts";
import type { ClientLimits } from "./limits.ts";
import { idleStoppingOffload } from "./offload.ts";
import { releaseIdleMemory, releaseWhenIdle, residentMb } from "./memory.ts";
import { createMetrics, type MetricsConfig } from "./metrics.ts";
import { startScoring } from "./scoring.ts";
import { type Packing, startPool } from "./answer_pool.ts";
import { utf8Bytes } from "./offload.ts";
import { flushLog, logLine } from "./log_lines.ts";

export interface UnitConfig {
  hostname: string;
  port: number;
  reusePort: boolean;
  modelPath: string;
  /** onnxruntime threads per prediction. */
  threads: number;
  /** This unit's scoring Workers, and its offload Workers at most. */
  scorers: number;
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
  /** The scoring Worker's module (default scoring_worker.ts; tests give a stand-in). */
  scoringModule?: string;
}

/**
 * One JSON line of the server's log. A request's line waits with the others (log_lines.ts); an
 * event's (it has a `message`: start-up, errors, shutdown) is written at once, with what
 * waited before it.
 */
export const log = (entry: Record<string, unknown>) => {
  logLine(JSON.stringify(entry));
  if ("message" in entry) flushLog();
};

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

const WARM_UP_BODY = '[{"Pclass":3,"Sex":"male"}]';

/**
 * Bodies go to the unit's first scoring Worker while it has less than 16 KB in progress (about
 * 100 records, half a millisecond of work) and answered something within the last 2 ms
 * (answer_pool.ts). On 2 cores, 1-record bodies under 16 connections: 7,118 against 6,266
 * req/s spread by bodies in progress, 0.193 against 0.229 ms CPU per request (6 alternated
 * rounds).
 */
const PACKING: Packing = { bytes: 16 * 1024, stallMs: 2 };

/**
 * Starts listening at once (/ping says 503) and loads the model; `fatal` hears of a unit that
 * cannot go on (its scoring Worker keeps dying).
 */
export function startUnit(config: UnitConfig, fatal: (message: string) => void): Unit {
  const started = performance.now();
  const slot: ModelSlot = { loaded: false };
  const board = new HealthBoard(config.health);
  const stopBeating = startBeating(board, config.worker);
  const scoringPool = startPool(
    config.scorers,
    (_, onProgress) =>
      startScoring(config.modelPath, config.threads, {
        onProgress,
        log: (entry) => log({ ...entry, worker: config.worker }),
        onCrashLoop: fatal,
      }, config.scoringModule ? new URL(config.scoringModule) : undefined),
    (since) => board.scoringSince(config.worker, since),
    Date.now,
    PACKING,
  );
  const scoring = {
    answer: scoringPool.answer,
    stop: scoringPool.stop,
    ready: Promise.all(scoringPool.members.map((m) => m.ready)).then((infos) => infos[0]),
  };
  // Each started with a large body, stopped once idle: a unit that sees none costs no more
  // sessions.
  const offload = startPool(
    config.scorers,
    (_, onProgress) =>
      idleStoppingOffload(config.modelPath, config.threads, {
        onStopped: releaseIdleMemory,
        onProgress,
      }),
    (since) => board.offloadSince(config.worker, since),
  );
  const handler = createHandler(slot, {
    answerSmall: scoring.answer,
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
      const problem = slot.loaded ? board.problem() : "the model is loading";
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
  const warmUp = async () => {
    const out = await scoring.answer(
      utf8Bytes(WARM_UP_BODY),
      "application/json",
      "application/json",
    );
    if (out.records !== 1) throw new Error("warm-up prediction returned nothing");
  };
  const ready = (async () => {
    // The scoring Worker loads the model and warms it up before it says it is ready.
    const info = await scoring.ready;
    slot.loaded = true;
    board.markAlive(config.worker);
    log({
      level: "info",
      message: "model loaded",
      worker: config.worker,
      model: config.modelPath,
      preset: info.preset,
      sha256: info.sha256,
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
    await Promise.all([offload.stop(), scoring.stop()]);
  };
  return {
    connections,
    ready,
    warmUp: async () => {
      await ready;
      await warmUp();
    },
    stop,
  };
}
