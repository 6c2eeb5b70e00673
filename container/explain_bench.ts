/**
 * `deno task bench:explain [--model FILE] [--plain]`: prints what explanations cost on the real
 * server, on loopback: one-record requests (p50, p99) and 1000-record requests, with and
 * without `explain=true`, sequential so that each figure is one request's own latency. Prints,
 * asserts nothing. `--plain` measures requests without explanations only (to compare with a
 * server that has none). The default model is models/titanic.onnx, which must carry covers (a
 * model trained since explanations exist).
 * @module
 */

import { parseOrExit } from "../src/util/command.ts";
import { explainBenchCommand } from "./bench_commands.ts";
import { startServer } from "./launch.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const { values } = parseOrExit(explainBenchCommand);
const model = values.model;
const examples = JSON.parse(
  await Deno.readTextFile(`${ROOT}container/examples/passengers.json`),
).instances as Record<string, unknown>[];
const one = JSON.stringify(examples[0]);
const thousand = JSON.stringify(
  Array.from({ length: 1000 }, (_, i) => ({ ...examples[i % examples.length], PassengerId: i })),
);

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function timed(url: string, body: string, explain: boolean, runs: number) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (explain) headers["x-amzn-sagemaker-custom-attributes"] = "explain=true";
  const ms: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/invocations`, { method: "POST", headers, body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`status ${res.status}: ${text}`);
    if (explain && !text.includes('"explanation"')) throw new Error("no explanation returned");
    if (i >= 5) ms.push(performance.now() - t); // the first five warm up (and build the tables)
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
}

const server = await startServer(["--model", model], {}, { keepLogs: false });
try {
  const f = (x: number) => x.toFixed(2).padStart(8);
  console.log(`model ${model}`);
  console.log("request                      p50 ms   p99 ms");
  for (
    const [name, body, runs] of [["1 record", one, 400], ["1000 records", thousand, 30]] as const
  ) {
    for (const explain of values.plain ? [false] : [false, true]) {
      const r = await timed(server.url, body, explain, runs);
      console.log(
        `${name.padEnd(13)} ${explain ? "explained" : "plain    "}  ${f(r.p50)} ${f(r.p99)}`,
      );
    }
  }
} finally {
  await server.stop();
}
