/**
 * A serving unit's scoring Worker (see scoring.ts): loads the unit's session of the model,
 * warms it up, then answers the request bodies that arrive on its ring, on the other ring.
 * Requests that queued up while it was busy are scored together in one run (micro_batch.ts).
 * Gives its garbage back to the OS once it has been idle a second after a burst
 * (container/memory.ts).
 * @module
 */

/// <reference lib="deno.worker" />

import type { ModelBatch } from "../src/codec/batch.ts";
import { OnnxModel } from "../src/inference/model.ts";
import { ByteRing, type RingMessage } from "./byte_ring.ts";
import { explainedBody } from "./explain.ts";
import { heapBound, releaseIdleMemory, releaseWhenIdle } from "./memory.ts";
import { concatBatches, splitPredictions } from "./micro_batch.ts";
import { decodePieces } from "./body_pieces.ts";
import { parseRequestBatch, parseRequestPieces, utf8Bytes } from "./offload.ts";
import { type MediaType, RequestError } from "./payload.ts";
import { answerCapacity, writeAnswer } from "./answer_bytes.ts";
import {
  ANSWERED,
  FAILED,
  mediaType,
  refusalBytes,
  REFUSED,
  REPLY_FIELDS,
  REQUEST_FIELDS,
  type ScorerEvent,
} from "./scoring.ts";

type Start = {
  type: "start";
  modelPath: string;
  threads: number;
  requests: SharedArrayBuffer;
  replies: SharedArrayBuffer;
};

/**
 * At most this many queued requests, and this many rows, are scored in one run. Small bodies
 * gain much from sharing a run, 1000-record ones little, and two or four of them in one run held
 * their texts, columns and onnxruntime's tensors at once: 1024 rows against 4096 took the peak
 * RSS under 8 connections of 1000-record CSV from 159 to 145 MB, JSON from 154 to 149 MB, at
 * about 2 % fewer requests/s (4 alternated rounds, within the runs' spread).
 */
const MAX_GROUP_REQUESTS = 64;
const MAX_GROUP_ROWS = 1024;

const WARM_UP_BODY = utf8Bytes('[{"Pclass":3,"Sex":"male"}]');
const counts = { answered: 0, inFlight: 0 };
let stopping = false;

const encoder = new TextEncoder();
const tell = (event: ScorerEvent) => self.postMessage(event);

/** A parsed request waiting for its rows' predictions. */
interface Parsed {
  id: number;
  accept: MediaType;
  batch: ModelBatch;
}

class Scorer {
  constructor(readonly model: OnnxModel, readonly replies: ByteRing) {}

  /** Answers are written here, then copied into the ring: no new buffer per answer. */
  #scratch = new Uint8Array(64 * 1024);

  /** The scratch, at least `bytes` long. */
  #room(bytes: number): Uint8Array {
    if (this.#scratch.length < bytes) this.#scratch = new Uint8Array(bytes);
    return this.#scratch;
  }

  // Awaited by every caller before the next answer, so the scratch is never overwritten early.
  #answer(id: number, body: Uint8Array, records: number, survived: number) {
    return this.replies.write([id, ANSWERED, records, survived], body);
  }

  #answerText(id: number, text: string, records: number, survived: number) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const { written } = encoder.encodeInto(text, this.#room(text.length * 3));
    return this.#answer(id, this.#scratch.subarray(0, written), records, survived);
  }

  #fail(id: number, err: unknown) {
    if (err instanceof RequestError) {
      return this.replies.write([id, REFUSED, 0, 0], refusalBytes(err));
    }
    const text = String((err as Error)?.stack ?? err);
    return this.replies.write([id, FAILED, 0, 0], utf8Bytes(text));
  }

  /** Answers `group`: explanations one by one, everything else in one run. */
  async answer(group: Request[]): Promise<void> {
    const plain: Parsed[] = [];
    for (const { fields: [id, type, accept, explain], pieces, error } of group) {
      try {
        if (pieces === undefined) throw error;
        const batch = parseRequestPieces(pieces, mediaType(type), this.model.inputNames);
        if (explain === 1) {
          const { body: text, labels } = await explainedBody(this.model, batch, mediaType(accept));
          await this.#answerText(id, text, batch.length, labels.reduce((a, b) => a + b, 0));
        } else plain.push({ id, accept: mediaType(accept), batch });
      } catch (err) {
        await this.#fail(id, err);
      }
    }
    if (plain.length === 0) return;
    let parts;
    try {
      const out = await this.model.predict(concatBatches(plain.map((p) => p.batch)).inputs);
      parts = splitPredictions(out, plain.map((p) => p.batch.length));
    } catch (err) {
      for (const { id } of plain) await this.#fail(id, err);
      return;
    }
    for (const [i, { id, accept, batch }] of plain.entries()) {
      const out = parts[i];
      const survived = out.labels.reduce((a, b) => a + b, 0);
      const body = writeAnswer(batch.ids, out, accept, this.#room(answerCapacity(batch.length)));
      await this.#answer(id, body, batch.length, survived);
    }
  }
}

/**
 * A request as read from the ring: its fields and its text, in pieces that stay out of V8's
 * large-object space (body_pieces.ts), or why it has none.
 */
interface Request {
  fields: Int32Array;
  pieces?: string[];
  chars: number;
  error?: unknown;
}

/** Decodes straight from the ring (no copy of the body); the room is freed after. */
const decoded = ({ fields, body }: RingMessage): Request => {
  try {
    const pieces = decodePieces(body, mediaType(fields[1]));
    return { fields, pieces, chars: pieces.reduce((n, piece) => n + piece.length, 0) };
  } catch (error) {
    return { fields, chars: 0, error };
  }
};

/**
 * How long the Worker blocks waiting for a request before its event loop runs (messages such as
 * "stop", the idle release's timer), ms.
 */
const BLOCK_MS = 50;

/** The event loop's turn: what came meanwhile (a message, a timer) runs now. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The next request, and those already queued behind it (up to the group's bounds). It waits by
 * blocking this thread (byte_ring.ts readBlocking): nothing else runs here meanwhile, since
 * onnxruntime's runs are awaited before the next read.
 */
async function nextGroup(requests: ByteRing): Promise<Request[] | undefined> {
  let first: Request | undefined;
  while (!(first = requests.readBlocking(decoded, BLOCK_MS))) {
    if (requests.closed) stopping = true; // the unit let this Worker go
    if (stopping) return undefined;
    await turn();
  }
  const group = [first];
  let chars = first.chars;
  // A body's size bounds its rows from above only loosely; 64 bytes per row is a small CSV row.
  while (group.length < MAX_GROUP_REQUESTS && chars < MAX_GROUP_ROWS * 64) {
    const queued = requests.readBlocking(decoded, 0);
    if (!queued) break;
    group.push(queued);
    chars += queued.chars;
  }
  return group;
}

async function serve(scorer: Scorer, requests: ByteRing) {
  const boundHeap = heapBound();
  while (!stopping) {
    const group = await nextGroup(requests);
    if (!group) continue;
    counts.inFlight += group.length;
    try {
      await scorer.answer(group);
    } finally {
      counts.inFlight -= group.length;
      counts.answered += group.length;
    }
    boundHeap(); // between groups: a collection here holds up no answer already written
  }
}

let model: Promise<OnnxModel> | undefined;

self.onmessage = async (event: MessageEvent<Start | { type: "stop" }>) => {
  const data = event.data;
  if (data.type === "stop") {
    stopping = true;
    // The session's memory is freed here, or never (see OnnxModel.release).
    await (await model?.catch(() => undefined))?.release().catch(() => {});
    tell({ type: "stopped" });
    return;
  }
  const started = performance.now();
  model = OnnxModel.load(data.modelPath, undefined, { intraOpThreads: data.threads });
  let loaded: OnnxModel;
  const replies = new ByteRing(data.replies, REPLY_FIELDS);
  try {
    loaded = await model;
    // Every code path of answering has run (and is resident) before /ping may say 200.
    const batch = parseRequestBatch(WARM_UP_BODY, "application/json", loaded.inputNames);
    const out = await loaded.predict(batch.inputs);
    if (out.labels.length !== 1) throw new Error("warm-up prediction returned nothing");
  } catch (err) {
    tell({ type: "fatal", message: (err as Error).message });
    return;
  }
  tell({
    type: "ready",
    info: {
      preset: loaded.card.preset,
      sha256: loaded.sha256,
      loadMs: Math.round(performance.now() - started),
    },
  });
  // Loading's garbage goes back now; a burst's once idle (as the unit's own does).
  releaseIdleMemory();
  releaseWhenIdle(counts, releaseIdleMemory);
  serve(new Scorer(loaded, replies), new ByteRing(data.requests, REQUEST_FIELDS));
};
