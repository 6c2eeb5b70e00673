/**
 * A serving unit on a Worker of its own (worker.ts), seen from the main thread: started, told
 * to stop, and replaced when it dies. A dead unit is marked on the health board at once (every
 * /ping says 503 until the replacement is warm), and its Worker is terminated, so that its
 * listener leaves the port's SO_REUSEPORT group instead of taking connections nobody accepts.
 * @module
 */

import type { HealthBoard } from "./health.ts";
import type { UnitConfig } from "./serve.ts";

/** A unit replaced more often than this within a minute is a fault, not an accident. */
const MAX_RESTARTS_PER_MINUTE = 3;

export interface WorkerUnit {
  /** Settles once the first Worker is warm. */
  warm: Promise<void>;
  /** Drains and stops the unit; settles once it has. */
  stop(): Promise<void>;
}

export interface WorkerUnitHooks {
  log: (entry: Record<string, unknown>) => void;
  /** Ends the process with a fatal message (a model that cannot load, a crash loop). */
  die: (message: string) => never;
}

/** Starts the unit `config` describes on a Worker running `module` (the serving unit). */
export function startWorkerUnit(
  config: UnitConfig,
  board: HealthBoard,
  { log, die }: WorkerUnitHooks,
  module: URL = new URL("./worker.ts", import.meta.url),
): WorkerUnit {
  let warmed: () => void = () => {};
  const warm = new Promise<void>((resolve) => (warmed = resolve));
  const restarts: number[] = [];
  let stopping = false;
  let current: { worker: Worker; stopped: Promise<void> };

  const spawn = () => {
    const worker = new Worker(module, { type: "module" });
    let stopped: () => void = () => {};
    const done = new Promise<void>((resolve) => (stopped = resolve));
    worker.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
      const { type, message } = event.data;
      if (type === "fatal") die(`cannot serve ${config.modelPath}: ${message}`);
      if (type === "ready") {
        board.markAlive(config.worker);
        warmed();
      }
      if (type === "stopped") stopped();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      board.markDead(config.worker);
      worker.terminate();
      stopped();
      log({
        level: "error",
        message: "serving unit died",
        worker: config.worker,
        error: event.message,
      });
      if (stopping) return;
      const now = Date.now();
      restarts.push(now);
      while (restarts[0] < now - 60_000) restarts.shift();
      if (restarts.length > MAX_RESTARTS_PER_MINUTE) {
        die(`serving unit ${config.worker} died ${restarts.length} times within a minute`);
      }
      current = spawn();
    };
    worker.postMessage({ type: "start", config });
    return { worker, stopped: done };
  };
  current = spawn();

  return {
    warm,
    stop: async () => {
      stopping = true;
      current.worker.postMessage({ type: "stop" });
      await current.stopped;
    },
  };
}
