/**
 * A serving unit's scoring Worker, seen from the unit: every request body up to the offload
 * size is parsed, scored and formatted there (scoring_worker.ts), never on the unit's thread,
 * which only moves bytes and answers /ping. Bodies and answers travel over two shared-memory
 * rings (byte_ring.ts), not postMessage, whose hop cost half of a small request's throughput
 * (measured); with requests that queued scored together, a single record now costs less CPU
 * than on the unit's thread, a 1000-record body about a fifth more (README, Threads).
 *
 * The Worker holds the unit's onnxruntime session. One that dies fails the requests it held
 * (each a logged 500) and is replaced at once; one that dies 4 times within a minute is a
 * fault the unit reports as fatal.
 * @module
 */

import { ByteRing, type RingMessage } from "./byte_ring.ts";
import type { Answer, Answered } from "./offload.ts";
import { type MediaType, REQUEST_TYPES, RequestError } from "./payload.ts";

/** Request fields: id, request type, response type, explain (0/1). */
export const REQUEST_FIELDS = 4;
/** Reply fields: id, outcome, records, predicted survivors. */
export const REPLY_FIELDS = 4;
/** Reply outcomes: the body is the answer, a RequestError's JSON, or an internal error's text. */
export const ANSWERED = 0;
export const REFUSED = 1;
export const FAILED = 2;
/** Each ring's size: a 256 KB body or a 2 MB answer passes in fragments. */
export const RING_BYTES = 1024 * 1024;

/** Media types as ring fields. */
export const mediaCode = (type: MediaType) => REQUEST_TYPES.indexOf(type);
export const mediaType = (code: number): MediaType => REQUEST_TYPES[code];

/** What the Worker's "ready" says about the model it loaded. */
export interface ScorerInfo {
  preset?: string;
  sha256: string;
  loadMs: number;
}

/** Messages from the Worker (besides the rings). */
export type ScorerEvent =
  | { type: "ready"; info: ScorerInfo }
  | { type: "fatal"; message: string }
  | { type: "stopped" };

/** What the unit learns from its scorer. */
export interface ScoringHooks {
  /**
   * `pending` requests are left, and one just ended or the first of a busy spell started:
   * progress, for the health board.
   */
  onProgress?: (pending: number) => void;
  log?: (entry: Record<string, unknown>) => void;
  /** The Worker keeps dying: the unit cannot serve. */
  onCrashLoop?: (message: string) => void;
}

/** A scorer: `ready` settles once the first Worker is warm (or rejects with why it cannot be). */
export interface Scoring {
  answer: Answer;
  ready: Promise<ScorerInfo>;
  stop(): Promise<void>;
}

const MAX_DEATHS_PER_MINUTE = 3;

interface Generation {
  worker: Worker;
  requests: ByteRing;
  replies: ByteRing;
  ready: Promise<ScorerInfo>;
  ended: boolean;
  stopped: Promise<void>;
}

/**
 * Starts the scoring Worker (`module`, default scoring_worker.ts) with its own session of the
 * model at `modelPath`.
 */
export function startScoring(
  modelPath: string,
  threads: number,
  hooks: ScoringHooks = {},
  module: URL = new URL("./scoring_worker.ts", import.meta.url),
): Scoring {
  const { onProgress = () => {}, log = () => {}, onCrashLoop = () => {} } = hooks;
  const pending = new Map<number, { resolve: (a: Answered) => void; reject: (e: Error) => void }>();
  const deaths: number[] = [];
  let nextId = 0;
  let stopping = false;

  const settle = (id: number) => {
    const waiting = pending.get(id);
    pending.delete(id);
    onProgress(pending.size);
    return waiting;
  };

  const spawn = (): Generation => {
    const worker = new Worker(module, { type: "module" });
    const requests = new ByteRing(RING_BYTES, REQUEST_FIELDS);
    const replies = new ByteRing(RING_BYTES, REPLY_FIELDS);
    let loaded: (info: ScorerInfo) => void = () => {};
    let failed: (err: Error) => void = () => {};
    let stopped: () => void = () => {};
    const generation: Generation = {
      worker,
      requests,
      replies,
      ended: false,
      ready: new Promise<ScorerInfo>((resolve, reject) => {
        loaded = resolve;
        failed = reject;
      }),
      stopped: new Promise<void>((resolve) => (stopped = resolve)),
    };
    generation.ready.catch(() => {}); // reported through `ready` and each answer
    worker.onmessage = (event: MessageEvent<ScorerEvent>) => {
      const message = event.data;
      if (message.type === "ready") loaded(message.info);
      else if (message.type === "fatal") failed(new Error(message.message));
      else stopped();
    };
    worker.onerror = (event) => {
      event.preventDefault();
      died(generation, event.message);
    };
    worker.postMessage({
      type: "start",
      modelPath,
      threads,
      requests: requests.buffer,
      replies: replies.buffer,
    });
    readReplies(generation);
    return generation;
  };

  // Answers come back in the order the Worker finishes them, each under its request's id.
  const readReplies = async (generation: Generation) => {
    while (!generation.ended) {
      const reply = await generation.replies.readWith(replyOf);
      if (!reply) continue; // closed: the loop ends
      const [id, outcome, records, survived] = reply.fields;
      const waiting = settle(id);
      if (!waiting) continue;
      if (outcome === ANSWERED) waiting.resolve({ body: reply.text, records, survived });
      else if (outcome === REFUSED) waiting.reject(refusal(reply.text));
      else waiting.reject(new Error(`scoring failed: ${reply.text}`));
    }
  };

  const end = (generation: Generation) => {
    generation.ended = true;
    generation.worker.terminate();
    // Whatever waits on the rings (a write for room, the reply loop) stops waiting now.
    generation.requests.close();
    generation.replies.close();
  };

  const died = (generation: Generation, message: string) => {
    end(generation);
    const error = new Error(`the scoring worker died: ${message}`);
    for (const id of [...pending.keys()]) settle(id)?.reject(error);
    log({ level: "error", message: "scoring worker died", error: message });
    if (stopping) return;
    const now = Date.now();
    deaths.push(now);
    while (deaths[0] < now - 60_000) deaths.shift();
    if (deaths.length > MAX_DEATHS_PER_MINUTE) {
      onCrashLoop(`the scoring worker died ${deaths.length} times within a minute`);
      return;
    }
    current = spawn();
  };

  let current = spawn();
  return {
    ready: current.ready,
    answer: async (bytes, type, accept, explain = false) => {
      const generation = current;
      await generation.ready;
      if (generation.ended) throw new Error("the scoring worker died");
      const id = nextId++;
      const answered = new Promise<Answered>((resolve, reject) => {
        pending.set(id, { resolve, reject });
      });
      // Work starting is progress only for an idle Worker: one that is stuck must not look
      // alive because requests keep arriving.
      if (pending.size === 1) onProgress(1);
      // Not awaited on its own: if the Worker dies while this waits for room, `answered` says so.
      generation.requests.write([id, mediaCode(type), mediaCode(accept), explain ? 1 : 0], bytes)
        .catch(() => {});
      return await answered;
    },
    // The Worker frees its session first (an ended isolate would leak it), then ends.
    stop: async () => {
      stopping = true;
      const generation = current;
      generation.worker.postMessage({ type: "stop" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([generation.stopped, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      end(generation);
    },
  };
}

const replyDecoder = new TextDecoder();
/** Where a reply is copied out of the ring (shared memory) to be decoded: grows, never shrinks. */
let replyScratch = new Uint8Array(64 * 1024);

/**
 * A reply's fields and text. Text, not bytes: a string answer is young garbage of this thread's
 * heap once written, collected within moments, where a buffer per answer waited for this
 * isolate's rare full collections and held malloc's heap up (README, Efficiency).
 */
function replyOf({ fields, body }: RingMessage): { fields: Int32Array; text: string } {
  if (!(body.buffer instanceof SharedArrayBuffer)) {
    return { fields, text: replyDecoder.decode(body) }; // came in fragments: a copy already
  }
  if (replyScratch.length < body.length) replyScratch = new Uint8Array(body.length);
  replyScratch.set(body);
  return { fields, text: replyDecoder.decode(replyScratch.subarray(0, body.length)) };
}

/** A RequestError as the ring carries it. */
export function refusalBytes(err: RequestError): Uint8Array {
  const { status, code, message, record, field } = err;
  return new TextEncoder().encode(JSON.stringify({ status, code, message, record, field }));
}

function refusal(text: string): RequestError {
  const e = JSON.parse(text);
  return new RequestError(e.status, e.code, e.message, e.record, e.field);
}
