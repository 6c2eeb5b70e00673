/**
 * `deno task bench:server`: measures the real server on loopback and prints figures
 * (latency, throughput, cold start, memory). Requests are bounded in count and time.
 * @module
 */

import { startServer } from "./launch.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const example = JSON.parse(
  await Deno.readTextFile(`${ROOT}container/examples/passengers.json`),
).instances as Record<string, unknown>[];

const one = JSON.stringify(example[0]);
const batch = (n: number) =>
  JSON.stringify(Array.from({ length: n }, (_, i) => ({ ...example[i % 3], PassengerId: i })));

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function serial(url: string, body: string, count: number) {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await post(url, body);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function concurrent(url: string, body: string, connections: number, seconds: number) {
  let done = 0;
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await post(url, body);
      latencies.push(performance.now() - t);
      done++;
    }
  }));
  latencies.sort((a, b) => a - b);
  return { rps: done / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

const t0 = performance.now();
const threads = Deno.env.get("MODEL_THREADS");
const server = await startServer([], threads ? { MODEL_THREADS: threads } : {}, {
  keepLogs: false,
});
const coldMs = performance.now() - t0;
const url = server.url;
try {
  const status = await Deno.readTextFile(`/proc/${server.process.pid}/status`);
  const rss = status.match(/VmRSS:\s+(\d+)/)?.[1];
  await serial(url, one, 300); // warm-up
  const s = await serial(url, one, 2000);
  const c16 = await concurrent(url, one, 16, 3);
  const b100 = await concurrent(url, batch(100), 4, 3);
  const b1000 = await concurrent(url, batch(1000), 4, 3);
  const f = (x: number) => x.toFixed(3);
  console.log(`cold start to first /ping 200: ${coldMs.toFixed(0)} ms (deno run, loopback)`);
  console.log(`RSS after load: ${(Number(rss) / 1024).toFixed(1)} MB`);
  console.log(`1 record, serial: p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms`);
  console.log(
    `1 record, 16 connections: ${c16.rps.toFixed(0)} req/s, p50 ${f(c16.p50)} ms, p99 ${
      f(c16.p99)
    } ms`,
  );
  console.log(`100-record bodies, 4 connections: ${(b100.rps * 100).toFixed(0)} records/s`);
  console.log(`1000-record bodies, 4 connections: ${(b1000.rps * 1000).toFixed(0)} records/s`);
} finally {
  await server.stop();
}
