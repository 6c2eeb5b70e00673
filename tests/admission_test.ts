/**
 * Admission control: the budget itself, its defaults from memory, and the real server
 * refusing past its budget before reading a body (503, Retry-After, JSON), while /ping stays
 * 200 and small requests still fit.
 */

import assert from "node:assert/strict";
import { Admission } from "../container/admission.ts";
import {
  defaultLimits,
  memoryLimit,
  PEAK_BYTES_PER_BODY_BYTE,
  workersPerUnit,
} from "../container/limits.ts";
import { invoke, startServer } from "./server_helpers.ts";

const MB = 1024 * 1024;

Deno.test("admission: requests and bytes are bounded, and released", () => {
  const budget = new Admission({ maxRequests: 3, maxBodyBytes: 10 });
  const big = budget.admit(20); // alone: admitted whatever its size
  assert.ok(big);
  assert.equal(budget.admit(1), undefined, "bytes already past the budget");
  big.release();
  big.release(); // twice: no effect
  assert.deepEqual([budget.requests, budget.bodyBytes], [0, 0]);
  const a = budget.admit(6)!;
  assert.equal(budget.admit(5), undefined, "6 + 5 > 10");
  const b = budget.admit(4)!;
  const c = budget.admit(0)!; // chunked: charged as it arrives
  assert.equal(c.grow(1), false, "10 + 1 > 10");
  assert.equal(budget.admit(0), undefined, "3 requests");
  a.release();
  assert.equal(c.grow(5), true);
  assert.deepEqual([budget.requests, budget.bodyBytes], [2, 9]);
  b.release();
  c.release();
  assert.deepEqual([budget.requests, budget.bodyBytes], [0, 0]);
});

Deno.test("admission: scoring Workers are split between as few units as hold them, evenly", () => {
  const cases: [number, number, number[]][] = [
    [1, 4, [1]],
    [2, 4, [2]],
    [4, 4, [4]],
    [5, 4, [3, 2]],
    [9, 4, [3, 3, 3]],
    [10, 4, [4, 3, 3]],
    [2, 1, [1, 1]],
  ];
  for (const [workers, perUnit, split] of cases) {
    assert.deepEqual(workersPerUnit(workers, perUnit), split, `${workers} by ${perUnit}`);
  }
});

Deno.test("admission: defaults keep the admitted bodies' peak within the memory limit", () => {
  for (const gib of [1, 4, 8]) {
    for (const units of [1, 2, 4]) {
      for (const perUnit of [1, 2, 4]) {
        const memory = gib * 1024 * MB;
        const { maxBodyBytes } = defaultLimits(memory, units, 6 * MB, perUnit);
        assert.ok(maxBodyBytes >= perUnit * 6 * MB, "each offload Worker takes a full-size body");
        const peak = units * maxBodyBytes * PEAK_BYTES_PER_BODY_BYTE;
        if (units * perUnit * 6 * MB * PEAK_BYTES_PER_BODY_BYTE < memory * 0.75) {
          assert.ok(peak <= memory * 0.75, `${gib} GiB, ${units}x${perUnit}: ${peak / MB} MB`);
        }
      }
    }
  }
  const limit = memoryLimit();
  assert.ok(limit.bytes > 64 * MB, JSON.stringify(limit));
});

/** Opens a connection and sends a request head declaring `length` bytes, and `sent` of them. */
async function partialUpload(url: string, length: number, sent: string) {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const head = `POST /invocations HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: text/csv\r\n` +
    `Content-Length: ${length}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(head + sent));
  return conn;
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("admission: the server refuses past its budget before reading the body", async () => {
  const server = await startServer([], {
    SAGEMAKER_MODEL_SERVER_WORKERS: "1",
    MAX_INFLIGHT_BODY_MB: "1",
    MAX_INFLIGHT_REQUESTS: "3",
  });
  try {
    const params = await (await fetch(`${server.url}/execution-parameters`)).json();
    assert.equal(params.MaxConcurrentTransforms, 1, "one unit: one full-size body at a time");
    const limits = server.logs.find((e) => e.message === "admission limits per serving unit");
    assert.deepEqual([limits?.max_requests, limits?.max_body_mb], [3, 1]);

    // A CSV upload of 0.8 MB that has sent its header row only: admitted, and held.
    const header = "PassengerId,Pclass,Sex\n";
    const row = "1,3,male\n";
    const rows = Math.floor((800_000 - header.length) / row.length);
    const length = header.length + rows * row.length;
    const held = await partialUpload(server.url, length, header);
    await new Promise((r) => setTimeout(r, 200)); // let the server read the head

    // Another 0.8 MB: past the 1 MB budget: refused at once, without its body.
    const refused = await invoke(server, "x".repeat(800_000), "text/csv");
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.type, "application/json");
    assert.equal(refused.headers.get("retry-after"), "1");
    const body = JSON.parse(refused.text);
    assert.equal(body.error, "overloaded");
    assert.match(body.message, /3 requests or 1 MB of bodies per serving unit/);

    // A small request still fits, and /ping says 200 while the server sheds.
    const small = await invoke(server, JSON.stringify({ Pclass: 1, Sex: "female" }));
    assert.equal(small.status, 200, small.text);
    const ping = await fetch(`${server.url}/ping`);
    assert.equal(ping.status, 200);
    await ping.body?.cancel();

    // The held upload completes and is answered in full.
    await held.write(new TextEncoder().encode(row.repeat(rows)));
    const answer = await readAll(held);
    held.close();
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.equal((answer.match(/"Survived"/g) ?? []).length, rows);

    // Budget released: a 0.8 MB body is admitted again.
    const again = await invoke(server, header + row.repeat(rows), "text/csv");
    assert.equal(again.status, 200);
  } finally {
    await server.stop();
  }
});
