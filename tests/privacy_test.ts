/**
 * Nothing leaves the machine: `deno task serve` (through a prediction and the time onnxruntime
 * takes to send its telemetry) and `deno task predict`, each run under strace with
 * ORT_DISABLE_TELEMETRY and DENO_NO_UPDATE_CHECK removed from their environment, attempt no
 * connection and no DNS query to anything but loopback: the project sets the opt-outs itself.
 * A control that does reach out proves that the trace and its rule catch it.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "./helpers.ts";
import { commandLine, descendants, envWithout, outboundCalls, traced } from "./strace.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OPT_OUTS = ["ORT_DISABLE_TELEMETRY", "DENO_NO_UPDATE_CHECK"];
/**
 * onnxruntime 1.30 looks up its telemetry host about 9 s after its first session; the control
 * below shows that this wait covers it.
 */
const TELEMETRY_WINDOW_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first JSON log line of `stdout` that `match`es; keeps draining after. */
function watchLog(
  stdout: ReadableStream<Uint8Array>,
  match: (e: Record<string, unknown>) => boolean,
) {
  let found: (entry: Record<string, unknown> | undefined) => void = () => {};
  const line = new Promise<Record<string, unknown> | undefined>((r) => (found = r));
  (async () => {
    let buffer = "";
    for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(text);
          if (match(entry)) found(entry);
        } catch { /* not a log line */ }
      }
    }
    found(undefined);
  })();
  return line;
}

async function servedUnderTrace(dir: string): Promise<string> {
  const traceFile = join(dir, "serve.trace");
  const env = { ...envWithout(...OPT_OUTS), MODEL_DIR: "/nonexistent", NO_COLOR: "1" };
  const child = traced(traceFile, Deno.execPath(), [
    "task",
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
  ], { env, cwd: ROOT });
  const stderr = new Response(child.stderr).text();
  let port = 0;
  const warm = watchLog(child.stdout, (e) => {
    if (e.message === "listening") port = Number(e.port);
    return String(e.message).startsWith("start-up memory");
  });
  if (!(await warm)) assert.fail(`the server did not start: ${await stderr}`);
  const res = await fetch(`http://127.0.0.1:${port}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Pclass: 1, Sex: "female", Age: 30 }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).predictions.length, 1);
  await sleep(TELEMETRY_WINDOW_MS);
  const server = descendants(child.pid).find((pid) => commandLine(pid).includes("server.ts"));
  assert.ok(server, "the server process is not below strace");
  Deno.kill(server, "SIGTERM");
  const status = await child.status;
  await stderr;
  assert.equal(status.code, 0, "the server did not stop cleanly on SIGTERM");
  return await Deno.readTextFile(traceFile);
}

async function predictedUnderTrace(dir: string): Promise<string> {
  const traceFile = join(dir, "predict.trace");
  const child = traced(traceFile, Deno.execPath(), [
    "task",
    "predict",
    "--input",
    "container/examples/passengers.csv",
  ], { env: { ...envWithout(...OPT_OUTS), NO_COLOR: "1" }, cwd: ROOT });
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assert.equal(status.code, 0, stderr);
  assert.match(stdout, /^PassengerId,Survived\n892,[01]\n/);
  return await Deno.readTextFile(traceFile);
}

/**
 * The control: a process that does reach out (a connection to a documentation address, a
 * name lookup), traced the same way, must be caught. onnxruntime's own lookup with telemetry
 * on is caught too on a machine where it sends one, but it does not send one every run.
 */
async function reachingOutUnderTrace(dir: string): Promise<string> {
  const traceFile = join(dir, "control.trace");
  const script = `
    await fetch("http://192.0.2.1/", { signal: AbortSignal.timeout(1000) }).catch(() => {});
    await fetch("http://example.com/", { signal: AbortSignal.timeout(1000) }).catch(() => {});`;
  const child = traced(traceFile, Deno.execPath(), ["eval", script], {
    env: { ...envWithout(...OPT_OUTS), DENO_NO_UPDATE_CHECK: "1" },
    cwd: ROOT,
  });
  const [status, , stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  assert.equal(status.code, 0, stderr);
  return await Deno.readTextFile(traceFile);
}

Deno.test("privacy: serve and predict reach nothing but loopback", async () => {
  await withTempDir(async (dir) => {
    const [serve, predict, control] = await Promise.all([
      servedUnderTrace(dir),
      predictedUnderTrace(dir),
      reachingOutUnderTrace(dir),
    ]);
    // The control: the same trace and rule catch a connection and a lookup.
    const caught = outboundCalls(control);
    assert.ok(
      caught.some((line) => line.includes('"192.0.2.1"')) &&
        caught.some((line) => line.startsWith("a DNS query")),
      `the trace missed the control's connection or lookup:\n${control.slice(0, 2000)}`,
    );
    assert.deepEqual(outboundCalls(serve), [], "deno task serve reached beyond loopback");
    assert.deepEqual(outboundCalls(predict), [], "deno task predict reached beyond loopback");
  });
});
