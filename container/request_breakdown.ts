/**
 * Where one request's time goes, step by step, as the server's handler does it (container/app.ts):
 * UTF-8 decoding of the body, parsing and validation into columns, encoding into the model's
 * tensors, onnxruntime, and writing the answer. Measured in this process on one thread, without
 * HTTP: what is left of a request's latency is the HTTP layer and the event loop.
 * @module
 */

import { encodeInputs } from "../src/codec/inputs.ts";
import type { OnnxModel } from "../src/inference/model.ts";
import { formatBody, type MediaType, parseBody } from "./payload.ts";

/** Median milliseconds of each step. */
export type Breakdown = Record<"decode" | "parse" | "encode" | "predict" | "format", number>;

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
    encode: [],
    predict: [],
    format: [],
  };
  for (let i = 0; i < runs + 5; i++) {
    const t0 = performance.now();
    const text = decoder.decode(bytes);
    const t1 = performance.now();
    const columns = parseBody(text, type);
    const t2 = performance.now();
    const inputs = encodeInputs(columns, model.inputNames);
    const t3 = performance.now();
    const out = await model.predict(inputs);
    const t4 = performance.now();
    formatBody(columns, out, "application/json");
    const t5 = performance.now();
    if (i < 5) continue; // warm-up
    times.decode.push(t1 - t0);
    times.parse.push(t2 - t1);
    times.encode.push(t3 - t2);
    times.predict.push(t4 - t3);
    times.format.push(t5 - t4);
  }
  return {
    decode: median(times.decode),
    parse: median(times.parse),
    encode: median(times.encode),
    predict: median(times.predict),
    format: median(times.format),
  };
}
