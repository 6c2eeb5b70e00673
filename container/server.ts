/**
 * The inference server: `deno task serve` locally, `IMAGE serve` in the container.
 * Listens at once (/ping says 503), loads and verifies the model, warms it up, then serves.
 * Needs only the ONNX file, its card and onnxruntime-node: no polars, no training code.
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { OnnxModel } from "../src/inference/model.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { columnsFromRecords } from "../src/codec/columns.ts";
import { createHandler, type ModelSlot } from "./app.ts";

const USAGE = `
deno task serve [--port N] [--host H] [--model FILE]

Serves the model with the SageMaker inference contract: GET /ping, POST /invocations,
GET /execution-parameters.

  --port N      port (default: SAGEMAKER_BIND_TO_PORT, else 8080)
  --host H      address to bind (default: 0.0.0.0)
  --model FILE  ONNX file; its card is the .json beside it (default: the first model in
                /opt/ml/model or MODEL_DIR, else models/titanic.onnx)

Environment: SAGEMAKER_BIND_TO_PORT, SAGEMAKER_MAX_PAYLOAD_IN_MB (default 6),
MODEL_DIR (default /opt/ml/model), SAGEMAKER_MODEL_SERVER_WORKERS (Batch Transform concurrency),
MODEL_THREADS (onnxruntime threads per prediction; default: the number of CPUs).
`;

const log = (entry: Record<string, unknown>) => console.log(JSON.stringify(entry));

function die(message: string): never {
  log({ level: "fatal", message });
  Deno.exit(1);
}

/** The model file: --model, else a *.onnx in the SageMaker model dir, else the baked one. */
async function findModel(explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const dir = Deno.env.get("MODEL_DIR") ?? "/opt/ml/model";
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".onnx")) names.push(entry.name);
    }
    if (names.length > 0) return join(dir, names.sort()[0]);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      die(`cannot read model directory ${dir}: ${(err as Error).message}`);
    }
  }
  return new URL("../models/titanic.onnx", import.meta.url).pathname;
}

let values: Record<string, string | boolean | undefined>;
try {
  values = parseArgs({
    args: Deno.args.filter((a) => a !== "serve"), // SageMaker appends "serve"
    options: {
      port: { type: "string" },
      host: { type: "string" },
      model: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (err) {
  console.error(`error: ${(err as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
if (values.help) {
  console.log(USAGE.trim());
  Deno.exit(0);
}

const port = Number(values.port ?? Deno.env.get("SAGEMAKER_BIND_TO_PORT") ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) die(`invalid port ${values.port}`);
const maxPayloadMb = Number(Deno.env.get("SAGEMAKER_MAX_PAYLOAD_IN_MB") ?? 6);
if (!(maxPayloadMb > 0)) die(`invalid SAGEMAKER_MAX_PAYLOAD_IN_MB`);

const started = performance.now();
const slot: ModelSlot = {};
const server = Deno.serve(
  {
    hostname: (values.host as string | undefined) ?? "0.0.0.0",
    port,
    onListen: ({ hostname, port }) => log({ level: "info", message: "listening", hostname, port }),
  },
  createHandler(slot, {
    maxPayloadBytes: Math.floor(maxPayloadMb * 1024 * 1024),
    maxConcurrentTransforms: Number(Deno.env.get("SAGEMAKER_MODEL_SERVER_WORKERS") ?? 1) || 1,
    log,
  }),
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log({ level: "info", message: "shutting down: finishing in-flight requests", signal });
  setTimeout(() => die("shutdown took longer than 20 s"), 20_000);
  await server.shutdown();
  log({ level: "info", message: "stopped" });
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
Deno.addSignalListener("SIGINT", () => stop("SIGINT"));

const modelPath = await findModel(values.model as string | undefined);
try {
  // onnxruntime runs block the event loop; splitting each run over the cores is what makes
  // large batches fast (small ones stay on one thread inside onnxruntime).
  const threads = Number(Deno.env.get("MODEL_THREADS")) || navigator.hardwareConcurrency || 1;
  const model = await OnnxModel.load(modelPath, undefined, { intraOpThreads: threads });
  // Warm-up: one real prediction before /ping may say 200.
  const warm = await model.predict(
    encodeInputs(columnsFromRecords([{ Pclass: 3, Sex: "male" }]), model.inputNames),
  );
  if (warm.labels.length !== 1) throw new Error("warm-up prediction returned nothing");
  slot.model = model;
  log({
    level: "info",
    message: "model loaded",
    model: modelPath,
    preset: model.card.preset,
    sha256: model.sha256,
    threads,
    load_ms: Math.round(performance.now() - started),
  });
} catch (err) {
  die(`cannot serve ${modelPath}: ${(err as Error).message}`);
}
