/**
 * The offload Worker of a serving unit: loads its own session of the model, then answers
 * large request bodies (see offload.ts) with the response bytes (transferred) or the
 * request's error. Gives its garbage back to the OS whenever it has nothing left to do
 * (container/memory.ts).
 * @module
 */

/// <reference lib="deno.worker" />

import { OnnxModel } from "../src/inference/model.ts";
import { releaseIdleMemory } from "./memory.ts";
import { lowerThreadPriority } from "./priority.ts";
import { answerBodyBytes } from "./offload.ts";
import { type MediaType, RequestError } from "./payload.ts";

type Job = { id: number; bytes: Uint8Array; type: MediaType; accept: MediaType; explain: boolean };

let model: Promise<OnnxModel> | undefined;
let busy = 0;

async function answer({ id, bytes, type, accept, explain }: Job) {
  busy++;
  try {
    const { body, records, survived } = await answerBodyBytes(
      await model!,
      bytes,
      type,
      accept,
      explain,
    );
    self.postMessage({ id, ok: true, body, records, survived }, [body.buffer as ArrayBuffer]);
  } catch (err) {
    if (err instanceof RequestError) {
      const { status, code, message, record, field } = err;
      self.postMessage({ id, ok: false, error: { status, code, message, record, field } });
    } else {
      self.postMessage({ id, ok: false, internal: String((err as Error)?.stack ?? err) });
    }
  } finally {
    // Nothing left to do: this isolate's garbage (a 6 MB body's is about 100 MB) goes back now.
    if (--busy === 0) releaseIdleMemory();
  }
}

self.onmessage = async (
  event: MessageEvent<
    Job | { type: "start"; modelPath: string; threads: number } | { type: "stop" }
  >,
) => {
  const data = event.data;
  if ("type" in data && data.type === "stop") {
    // The session's memory is freed here, or never (see OnnxModel.release).
    await (await model)?.release().catch(() => {});
    self.postMessage({ type: "stopped" });
    return;
  }
  if ("type" in data && data.type === "start") {
    // Big bodies wait a little longer for a core; /ping and small requests do not.
    lowerThreadPriority(10);
    model = OnnxModel.load(data.modelPath, undefined, { intraOpThreads: data.threads });
    model.then(
      () => self.postMessage({ type: "ready" }),
      (err) => self.postMessage({ type: "fatal", message: (err as Error).message }),
    );
    return;
  }
  answer(data as Job);
};
