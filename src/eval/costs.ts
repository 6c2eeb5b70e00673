/**
 * What a chosen model costs to run: one fit on every row, the size of its ONNX export and
 * onnxruntime's time per row (reported by deno task evaluate beside the estimate).
 * @module
 */

import { encodeInputs } from "../codec/inputs.ts";
import type { TitanicData } from "../data/load.ts";
import { createSession, runSession } from "../inference/model.ts";
import type { Candidate } from "./search.ts";

export interface Costs {
  /** One fit on every row, in ms. */
  fitMs: number;
  /** The exported ONNX file. */
  onnxBytes: number;
  /** onnxruntime on one batch of every row, µs per row (mean of 30 runs after 5 warm-ups). */
  microsPerRow: number;
}

/** Fits on all rows, exports, and times onnxruntime on every training row. */
export async function modelCosts(c: Candidate, seed: number, train: TitanicData): Promise<Costs> {
  const t0 = performance.now();
  const pipeline = c.build(seed);
  const inputs = encodeInputs(train.columns, pipeline.inputs());
  pipeline.fit(inputs, train.labels!);
  const fitMs = performance.now() - t0;
  const onnx = pipeline.toOnnx();
  const session = await createSession(onnx);
  for (let i = 0; i < 5; i++) await runSession(session, inputs);
  const runs = 30;
  const t1 = performance.now();
  for (let i = 0; i < runs; i++) await runSession(session, inputs);
  const microsPerRow = ((performance.now() - t1) * 1000) / (runs * train.columns.length);
  await session.release();
  return { fitMs, onnxBytes: onnx.length, microsPerRow };
}
