/**
 * `deno task bench:server [--help]`: measures the real server on loopback and prints figures
 * (latency, throughput, cold start, memory), and, in the same run, onnxruntime's own throughput
 * for the model so that the server's batch figures can be read as an efficiency (server
 * records/s over what the scoring Workers' onnxruntime threads alone would do). The load comes
 * from wrk when it is installed (apt-get install wrk: a C client that leaves the cores to the
 * server), else from fetch in this process. Requests are bounded in count and time, and go to
 * 127.0.0.1 only. Prints, asserts nothing.
 * @module
 */

import { parseOrExit } from "../src/util/command.ts";
import { benchServerCommand } from "./bench_commands.ts";
import { benchPassengers, bodies, take } from "./bench_bodies.ts";
import { probeEngine, probeEngineTogether } from "./engine_throughput.ts";
import { startServer } from "./launch.ts";
import { releaseStartupMemory } from "./memory.ts";

const { env: settings } = parseOrExit(benchServerCommand);

const ROOT = new URL("../", import.meta.url).pathname;
const MODEL = `${ROOT}models/titanic.onnx`;
const passengers = await benchPassengers();
const example = passengers.records;

const one = JSON.stringify(take(example, 1)[0]);
const batch = (n: number) => JSON.stringify(take(example, n));
const thousand = take(example, 1000);
const thousandBodies = bodies(thousand);

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
  type: string,
): Promise<Load> {
  let done = 0;
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const res = await fetch(`${url}/invocations`, {
        method: "POST",
        headers: { "content-type": type },
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
  type: string,
): Promise<Load> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  try {
    await Deno.writeTextFile(
      script,
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "${type}"\nwrk.body = [==[${body}]==]\n`,
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
const RUNS = settings.BENCH_RUNS;
async function median(
  body: string,
  connections: number,
  type = "application/json",
  runs = RUNS,
): Promise<Load & { min: number; max: number }> {
  const results: Load[] = [];
  for (let i = 0; i < runs; i++) results.push(await load(server.url, body, connections, 3, type));
  results.sort((a, b) => a.rps - b.rps);
  const mid = results[Math.floor(results.length / 2)];
  return { ...mid, min: results[0].rps, max: results[results.length - 1].rps };
}
interface Stats {
  median: number;
  min: number;
  max: number;
}
function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}
const cpus = navigator.hardwareConcurrency || 1;
const threads = Deno.env.get("MODEL_THREADS");
const workers = Deno.env.get("SAGEMAKER_MODEL_SERVER_WORKERS");
/**
 * The server's defaults (container/server.ts): one scoring Worker per CPU, CPUs / Workers
 * onnxruntime threads each.
 */
const units = Number(workers) || cpus;
const unitThreads = Number(threads) || Math.max(1, Math.floor(cpus / units));

// onnxruntime alone, before the server exists (and again after its loads, below), and each
// step of a 1000-record request (before the server takes the cores): in child processes, so
// that this process maps no onnxruntime pages while the server's memory is measured.
const engineOptions = { runs: RUNS, seconds: 1 };
const { figures: engineBefore, breakdowns } = await probeEngine(MODEL, unitThreads, {
  ...engineOptions,
  breakdown: true,
});
// The engine's own limit: one session per scoring Worker, all running at once. Not units x one
// session alone: the sessions share caches and memory bandwidth, and on a shared machine one
// session alone swings with whatever else the cores run.
const togetherBefore = await probeEngineTogether(MODEL, unitThreads, units, engineOptions);
const engineTogether = async () =>
  (await probeEngineTogether(MODEL, unitThreads, units, { runs: 1, seconds: 1 })).total;

// This process is deno too: the pages of deno's code that it has resident could not be paged
// out by the server's start-up release (Linux pages out only what no other process maps), and
// would count in the server's RSS although a deployed server is the only deno process.
await releaseStartupMemory();
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

/** RSS samples every 100 ms while `work` runs: the steady state under load is their median. */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; rss: number[] }> {
  const rss: number[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      rss.push((await memory()).rss);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { result: await work(), rss };
  } finally {
    running = false;
    await sampler;
  }
}

try {
  await server.startupDone; // every unit warm, start-up memory released
  const afterStart = await memory();
  await load(server.url, one, 4, 1, "application/json"); // warm-up
  // Highest RSS sample of each load below (VmHWM alone would not say when the peak was).
  const highest: Record<string, number> = {};
  const watched = async <T>(name: string, work: () => Promise<T>) => {
    const { result, rss } = await sampled(work);
    highest[name] = Math.max(highest[name] ?? 0, ...rss);
    return result;
  };
  const serial = await watched("1 record serial", () => median(one, 1));
  const c16 = await watched("1 record x 16", () => median(one, 16));
  // 8 connections: SO_REUSEPORT spreads connections over the units by hash, 4 can land unevenly.
  const b100 = await watched("100 records", () => median(batch(100), 8));
  // Each 1000-record run follows a 1 s run of onnxruntime's sessions at once: the machine's
  // speed drifts between minutes, so each efficiency compares figures taken seconds apart.
  const rssUnderLoad: number[] = [];
  const batches: Record<string, { records: Stats; efficiency: Stats; p50: number }> = {};
  for (const [type, body] of Object.entries(thousandBodies)) {
    const runs: { records: number; efficiency: number; p50: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const engine = await engineTogether();
      const { result, rss } = await sampled(() => load(server.url, body, 8, 3, type));
      rssUnderLoad.push(...rss);
      highest[`1000 ${type}`] = Math.max(highest[`1000 ${type}`] ?? 0, ...rss);
      const records = result.rps * 1000;
      runs.push({ records, efficiency: records / engine, p50: result.p50 });
    }
    batches[type] = {
      records: stats(runs.map((r) => r.records)),
      efficiency: stats(runs.map((r) => r.efficiency)),
      p50: stats(runs.map((r) => r.p50)).median,
    };
  }
  const afterLoad = await memory();
  await new Promise((r) => setTimeout(r, 2500)); // idle: each unit gives its burst memory back
  const settled = await memory();
  const engineAfter = (await probeEngine(MODEL, unitThreads, engineOptions)).figures;
  const togetherAfter = await probeEngineTogether(MODEL, unitThreads, units, engineOptions);
  const linearCeiling = ((engineBefore.perThread + engineAfter.perThread) / 2) * units;
  const ceiling = (togetherBefore.total + togetherAfter.total) / 2;

  const f = (x: number) => x.toFixed(3);
  const n = (x: number) => x.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const range = (r: { min: number; max: number }, scale = 1) =>
    `(runs ${n(r.min * scale)}-${n(r.max * scale)})`;
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  console.log(
    `load generator: ${
      useWrk ? "wrk" : "fetch in the benchmark process (install wrk for better figures)"
    }; medians of ${RUNS} runs of 3 s; passengers from ${passengers.source}`,
  );
  console.log(
    `scoring Workers: ${units}, onnxruntime threads per Worker: ${unitThreads}, CPUs: ${cpus}`,
  );
  for (const [when, e] of [["before", engineBefore], ["after", engineAfter]] as const) {
    console.log(
      `onnxruntime alone (${when} the loads), 1000-row batches, ${unitThreads} thread: ` +
        `${n(e.perThread)} rows/s ${range(e)}, ${e.msPerBatch.toFixed(2)} ms per batch`,
    );
  }
  for (const [when, t] of [["before", togetherBefore], ["after", togetherAfter]] as const) {
    console.log(
      `onnxruntime, ${units} sessions at once (${when} the loads; one process each, ` +
        `${unitThreads} thread each): ${n(t.total)} rows/s ${range(t)}, measuring together ` +
        `${pct(t.overlap)} of the time`,
    );
  }
  console.log(
    `ceiling: onnxruntime's ${units} sessions at once, one per scoring Worker (mean of before ` +
      `and after: ${n(ceiling)} rows/s, ${pct(ceiling / linearCeiling)} of ${units} x one ` +
      `session alone, ${n(linearCeiling)}); each 1000-record efficiency below uses a 1 s run of ` +
      `them taken just before it`,
  );
  console.log(`cold start to first /ping 200: ${coldMs.toFixed(0)} ms (deno run, loopback)`);
  console.log(`RSS after start (model loaded, no request yet): ${describeMemory(afterStart)}`);
  console.log(
    `peak RSS of start-up (VmHWM before the first request: loading, before the start-up ` +
      `release): ${afterStart.peak.toFixed(1)} MB`,
  );
  console.log(`1 record, serial: p50 ${f(serial.p50)} ms, p99 ${f(serial.p99)} ms`);
  console.log(
    `1 record, 16 connections: ${n(c16.rps)} req/s ${range(c16)}, p50 ${f(c16.p50)} ms, p99 ${
      f(c16.p99)
    } ms`,
  );
  console.log(
    `100-record JSON bodies, 8 connections: ${n(b100.rps * 100)} records/s ${range(b100, 100)}` +
      `, efficiency ${pct((b100.rps * 100) / ceiling)} (against the mean ceiling)`,
  );
  for (const [type, r] of Object.entries(batches)) {
    console.log(
      `1000-record ${type} bodies, 8 connections: ${n(r.records.median)} records/s ` +
        `${range(r.records)}, p50 ${r.p50.toFixed(1)} ms, efficiency ${pct(r.efficiency.median)} ` +
        `(runs ${pct(r.efficiency.min)}-${pct(r.efficiency.max)}; goal >= 80 %), ` +
        `${pct(r.records.median / linearCeiling)} of ${units} x one session alone`,
    );
  }
  for (const { type, ms } of breakdowns) {
    const total = Object.values(ms).reduce((a, b) => a + b, 0);
    console.log(
      `per 1000-record ${type} request, one thread, no HTTP (ms): UTF-8 ${f(ms.decode)}, ` +
        `parse and validate into the model's inputs ${f(ms.parse)}, onnxruntime ${
          f(ms.predict)
        }, answer ${f(ms.format)}; onnxruntime ${pct(ms.predict / total)} of ${f(total)}`,
    );
  }
  const samples = [...rssUnderLoad].sort((a, b) => a - b);
  console.log(
    `RSS under the 1000-record loads: steady ${
      samples[Math.floor(samples.length / 2)].toFixed(1)
    } MB (median of ${samples.length} samples), highest sample ${
      samples[samples.length - 1].toFixed(1)
    } MB`,
  );
  console.log(`RSS at the end of the load: ${describeMemory(afterLoad)}`);
  console.log(`RSS 2.5 s after the load: ${describeMemory(settled)}`);
  // VmHWM is updated lazily by the kernel: a sample can exceed it by a few hundred kB.
  const peak = Math.max(settled.peak, ...samples);
  console.log(
    `highest RSS sample per load (MB): ${
      Object.entries(highest).map(([name, mb]) => `${name} ${mb.toFixed(1)}`).join(", ")
    }`,
  );
  console.log(`peak RSS (VmHWM, whole run): ${peak.toFixed(1)} MB (goal <= 150 MB)`);
} finally {
  await server.stop();
}
