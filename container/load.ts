/**
 * `deno task test:load`: the load and fault suite. Starts the real server on loopback (as
 * `deno task serve` does) with the admission budget of a 1 GiB container, and runs bounded
 * scenarios, printing figures and failing (exit 1) when a rule breaks:
 *
 * - midsize: 16 clients sending 250 KB CSV bodies back to back: /ping always < 2 s and 200
 *   (p99 printed, target < 100 ms), every answer 200 or JSON 503/429;
 * - heavy: 16 clients each sending 6 MB CSV bodies at once: /ping (timed from a Worker of its
 *   own) always < 2 s, every answer 200 or JSON 503/429, peak RSS <= 1 GiB, RSS back under
 *   150 MB within 5 s after;
 * - slow: 500 connections, half trickling their headers, half declaring a 6 MB body and
 *   trickling it: RSS barely moves, a normal client keeps being answered (p99 printed, goal
 *   < 100 ms), the header tricklers are closed after the header timeout and the body
 *   tricklers get 408 once they fall under the minimum rate;
 * - drain: SIGTERM with requests in flight: they are answered, and the process exits 0.
 *
 * Nothing outbound: everything goes to 127.0.0.1 (tests/privacy_test.ts traces the server).
 * @module
 */

import { defaultLimits, workersPerUnit } from "./limits.ts";
import { type RunningServer, startServer } from "./launch.ts";
import { parseOrExit } from "../src/util/command.ts";
import { loadCommand } from "./bench_commands.ts";

const { values, env: settings } = parseOrExit(loadCommand);

const MB = 1024 * 1024;
const GIB = 1024 * MB;
const CLIENTS = 16;
const REQUESTS_PER_CLIENT = 2;
const BODY_BYTES = 6_000_000;
const SLOW_CONNECTIONS = 500;
/** The server's default header timeout (container/limits.ts). */
const HEADER_TIMEOUT_MS = 10_000;

const failures: string[] = [];
const rule = (ok: boolean, what: string) => {
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};

/** The server under load: its URL and the host's process id of it. */
interface Target {
  url: string;
  pid: number;
}

const targetOf = (server: RunningServer): Target => ({ url: server.url, pid: server.process.pid });

/** Resident and peak resident memory of the server process, in MB. */
function memory(target: Target): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${target.pid}/status`);
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024;
  return { rss: mb("VmRSS"), peak: mb("VmHWM") };
}

/** A CSV of passengers of about `bytes` (Kaggle's test.csv layout, header row first). */
function csvBody(bytes: number): string {
  const ROOT = new URL("../", import.meta.url).pathname;
  const [header, ...rows] = Deno.readTextFileSync(`${ROOT}container/examples/passengers.csv`)
    .trim().split("\n");
  const lines = [header];
  let size = header.length + 1;
  for (let i = 0; size < bytes; i++) {
    const line = rows[i % rows.length];
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n") + "\n";
}

/** Pings /ping every 100 ms from a Worker (its own event loop) until stopped. */
function startPinger(url: string) {
  const source = `
    let stop = false;
    const times = [], statuses = {};
    self.onmessage = () => { stop = true; };
    (async () => {
      while (!stop) {
        const t = performance.now();
        try {
          const res = await fetch("${url}/ping", { signal: AbortSignal.timeout(10000) });
          await res.body?.cancel();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        } catch { statuses.error = (statuses.error ?? 0) + 1; }
        times.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
      self.postMessage({ times, statuses });
    })();`;
  const worker = new Worker(
    URL.createObjectURL(new Blob([source], { type: "text/javascript" })),
    { type: "module" },
  );
  return {
    async stop(): Promise<{ times: number[]; statuses: Record<string, number> }> {
      const result = new Promise<{ times: number[]; statuses: Record<string, number> }>((r) => {
        worker.onmessage = (e) => r(e.data);
      });
      worker.postMessage("stop");
      const out = await result;
      worker.terminate();
      return out;
    },
  };
}

/**
 * OOM kills in the memory cgroup of process `pid` so far (cgroup v2 memory.events, or v1
 * memory.oom_control); undefined when the kernel does not say. Podman's OOMKilled flag can
 * be wrong (see ../shared/docs/sagemaker-contract.md): this is the kernel's own count.
 */
function oomKills(pid: number): number | undefined {
  const lines = Deno.readTextFileSync(`/proc/${pid}/cgroup`).trim().split("\n");
  const v1 = lines.map((l) => l.split(":")).find(([, controllers]) =>
    controllers.split(",").includes("memory")
  );
  const v2 = lines.map((l) => l.split(":")).find(([id]) => id === "0");
  const candidates = [
    ...(v1 ? [`/sys/fs/cgroup/memory${v1[2]}/memory.oom_control`] : []),
    ...(v2
      ? [`/sys/fs/cgroup${v2[2]}/memory.events`, `/sys/fs/cgroup/unified${v2[2]}/memory.events`]
      : []),
  ];
  for (const path of candidates) {
    try {
      const match = /oom_kill (\d+)/.exec(Deno.readTextFileSync(path));
      if (match) return Number(match[1]);
    } catch { /* not this hierarchy */ }
  }
  return undefined;
}

/** What clients sending CSV bodies saw: statuses, answers that break the rules, 200s' times. */
interface Outcomes {
  statuses: Record<string, number>;
  bad: string[];
  latencies: number[];
}

/** Sends one CSV body and records the answer; a 503/429 is waited out as it says. */
async function sendCsv(url: string, body: string, seen: Outcomes): Promise<void> {
  const t = performance.now();
  try {
    const res = await fetch(`${url}/invocations`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body,
    });
    const text = await res.text();
    seen.statuses[res.status] = (seen.statuses[res.status] ?? 0) + 1;
    if (res.status === 200) seen.latencies.push(performance.now() - t);
    else if (res.status === 503 || res.status === 429) {
      const json = res.headers.get("content-type") === "application/json" &&
        typeof JSON.parse(text).error === "string";
      if (!json || !res.headers.get("retry-after")) seen.bad.push(`${res.status} ${text}`);
      await sleep(Number(res.headers.get("retry-after")) * 1000);
    } else seen.bad.push(`${res.status} ${text.slice(0, 200)}`);
  } catch (err) {
    seen.statuses.error = (seen.statuses.error ?? 0) + 1;
    seen.bad.push(`connection: ${(err as Error).message}`);
  }
}

function printPings(ping: { times: number[]; statuses: Record<string, number> }) {
  console.log(
    `  /ping: ${ping.times.length} checks ${JSON.stringify(ping.statuses)}, p50 ${
      percentile(ping.times, 0.5).toFixed(1)
    } ms, p99 ${percentile(ping.times, 0.99).toFixed(1)} ms, max ${
      Math.max(...ping.times).toFixed(1)
    } ms`,
  );
}

function pingRules(ping: { times: number[]; statuses: Record<string, number> }) {
  rule(Math.max(...ping.times) < 2000 && !ping.statuses.error, "/ping always < 2 s");
  rule(
    Object.keys(ping.statuses).every((s) => s === "200"),
    "/ping 200 throughout (also while shedding)",
  );
}

/**
 * 16 clients sending, back to back for 8 s, CSV bodies of 250 KB (3,700 records): the largest
 * that a unit's scoring Worker answers, and the load under which a unit that parsed its own
 * bodies kept /ping waiting (p99 0.74-1.14 s, measured).
 */
async function midsize(server: Target) {
  console.log(`midsize: ${CLIENTS} clients sending CSV bodies of 250 KB for 8 s`);
  const body = csvBody(250 * 1024);
  const pinger = startPinger(server.url);
  const seen: Outcomes = { statuses: {}, bad: [], latencies: [] };
  const end = performance.now() + 8000;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (performance.now() < end) await sendCsv(server.url, body, seen);
  }));
  const ping = await pinger.stop();
  console.log(
    `  answers ${JSON.stringify(seen.statuses)}; 200s took p50 ` +
      `${percentile(seen.latencies, 0.5).toFixed(0)} ms`,
  );
  printPings(ping);
  rule(seen.bad.length === 0, `every answer 200 or JSON 503/429 ${seen.bad.slice(0, 3)}`);
  pingRules(ping);
}

async function heavy(server: Target) {
  console.log(`heavy: ${CLIENTS} clients x ${REQUESTS_PER_CLIENT} CSV bodies of 6 MB`);
  const body = csvBody(BODY_BYTES);
  const before = memory(server);
  const pinger = startPinger(server.url);
  const seen: Outcomes = { statuses: {}, bad: [], latencies: [] };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (let i = 0; i < REQUESTS_PER_CLIENT; i++) await sendCsv(server.url, body, seen);
  }));
  const { statuses, bad, latencies } = seen;
  const seconds = (performance.now() - t0) / 1000;
  const ping = await pinger.stop();
  const after = memory(server);
  let settled = after.rss;
  for (let i = 0; i < 10 && settled >= 150; i++) {
    await sleep(500);
    settled = memory(server).rss;
  }
  console.log(
    `  answers ${JSON.stringify(statuses)} in ${seconds.toFixed(1)} s; 200s took p50 ` +
      `${(percentile(latencies, 0.5) / 1000).toFixed(2)} s, max ${
        (Math.max(...latencies) / 1000).toFixed(2)
      } s`,
  );
  printPings(ping);
  console.log(
    `  RSS ${before.rss.toFixed(0)} MB before, peak ${after.peak.toFixed(0)} MB, ` +
      `${after.rss.toFixed(0)} MB at the end, ${settled.toFixed(0)} MB up to 5 s later`,
  );
  rule(bad.length === 0, `every answer 200 or JSON 503/429 with Retry-After ${bad.slice(0, 3)}`);
  rule((statuses[200] ?? 0) > 0, "some bodies were answered 200");
  pingRules(ping);
  rule(after.peak <= 1024, "peak RSS <= 1 GiB");
  rule(settled < 150, "RSS under 150 MB within 5 s after");
}

/** Resolves with what the server sent once it closes `conn` (or null after `ms`). */
async function closedBy(conn: Deno.Conn, ms: number): Promise<string | null> {
  const buffer = new Uint8Array(1024);
  let got = "";
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buffer).catch(() => null),
      new Promise<"wait">((
        r,
      ) => (timer = setTimeout(() => r("wait"), deadline - performance.now()))),
    ]);
    clearTimeout(timer);
    if (n === "wait") return null;
    if (n === null) return got;
    got += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return null;
}

async function slow(server: Target) {
  const half = SLOW_CONNECTIONS / 2;
  console.log(
    `slow: ${SLOW_CONNECTIONS} connections: ${half} trickling their headers, ${half} ` +
      `declaring 6 MB and trickling their bodies`,
  );
  const before = memory(server).rss;
  const { hostname, port } = new URL(server.url);
  const encode = (text: string) => new TextEncoder().encode(text);
  const opened = performance.now();
  const headerTricklers: Deno.Conn[] = [];
  const bodyTricklers: Deno.Conn[] = [];
  for (let i = 0; i < half; i++) {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(encode("POST /invocations HTTP/1.1\r\nHost: x\r\n"));
    headerTricklers.push(conn);
    const body = await Deno.connect({ hostname, port: Number(port) });
    await body.write(encode(
      `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n` +
        `Content-Length: ${BODY_BYTES}\r\n\r\nPassengerId,Pclass,Sex\n`,
    ));
    bodyTricklers.push(body);
  }
  const trickle = setInterval(() => {
    for (const c of headerTricklers) c.write(encode("X-Slow: 1\r\n")).catch(() => {});
    for (const c of bodyTricklers) c.write(encode("1,3,male\n")).catch(() => {});
  }, 1000);
  const headersClosed = Promise.all(
    headerTricklers.map((c) => closedBy(c, HEADER_TIMEOUT_MS + 10_000)),
  );
  const bodiesAnswered = Promise.all(
    bodyTricklers.map((c) => closedBy(c, HEADER_TIMEOUT_MS + 20_000)),
  );
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const end = performance.now() + 5000;
  while (performance.now() < end) {
    const t = performance.now();
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Pclass: 1, Sex: "female" }),
    });
    await res.text();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    latencies.push(performance.now() - t);
  }
  const during = memory(server).rss;
  const closed = await headersClosed;
  const closedAfter = (performance.now() - opened) / 1000;
  const answered = await bodiesAnswered;
  clearInterval(trickle);
  for (const c of [...headerTricklers, ...bodyTricklers]) {
    try {
      c.close();
    } catch { /* closed */ }
  }
  const p99 = percentile(latencies, 0.99);
  const timedOut = answered.filter((a) => a !== null && /^HTTP\/1\.1 408 /.test(a)).length;
  const refused = answered.filter((a) => a !== null && /^HTTP\/1\.1 503 /.test(a)).length;
  console.log(
    `  RSS ${before.toFixed(0)} MB -> ${during.toFixed(0)} MB with them open; a normal client: ` +
      `${latencies.length} requests ${JSON.stringify(statuses)}, p50 ${
        percentile(latencies, 0.5).toFixed(1)
      } ms, p99 ${p99.toFixed(1)} ms (goal < 100 ms)`,
  );
  console.log(
    `  header tricklers closed by the server: ${closed.filter((c) => c !== null).length}/${half} ` +
      `(all within ${closedAfter.toFixed(1)} s); body tricklers answered 408 (too slow) ` +
      `${timedOut}, 503 (refused before their body: admission) ${refused}, of ${half}`,
  );
  // Each would hold a buffer of its declared 6 MB if sized by Content-Length (1.5 GB).
  rule(during - before < 100, "trickling connections hold no buffer of their declared size");
  rule(Object.keys(statuses).every((s) => s === "200"), "the normal client is answered 200");
  rule(closed.every((c) => c !== null), "connections trickling headers are closed");
  rule(timedOut > 0, "bodies under the minimum rate get 408");
  rule(timedOut + refused === half, "every body trickler is answered (408, or 503 at admission)");
}

async function drain(server: RunningServer) {
  console.log("drain: SIGTERM with 6 MB requests in flight");
  const body = csvBody(BODY_BYTES);
  const inFlight = Array.from({ length: 2 }, () =>
    fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body,
    }).then(async (res) => ({ status: res.status, size: (await res.text()).length }))
      .catch((err) => ({ status: 0, size: 0, err: String(err) })));
  await sleep(300);
  const t = performance.now();
  server.process.kill("SIGTERM");
  const answers = await Promise.all(inFlight);
  const status = await server.exited;
  console.log(
    `  answers ${JSON.stringify(answers.map((a) => a.status))}, exit ${status.code} ` +
      `${((performance.now() - t) / 1000).toFixed(2)} s after SIGTERM`,
  );
  rule(answers.every((a) => a.status === 200 || a.status === 503), "in-flight requests answered");
  rule(status.code === 0, "exit 0 after draining");
}

if ((values.url === undefined) !== (values.pid === undefined)) {
  console.error("error: --url and --pid go together (deno task test:load --help)");
  Deno.exit(2);
}

if (values.url) {
  const target = { url: values.url.replace(/\/$/, ""), pid: values.pid! };
  const killsBefore = oomKills(target.pid);
  console.log(`server at ${target.url} (process ${target.pid}); OOM kills so far: ${killsBefore}`);
  await heavy(target);
  let alive = true;
  try {
    Deno.readTextFileSync(`/proc/${target.pid}/status`);
  } catch {
    alive = false;
  }
  const killsAfter = alive ? oomKills(target.pid) : undefined;
  console.log(`  OOM kills after: ${killsAfter ?? "unknown"}; process alive: ${alive}`);
  rule(alive, "the server process is still running");
  rule(killsAfter !== undefined && killsAfter === killsBefore, "no OOM kill in its memory cgroup");
} else {
  // The budget of a 1 GiB container (the goal), whatever this machine's memory.
  // As container/server.ts splits them (the server reads the same environment).
  const workers = settings.SAGEMAKER_MODEL_SERVER_WORKERS ?? (navigator.hardwareConcurrency || 1);
  const split = workersPerUnit(workers, settings.SCORERS_PER_UNIT);
  const units = split.length;
  const budget = defaultLimits(GIB, units, 6 * MB, split[0]);
  const env = { MAX_INFLIGHT_BODY_MB: String(budget.maxBodyBytes / MB) };
  console.log(
    `server: ${units} serving unit(s) of ${workers} scoring Workers, ` +
      `${(budget.maxBodyBytes / MB).toFixed(1)} MB of bodies each (the default for a 1 GiB ` +
      `memory limit)`,
  );
  const server = await startServer([], env, { keepLogs: false });
  try {
    await heavy(targetOf(server));
    await slow(targetOf(server));
    await midsize(targetOf(server));
  } finally {
    await drain(server);
  }
}
console.log(failures.length ? `FAILED: ${failures.length} rule(s)` : "all rules held");
Deno.exit(failures.length ? 1 : 0);
