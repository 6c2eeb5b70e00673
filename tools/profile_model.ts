/**
 * `deno task profile:model [--model F] [--batches N] [--rows R]`: where onnxruntime spends a
 * batch. Runs the model on R-row batches of real passengers (test.csv then train.csv, encoded
 * with the codec, one thread as a serving unit runs it) with onnxruntime's profiler on, and prints
 * each node's mean kernel time per batch and its share of the whole run (`model_run`), the
 * Tokenizers with their expression. Prints, asserts nothing; the machine's noise moves the
 * absolute times, the shares much less.
 * @module
 */

import onnxProto from "onnx-proto";
import { benchPassengers, columnsOf, take } from "../container/bench_bodies.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { createSession, runSession } from "../src/inference/model.ts";
import { defineCommand, type ParsedOf, runCommand } from "../src/util/command.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const WARM_UP = 30;

export const command = defineCommand({
  task: "deno task profile:model",
  summary: `
Profiles the model with onnxruntime's profiler: batches (after ${WARM_UP} not counted) of rows
from TITANIC_DATA_DIR's test.csv and train.csv (else data/raw/, else the example passengers),
one intra-op thread. Prints every node's mean kernel time per batch and its share of the run.`,
  options: {
    model: {
      type: "string",
      arg: "F",
      default: `${ROOT}models/titanic.onnx`,
      shownDefault: "models/titanic.onnx",
      help: "ONNX model",
    },
    batches: { type: "integer", min: 1, default: 300, help: "batches counted" },
    rows: { type: "integer", min: 1, default: 1000, help: "rows per batch" },
  },
});

/** What a node is, for the table: op type, and the expression of a Tokenizer. */
function describeNodes(bytes: Uint8Array): Map<string, string> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const nodes = new Map<string, string>();
  for (const node of model.graph?.node ?? []) {
    const regex = node.attribute?.find((a) => a.name === "tokenexp");
    const what = regex
      ? `${node.opType} /${new TextDecoder().decode(regex.s ?? new Uint8Array())}/`
      : `${node.opType}(${(node.input ?? []).slice(0, 1).join(",")})`;
    nodes.set(node.name ?? "", what);
  }
  return nodes;
}

interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  ts: number;
  args?: { op_name?: string };
}

async function main({ values }: ParsedOf<typeof command>) {
  const { model: modelPath, batches, rows } = values;
  const bytes = await Deno.readFile(modelPath);
  const dir = await Deno.makeTempDir({ prefix: "ort-profile-" });
  try {
    const session = await createSession(bytes, {
      intraOpThreads: 1,
      profileFilePrefix: `${dir}/profile`,
    });
    const { records, source } = await benchPassengers();
    const inputs = encodeInputs(columnsOf(take(records, rows)), session.inputNames);
    for (let i = 0; i < WARM_UP + batches; i++) await runSession(session, inputs);
    session.endProfiling();
    const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".json"));
    if (!file) throw new Error(`onnxruntime wrote no profile in ${dir}`);
    const events = JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`)) as TraceEvent[];
    const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run");
    const counted = runs.slice(WARM_UP);
    const from = counted[0].ts;
    const total = counted.reduce((a, e) => a + e.dur, 0);
    const perNode = new Map<string, number>();
    for (const e of events) {
      if (e.cat !== "Node" || e.ts < from || !e.name.endsWith("_kernel_time")) continue;
      const node = e.name.slice(0, -"_kernel_time".length);
      perNode.set(node, (perNode.get(node) ?? 0) + e.dur);
    }
    const described = describeNodes(bytes);
    const ms = (us: number) => (us / counted.length / 1000).toFixed(3).padStart(7);
    console.log(`${modelPath}: ${counted.length} batches of ${rows} rows from ${source}`);
    console.log(
      `model_run: ${ms(total)} ms per batch (${
        (rows / (total / counted.length) * 1e6).toFixed(0)
      } rows/s)`,
    );
    console.log("    ms  share  node");
    const sorted = [...perNode].sort((a, b) => b[1] - a[1]);
    for (const [node, us] of sorted) {
      console.log(
        `${ms(us)} ${(100 * us / total).toFixed(1).padStart(5)} %  ${node}: ${
          described.get(node) ?? "(fused by the optimizer)"
        }`,
      );
    }
    const kernels = sorted.reduce((a, [, us]) => a + us, 0);
    console.log(
      `${ms(total - kernels)} ${(100 * (total - kernels) / total).toFixed(1).padStart(5)} %  ` +
        `between kernels (executor, allocation, feeds and fetches)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await runCommand(command, main);
