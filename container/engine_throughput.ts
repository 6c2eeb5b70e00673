/**
 * onnxruntime's own throughput for a model, in this process: the physical floor of the server's
 * cost, since everything else (reading, parsing, validating, encoding, writing) comes on top.
 * The session is created as the server creates one (one intra-op thread per serving unit by
 * default) and fed an already-encoded batch. onnxruntime-node's run occupies the calling thread
 * (two sessions in one isolate do not overlap: measured), so the ceiling of a server with U
 * units is U times this figure.
 * @module
 */

import type { RawColumns } from "../src/codec/columns.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { OnnxModel } from "../src/inference/model.ts";

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
