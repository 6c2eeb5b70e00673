/**
 * A serving Worker: receives its configuration, serves on the shared port, and reports
 * "ready", "fatal" (model not loadable) and, after a "stop", "stopped" once its in-flight
 * requests are done.
 * @module
 */

/// <reference lib="deno.worker" />

import { flushLog } from "./log_lines.ts";
import { startUnit, type UnitConfig } from "./serve.ts";

self.onmessage = async (
  event: MessageEvent<{ type: "start"; config: UnitConfig } | { type: "stop" }>,
) => {
  if (event.data.type !== "start") return;
  const fatal = (message: string) => {
    flushLog(); // the main thread exits on it, and a Worker's pending lines would be lost
    self.postMessage({ type: "fatal", message });
  };
  const { ready, stop } = startUnit(event.data.config, fatal);
  self.onmessage = async (next: MessageEvent<{ type: string }>) => {
    if (next.data.type !== "stop") return;
    await stop();
    flushLog();
    self.postMessage({ type: "stopped" });
  };
  try {
    await ready;
    self.postMessage({ type: "ready" });
  } catch (err) {
    fatal((err as Error).message);
  }
};
