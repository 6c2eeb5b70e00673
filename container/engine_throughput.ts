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

/** Measures `modelPath` on `columns` (one batch): `runs` runs of `seconds`, the median. */
export async function engineThroughput(
  modelPath: string,
  columns: RawColumns,
  options: { threads: number; runs: number; seconds: number },
): Promise<EngineFigures> {
  const model = await OnnxModel.load(modelPath, undefined, { intraOpThreads: options.threads });
  const inputs = encodeInputs(columns, model.inputNames);
  for (let i = 0; i < 20; i++) await model.predict(inputs); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < options.runs; r++) {
    rates.push(await batchesPerSecond(model, inputs, options.seconds) * columns.length);
  }
  rates.sort((a, b) => a - b);
  const perThread = rates[Math.floor(rates.length / 2)];
  return {
    perThread,
    min: rates[0],
    max: rates[rates.length - 1],
    msPerBatch: (columns.length / perThread) * 1000,
  };
}
