import assert from "node:assert/strict";
import { HealthBoard } from "../container/health.ts";
import { metricsConfigFromEnv } from "../container/metrics.ts";
import { startUnit } from "../container/serve.ts";

/**
 * A serving unit on this thread whose two scoring Workers are stand-ins that block their own
 * thread on a body that says "stuck": the unit's thread, which answers /ping, must not be the
 * one that waits; the other Worker goes on answering, and the stuck one is still reported.
 */
Deno.test("ping isolation: /ping is answered while a scoring Worker is stuck and the other answers, says 503 once it is wedged, 200 once it recovers", async () => {
  const board = new HealthBoard(1);
  const fatal: string[] = [];
  const unit = startUnit({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: false,
    modelPath: new URL("../models/titanic.onnx", import.meta.url).pathname,
    threads: 1,
    scorers: 2,
    maxPayloadBytes: 6 * 1024 * 1024,
    maxConcurrentTransforms: 1,
    bodyTimeoutMs: 60_000,
    admission: { maxRequests: 16, maxBodyBytes: 64 * 1024 * 1024 },
    clients: {
      maxConnections: 100,
      headerTimeoutMs: 10_000,
      keepAliveTimeoutMs: 75_000,
      bodyMinBytesPerSecond: 1024,
    },
    worker: 0,
    health: board.buffer,
    metrics: { ...metricsConfigFromEnv(() => undefined), emf: false },
    scoringModule: new URL("./fixtures/stuck_scorer.ts", import.meta.url).href,
  }, (message) => fatal.push(message));
  const url = `http://127.0.0.1:${unit.connections.addr.port}`;
  const ping = async () => {
    const res = await fetch(`${url}/ping`);
    return { status: res.status, body: await res.text() };
  };
  const invoke = async (body: string) => {
    const res = await fetch(`${url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, body: await res.text() };
  };
  try {
    await unit.ready;
    assert.equal((await ping()).status, 200);
    let settled = false;
    const stuck = invoke('[{"Pclass":3,"Sex":"male","Name":"stuck"}]').finally(() => {
      settled = true;
    });
    // The scoring thread is blocked for 8 s from here on; this thread answers meanwhile. Small
    // bodies are packed onto the first Worker until it has answered nothing for 2 ms
    // (answer_pool.ts): what comes after that goes to the other one.
    await new Promise((r) => setTimeout(r, 50));
    const pings: { status: number; body: string }[] = [];
    const others: number[] = [];
    while (!settled) {
      others.push((await invoke('[{"Pclass":1,"Sex":"female"}]')).status);
      pings.push(await ping());
      if (pings.at(-1)!.status === 503) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(!settled, "the stuck request was still being scored when /ping said 503");
    assert.ok(pings.length >= 10, `pings answered while scoring was stuck: ${pings.length}`);
    assert.ok(pings.slice(0, -1).every((p) => p.status === 200), JSON.stringify(pings));
    // The pool sent them to the Worker that was not stuck.
    assert.ok(others.every((status) => status === 200), JSON.stringify(others));
    assert.match(
      pings.at(-1)!.body,
      /serving unit 0's scoring workers: one has finished nothing for 5\.\d s/,
    );
    const answer = await stuck;
    assert.equal(answer.status, 200, answer.body);
    assert.equal((await ping()).status, 200, "recovered: /ping says 200 again");
    assert.deepEqual(fatal, []);
  } finally {
    await unit.stop();
  }
});
