/**
 * Where one request's time goes, step by step, as the server's handler does it (container/app.ts):
 * UTF-8 decoding of the body, parsing and validation straight into the model's input columns,
 * onnxruntime, and writing the answer. Measured in this process on one thread, without
 * HTTP: what is left of a request's latency is the HTTP layer and the event loop.
 * @module
 */

import type { OnnxModel } from "../src/inference/model.ts";
import { formatBody, type MediaType, parseBatch } from "./payload.ts";

/** Median milliseconds of each step. */
export type Breakdown = Record<"decode" | "parse" | "predict" | "format", number>;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** Times each step of answering `body` (of media type `type`, answered as JSON) `runs` times. */
export async function requestBreakdown(
  model: OnnxModel,
  body: string,
  type: MediaType,
  runs = 50,
): Promise<Breakdown> {
  const bytes = new TextEncoder().encode(body);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const times: Record<keyof Breakdown, number[]> = {
    decode: [],
    parse: [],
    predict: [],
    format: [],
  };
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    const text = decoder.decode(bytes);
    const t1 = performance.now();
    const batch = parseBatch(text, type, model.inputNames);
    const t2 = performance.now();
    const out = await model.predict(batch.inputs);
    const t3 = performance.now();
    formatBody(batch.ids, out, "application/json");
    const t4 = performance.now();
    if (i < 5) continue; // warm-up (200 gave the same figures)
    times.decode.push(t1 - t0);
    times.parse.push(t2 - t1);
    times.predict.push(t3 - t2);
    times.format.push(t4 - t3);
  }
  return {
    decode: median(times.decode),
    parse: median(times.parse),
    predict: median(times.predict),
    format: median(times.format),
  };
}
