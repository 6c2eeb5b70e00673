/**
 * A request body to the response body: UTF-8, the media type's parser, the input codec, the
 * model, the response format. Small bodies are answered on the serving unit's thread; large
 * ones on a Worker of its own with its own onnxruntime session ({@link startOffload}), so that
 * a 6 MB body (seconds of parsing and inference) never holds the loop that answers /ping and
 * the unit's other requests.
 * @module
 */

import type { RawColumns } from "../src/codec/columns.ts";
import type { OnnxModel } from "../src/inference/model.ts";
import {
  formatBody,
  type MediaType,
  type ModelBatch,
  parseBatch,
  parseBody,
  RequestError,
} from "./payload.ts";

/** An answered body: the response text as UTF-8, its records and how many are predicted to survive. */
export interface Answered {
  body: Uint8Array;
  records: number;
  survived: number;
}

export type Answer = (bytes: Uint8Array, type: MediaType, accept: MediaType) => Promise<Answered>;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

function decode(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new RequestError(400, "invalid_encoding", "the body is not valid UTF-8");
  }
}

function nonEmpty<T extends { length: number }>(parsed: T): T {
  if (parsed.length === 0) {
    throw new RequestError(400, "empty_payload", "the body holds no passenger records");
  }
  return parsed;
}

/** A body to raw passenger columns (of every field); bad input is a {@link RequestError}. */
export const parseRequest = (bytes: Uint8Array, type: MediaType): RawColumns =>
  nonEmpty(parseBody(decode(bytes), type));

/** A body straight to the model's inputs; bad input is a {@link RequestError}. */
export const parseRequestBatch = (
  bytes: Uint8Array,
  type: MediaType,
  inputNames: readonly string[],
): ModelBatch => nonEmpty(parseBatch(decode(bytes), type, inputNames));

/** Answers a body here, on this thread; bad input is a {@link RequestError}. */
export async function answerBody(
  model: OnnxModel,
  bytes: Uint8Array,
  type: MediaType,
  accept: MediaType,
): Promise<{ text: string; records: number; survived: number }> {
  const batch = parseRequestBatch(bytes, type, model.inputNames);
  const out = await model.predict(batch.inputs);
  return {
    text: formatBody(batch.ids, out, accept),
    records: batch.length,
    survived: out.labels.reduce((a, b) => a + b, 0),
  };
}

/** The UTF-8 of `text`, for a transfer between threads. */
export const utf8Bytes = (text: string) => encoder.encode(text);

type Reply =
  | { id: number; ok: true; body: Uint8Array; records: number; survived: number }
  | {
    id: number;
    ok: false;
    error?: { status: number; code: string; message: string; record?: number; field?: string };
    internal?: string;
  };

/**
 * Starts the offload Worker of a serving unit with its own session of the model; `ready`
 * settles once it is loaded, `stop` ends it.
 */
export function startOffload(
  modelPath: string,
  threads: number,
): { answer: Answer; ready: Promise<void>; stop(): void } {
  const worker = new Worker(new URL("./offload_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, { resolve: (a: Answered) => void; reject: (e: Error) => void }>();
  let next = 0;
  let loaded: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    loaded = resolve;
    failed = reject;
  });
  worker.onmessage = (
    event: MessageEvent<Reply | { type: "ready" | "fatal"; message?: string }>,
  ) => {
    const reply = event.data;
    if ("type" in reply) {
      if (reply.type === "ready") loaded();
      else failed(new Error(reply.message));
      return;
    }
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiting) return;
    if (reply.ok) {
      waiting.resolve({ body: reply.body, records: reply.records, survived: reply.survived });
    } else if (reply.error) {
      const e = reply.error;
      waiting.reject(new RequestError(e.status, e.code, e.message, e.record, e.field));
    } else waiting.reject(new Error(`offloaded request failed: ${reply.internal}`));
  };
  ready.catch(() => {}); // reported through each answer
  worker.postMessage({ type: "start", modelPath, threads });
  return {
    // Posted once the Worker's model is loaded; if it cannot be, every answer fails with why.
    answer: (bytes, type, accept) =>
      ready.then(() =>
        new Promise<Answered>((resolve, reject) => {
          const id = next++;
          pending.set(id, { resolve, reject });
          const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
            ? bytes
            : bytes.slice();
          worker.postMessage({ id, bytes: whole, type, accept }, [whole.buffer as ArrayBuffer]);
        })
      ),
    ready,
    stop: () => worker.terminate(),
  };
}
