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
import { releaseIdleMemory, releaseWhenIdle } from "./memory.ts";
import { concatBatches, splitPredictions } from "./micro_batch.ts";
import { parseRequestBatch, utf8Bytes } from "./offload.ts";
import { formatBody, type MediaType, RequestError } from "./payload.ts";
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

/** At most this many queued requests, and this many rows, are scored in one run. */
const MAX_GROUP_REQUESTS = 64;
const MAX_GROUP_ROWS = 4096;

const WARM_UP_BODY = utf8Bytes('[{"Pclass":3,"Sex":"male"}]');
const counts = { answered: 0, inFlight: 0 };
let stopping = false;

const tell = (event: ScorerEvent) => self.postMessage(event);

/** A parsed request waiting for its rows' predictions. */
interface Parsed {
  id: number;
  accept: MediaType;
  batch: ModelBatch;
}

class Scorer {
  constructor(readonly model: OnnxModel, readonly replies: ByteRing) {}

  #answer(id: number, text: string, records: number, survived: number) {
    return this.replies.write([id, ANSWERED, records, survived], utf8Bytes(text));
  }

  #fail(id: number, err: unknown) {
    if (err instanceof RequestError) {
      return this.replies.write([id, REFUSED, 0, 0], refusalBytes(err));
    }
    const text = String((err as Error)?.stack ?? err);
    return this.replies.write([id, FAILED, 0, 0], utf8Bytes(text));
  }

  /** Answers `group`: explanations one by one, everything else in one run. */
  async answer(group: RingMessage[]): Promise<void> {
    const plain: Parsed[] = [];
    for (const { fields: [id, type, accept, explain], body } of group) {
      try {
        const batch = parseRequestBatch(body, mediaType(type), this.model.inputNames);
        if (explain === 1) {
          const { body: text, labels } = await explainedBody(this.model, batch, mediaType(accept));
          await this.#answer(id, text, batch.length, labels.reduce((a, b) => a + b, 0));
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
      await this.#answer(id, formatBody(batch.ids, out, accept), batch.length, survived);
    }
  }
}

/** The next request, and those already queued behind it (up to the group's bounds). */
async function nextGroup(requests: ByteRing): Promise<RingMessage[] | undefined> {
  // Wakes once a second when idle, to see whether it was told to stop.
  const first = await requests.read(1000);
  if (!first) {
    if (requests.closed) stopping = true; // the unit let this Worker go
    return undefined;
  }
  const group = [first];
  let bytes = first.body.length;
  // A body's bytes bound its rows from above only loosely; 64 bytes per row is a small CSV row.
  while (group.length < MAX_GROUP_REQUESTS && bytes < MAX_GROUP_ROWS * 64) {
    const queued = await requests.read(0);
    if (!queued) break;
    group.push(queued);
    bytes += queued.body.length;
  }
  return group;
}

async function serve(scorer: Scorer, requests: ByteRing) {
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
  // After a burst, this isolate's garbage goes back once idle (as the unit's own does).
  releaseWhenIdle(counts, releaseIdleMemory);
  serve(new Scorer(loaded, replies), new ByteRing(data.requests, REQUEST_FIELDS));
};
