/**
 * `deno task bench:server`: measures the real server on loopback and prints figures
 * (latency, throughput, cold start, memory). The load comes from wrk when it is installed
 * (apt-get install wrk: a C client that leaves the cores to the server), else from fetch in this
 * process. Requests are bounded in count and time, and go to 127.0.0.1 only.
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

interface Load {
  rps: number;
  p50: number;
  p99: number;
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Load from this process with fetch. */
async function fetchLoad(
  url: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<Load> {
  let done = 0;
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await fetch(`${url}/invocations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      latencies.push(performance.now() - t);
      done++;
    }
  }));
  latencies.sort((a, b) => a - b);
  return { rps: done / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function hasWrk(): boolean {
  try {
    return new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync()
      .code !== 127;
  } catch {
    return false;
  }
}

const toMs = (value: string, unit: string) =>
  Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit];

/** Load from wrk, with a Lua script that posts `body`. */
async function wrkLoad(
  url: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<Load> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  try {
    await Deno.writeTextFile(
      script,
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [==[${body}]==]\n`,
    );
    const out = await new Deno.Command("wrk", {
      args: [
        "-t1",
        `-c${connections}`,
        `-d${seconds}s`,
        "--latency",
        "-s",
        script,
        `${url}/invocations`,
      ],
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (/Non-2xx/.test(text)) throw new Error(`wrk saw errors:\n${text}`);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
    const at = (q: string) => {
      const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
      return m ? toMs(m[1], m[2]) : NaN;
    };
    return { rps, p50: at("50"), p99: at("99") };
  } finally {
    await Deno.remove(script);
  }
}

const useWrk = hasWrk();
const load = useWrk ? wrkLoad : fetchLoad;
/** The run with the median req/s of `runs` runs (the machine's other tenants make runs vary). */
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 3);
async function median(
  body: string,
  connections: number,
  runs = RUNS,
): Promise<Load & { min: number; max: number }> {
  const results: Load[] = [];
  for (let i = 0; i < runs; i++) results.push(await load(server.url, body, connections, 3));
  results.sort((a, b) => a.rps - b.rps);
  const mid = results[Math.floor(results.length / 2)];
  return { ...mid, min: results[0].rps, max: results[results.length - 1].rps };
}
const threads = Deno.env.get("MODEL_THREADS");
const workers = Deno.env.get("SAGEMAKER_MODEL_SERVER_WORKERS");
const t0 = performance.now();
const server = await startServer([], {
  ...(threads ? { MODEL_THREADS: threads } : {}),
  ...(workers ? { SAGEMAKER_MODEL_SERVER_WORKERS: workers } : {}),
}, { keepLogs: false });
const coldMs = performance.now() - t0;
/** Memory of the server process in MB, from /proc: resident, private, mapped files, peak. */
async function memory() {
  const status = await Deno.readTextFile(`/proc/${server.process.pid}/status`);
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  return { rss: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile"), peak: mb("VmHWM") };
}
const describeMemory = (m: Awaited<ReturnType<typeof memory>>) =>
  `${m.rss.toFixed(1)} MB (private ${m.anon.toFixed(1)} MB, mapped code of deno and ` +
  `onnxruntime ${m.file.toFixed(1)} MB)`;
try {
  await server.startupDone; // every unit warm, start-up memory released
  const afterStart = await memory();
  await load(server.url, one, 4, 1); // warm-up
  const serial = await median(one, 1);
  const c16 = await median(one, 16);
  // 8 connections: SO_REUSEPORT spreads connections over the units by hash, 4 can land unevenly.
  const b100 = await median(batch(100), 8);
  const b1000 = await median(batch(1000), 8);
  const afterLoad = await memory();
  await new Promise((r) => setTimeout(r, 2500)); // idle: each unit gives its burst memory back
  const settled = await memory();
  const f = (x: number) => x.toFixed(3);
  const range = (r: { min: number; max: number }, scale = 1) =>
    `(runs ${(r.min * scale).toFixed(0)}-${(r.max * scale).toFixed(0)})`;
  console.log(
    `load generator: ${
      useWrk ? "wrk" : "fetch in the benchmark process (install wrk for better figures)"
    }; medians of ${RUNS} runs of 3 s`,
  );
  console.log(`cold start to first /ping 200: ${coldMs.toFixed(0)} ms (deno run, loopback)`);
  console.log(`RSS after start (model loaded, no request yet): ${describeMemory(afterStart)}`);
  console.log(`1 record, serial: p50 ${f(serial.p50)} ms, p99 ${f(serial.p99)} ms`);
  console.log(
    `1 record, 16 connections: ${c16.rps.toFixed(0)} req/s ${range(c16)}, p50 ${
      f(c16.p50)
    } ms, p99 ${f(c16.p99)} ms`,
  );
  console.log(
    `100-record bodies, 8 connections: ${(b100.rps * 100).toFixed(0)} records/s ${
      range(b100, 100)
    }`,
  );
  console.log(
    `1000-record bodies, 8 connections: ${(b1000.rps * 1000).toFixed(0)} records/s ${
      range(b1000, 1000)
    }`,
  );
  console.log(`RSS at the end of the load: ${describeMemory(afterLoad)}`);
  console.log(`RSS 2.5 s after the load: ${describeMemory(settled)}`);
  console.log(`peak RSS: ${settled.peak.toFixed(1)} MB`);
} finally {
  await server.stop();
}
