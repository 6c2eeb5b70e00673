/**
 * onnxruntime's own throughput for a model, in this process: the physical floor of the server's
 * cost, since everything else (reading, parsing, validating, encoding, writing) comes on top.
 * The session is created as the server creates one (one intra-op thread per scoring Worker by
 * default) and fed an already-encoded batch. onnxruntime-node's run occupies the calling thread
 * (two sessions in one isolate do not overlap: measured), so the ceiling of a server with U
 * units is U times this figure.
 * @module
 */

import type { RawColumns } from "../src/codec/columns.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { OnnxModel } from "../src/inference/model.ts";
import type { MediaType } from "./payload.ts";
import type { Breakdown } from "./request_breakdown.ts";

export interface EngineFigures {
  /** Rows/s of one session on one thread, runs serially (median of `runs`). */
  perThread: number;
  min: number;
  max: number;
  /** Milliseconds per batch at the median. */
  msPerBatch: number;
}

/** Batches per second of `model` for `seconds`. */
async function batchesPerSecond(
  model: OnnxModel,
  inputs: ReturnType<typeof encodeInputs>,
  seconds: number,
): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await model.predict(inputs);
    done++;
  }
  return done / ((performance.now() - start) / 1000);
}

/** A loaded session over one encoded batch, ready to be measured again and again. */
export interface EngineMeter {
  readonly model: OnnxModel;
  /** Rows/s over `seconds` of back-to-back runs. */
  measure(seconds: number): Promise<number>;
}

/** Loads `modelPath` as a serving unit does and encodes `columns` once; warms it up. */
export async function openEngine(
  modelPath: string,
  columns: RawColumns,
  threads: number,
): Promise<EngineMeter> {
  const model = await OnnxModel.load(modelPath, undefined, { intraOpThreads: threads });
  const inputs = encodeInputs(columns, model.inputNames);
  for (let i = 0; i < 20; i++) await model.predict(inputs);
  return {
    model,
    measure: async (seconds) => await batchesPerSecond(model, inputs, seconds) * columns.length,
  };
}

/** `runs` measurements of `seconds` each: the median and the range. */
export async function engineThroughput(
  engine: EngineMeter,
  rows: number,
  options: { runs: number; seconds: number },
): Promise<EngineFigures> {
  const rates: number[] = [];
  for (let r = 0; r < options.runs; r++) rates.push(await engine.measure(options.seconds));
  rates.sort((a, b) => a - b);
  const perThread = rates[Math.floor(rates.length / 2)];
  return {
    perThread,
    min: rates[0],
    max: rates[rates.length - 1],
    msPerBatch: (rows / perThread) * 1000,
  };
}

/** What {@link probeEngine} measures in its child process. */
export interface ProbeRequest {
  runs: number;
  seconds: number;
  /** Also time each step of a 1000-record request of every media type (request_breakdown.ts). */
  breakdown?: boolean;
}

export interface ProbeResult {
  figures: EngineFigures;
  breakdowns: { type: MediaType; ms: Breakdown }[];
}

/**
 * onnxruntime's throughput on 1000 of the benchmark's passengers, measured in a child process
 * that exits afterwards. In the benchmark's own process, onnxruntime's and deno's code pages
 * would be mapped by two processes while the server runs: the server's start-up release
 * (container/memory.ts) cannot page out pages another process maps, and its RSS counted about
 * 17 MB that a server alone does not hold.
 */
export async function probeEngine(
  modelPath: string,
  threads: number,
  request: ProbeRequest,
): Promise<ProbeResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL(import.meta.url).pathname,
      JSON.stringify({ modelPath, threads, ...request }),
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`the onnxruntime probe failed (exit ${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

if (import.meta.main) {
  const { benchPassengers, bodies, columnsOf, take } = await import("./bench_bodies.ts");
  const { requestBreakdown } = await import("./request_breakdown.ts");
  const { modelPath, threads, runs, seconds, breakdown } = JSON.parse(Deno.args[0]) as
    & ProbeRequest
    & { modelPath: string; threads: number };
  const thousand = take((await benchPassengers()).records, 1000);
  const engine = await openEngine(modelPath, columnsOf(thousand), threads);
  const figures = await engineThroughput(engine, thousand.length, { runs, seconds });
  const breakdowns: ProbeResult["breakdowns"] = [];
  if (breakdown) {
    for (const [type, body] of Object.entries(bodies(thousand))) {
      breakdowns.push({
        type: type as MediaType,
        ms: await requestBreakdown(engine.model, body, type as MediaType),
      });
    }
  }
  console.log(JSON.stringify({ figures, breakdowns }));
}
