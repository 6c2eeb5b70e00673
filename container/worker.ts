/**
 * A serving Worker: receives its configuration, serves on the shared port, and reports
 * "ready", "fatal" (model not loadable) and, after a "stop", "stopped" once its in-flight
 * requests are done.
 * @module
 */

/// <reference lib="deno.worker" />

import { startUnit, type UnitConfig } from "./serve.ts";

self.onmessage = async (
  event: MessageEvent<{ type: "start"; config: UnitConfig } | { type: "stop" }>,
) => {
  if (event.data.type !== "start") return;
  const { ready, stop } = startUnit(
    event.data.config,
    (message) => self.postMessage({ type: "fatal", message }),
  );
  self.onmessage = async (next: MessageEvent<{ type: string }>) => {
    if (next.data.type !== "stop") return;
    await stop();
    self.postMessage({ type: "stopped" });
  };
  try {
    await ready;
    self.postMessage({ type: "ready" });
  } catch (err) {
    self.postMessage({ type: "fatal", message: (err as Error).message });
  }
};
