/**
 * A request body to the response body: UTF-8, the media type's parser, the input codec, the
 * model, the response format. Small bodies are answered on the serving unit's thread; large
 * ones on a Worker of its own with its own onnxruntime session ({@link startOffload}), so that
 * a 6 MB body (seconds of parsing and inference) never holds the loop that answers /ping and
 * the unit's other requests.
 * @module
 */

import { answerCapacity, writeAnswer } from "./answer_bytes.ts";
import { explainedBody } from "./explain.ts";
import type { OnnxModel } from "../src/inference/model.ts";
import { decodePieces } from "./body_pieces.ts";
import {
  formatBody,
  type MediaType,
  type ModelBatch,
  parseBatchPieces,
  RequestError,
} from "./payload.ts";

/**
 * An answered body: the response text (or its UTF-8), its records and how many are predicted to
 * survive.
 */
export interface Answered {
  body: Uint8Array | string;
  records: number;
  survived: number;
}

/** Answers a body; with `explain`, each record carries its explanation (explain.ts). */
export type Answer = (
  bytes: Uint8Array,
  type: MediaType,
  accept: MediaType,
  explain?: boolean,
) => Promise<Answered>;

const encoder = new TextEncoder();

const noRecords = () =>
  new RequestError(400, "empty_payload", "the body holds no passenger records");

function nonEmpty(parsed: ModelBatch): ModelBatch {
  if (parsed.length === 0) throw noRecords();
  return parsed;
}

/**
 * A body's text, in pieces (body_pieces.ts), straight to the model's inputs; bad input is a
 * {@link RequestError}.
 */
export const parseRequestPieces = (
  pieces: readonly string[],
  type: MediaType,
  inputNames: readonly string[],
): ModelBatch => {
  return nonEmpty(parseBatchPieces(pieces, type, inputNames));
};

/** A body straight to the model's inputs; bad input is a {@link RequestError}. */
export const parseRequestBatch = (
  bytes: Uint8Array,
  type: MediaType,
  inputNames: readonly string[],
): ModelBatch => parseRequestPieces(decodePieces(bytes, type), type, inputNames);

/** A body's records and their predictions, here; bad input is a {@link RequestError}. */
async function predicted(model: OnnxModel, bytes: Uint8Array, type: MediaType) {
  const batch = parseRequestBatch(bytes, type, model.inputNames);
  const out = await model.predict(batch.inputs);
  return { batch, out, records: batch.length, survived: out.labels.reduce((a, b) => a + b, 0) };
}

/** Answers a body here, on this thread; bad input is a {@link RequestError}. */
export async function answerBody(
  model: OnnxModel,
  bytes: Uint8Array,
  type: MediaType,
  accept: MediaType,
  explain = false,
): Promise<{ text: string; records: number; survived: number }> {
  if (explain) {
    const batch = parseRequestBatch(bytes, type, model.inputNames);
    const { body, labels } = await explainedBody(model, batch, accept);
    return { text: body, records: batch.length, survived: labels.reduce((a, b) => a + b, 0) };
  }
  const { batch, out, records, survived } = await predicted(model, bytes, type);
  return { text: formatBody(batch.ids, out, accept), records, survived };
}

/**
 * Answers a body here as UTF-8, the predictions written straight into a buffer of their own
 * (answer_bytes.ts) to be transferred: the same bytes as {@link answerBody}'s text. A 6 MB
 * body's answer is 2 MB, and building it as a string allocated several times that.
 */
export async function answerBodyBytes(
  model: OnnxModel,
  bytes: Uint8Array,
  type: MediaType,
  accept: MediaType,
  explain = false,
): Promise<{ body: Uint8Array; records: number; survived: number }> {
  if (explain) {
    const { text, records, survived } = await answerBody(model, bytes, type, accept, true);
    return { body: utf8Bytes(text), records, survived };
  }
  const { batch, out, records, survived } = await predicted(model, bytes, type);
  const room = new ArrayBuffer(answerCapacity(records));
  const { length } = writeAnswer(batch.ids, out, accept, new Uint8Array(room));
  return { body: new Uint8Array(room.transfer(length)), records, survived }; // just the bytes written
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
): { answer: Answer; ready: Promise<void>; readonly dead: boolean; stop(): Promise<void> } {
  const worker = new Worker(new URL("./offload_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, { resolve: (a: Answered) => void; reject: (e: Error) => void }>();
  let next = 0;
  let loaded: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  let stopped: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    loaded = resolve;
    failed = reject;
  });
  worker.onmessage = (
    event: MessageEvent<Reply | { type: "ready" | "fatal" | "stopped"; message?: string }>,
  ) => {
    const reply = event.data;
    if ("type" in reply) {
      if (reply.type === "ready") loaded();
      else if (reply.type === "stopped") stopped();
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
  // A Worker that dies fails what it was given (instead of leaving it waiting forever) and
  // whatever is posted to it later; its owner starts a new one (idleStoppingOffload).
  let died: Error | undefined;
  worker.onerror = (event) => {
    event.preventDefault();
    died = new Error(`the offload worker died: ${event.message}`);
    failed(died);
    for (const waiting of pending.values()) waiting.reject(died);
    pending.clear();
  };
  worker.postMessage({ type: "start", modelPath, threads });
  return {
    // Posted once the Worker's model is loaded; if it cannot be, every answer fails with why.
    answer: (bytes, type, accept, explain = false) =>
      ready.then(() =>
        new Promise<Answered>((resolve, reject) => {
          if (died) return reject(died);
          const id = next++;
          pending.set(id, { resolve, reject });
          const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
            ? bytes
            : bytes.slice();
          worker.postMessage({ id, bytes: whole, type, accept, explain }, [
            whole.buffer as ArrayBuffer,
          ]);
        })
      ),
    ready,
    get dead() {
      return died !== undefined;
    },
    // The Worker frees its session first (an ended isolate would leak it), then ends.
    stop: async () => {
      const done = new Promise<void>((resolve) => (stopped = resolve));
      worker.postMessage({ type: "stop" });
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      worker.terminate();
    },
  };
}

/** How long an offload Worker may sit idle before it is stopped (its memory goes with it). */
export const OFFLOAD_IDLE_MS = 1000;

/** What an idle-stopping offload tells its owner. */
export interface OffloadHooks {
  /** The Worker ended after being idle (a moment to give memory back). */
  onStopped?: () => void;
  /**
   * `pending` jobs are left, and one just ended or the first of a busy spell started: progress,
   * for the health board.
   */
  onProgress?: (pending: number) => void;
}

/**
 * An offload Worker started with the first large body and stopped once it has had nothing to
 * do for `idleMs`: its isolate and onnxruntime session (tens of MB) are given back between
 * bursts, at the cost of a session load (about a tenth of a 6 MB body's time) on the next one.
 * A Worker that died is replaced by the next body.
 */
export function idleStoppingOffload(
  modelPath: string,
  threads: number,
  hooks: OffloadHooks = {},
  idleMs = OFFLOAD_IDLE_MS,
): { answer: Answer; stop(): Promise<void> } {
  const { onStopped = () => {}, onProgress = () => {} } = hooks;
  let current: ReturnType<typeof startOffload> | undefined;
  let busy = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = async () => {
    clearTimeout(timer);
    if (!current) return;
    const ending = current;
    current = undefined;
    await ending.stop();
    // The Worker's thread ends a moment after terminate(), and its glibc arena is given back
    // only once it has: trimmed then, and again later for a thread that took longer to end.
    setTimeout(onStopped, 250);
    setTimeout(onStopped, 1500);
  };
  return {
    answer: async (bytes, type, accept, explain) => {
      clearTimeout(timer);
      if (busy++ === 0) onProgress(busy);
      if (current?.dead) current = undefined;
      try {
        current ??= startOffload(modelPath, threads);
        return await current.answer(bytes, type, accept, explain);
      } finally {
        onProgress(--busy);
        if (busy === 0) timer = setTimeout(stop, idleMs);
      }
    },
    stop,
  };
}
