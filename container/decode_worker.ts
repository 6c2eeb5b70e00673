/**
 * The decoding Worker of a serving unit: large request bodies to model inputs, off the unit's
 * loop (see decode.ts). Answers each message with the inputs (their buffers transferred) or
 * the request's error.
 * @module
 */

/// <reference lib="deno.worker" />

import { decodeRequest, transferables } from "./decode.ts";
import { type MediaType, RequestError } from "./payload.ts";

self.onmessage = (
  event: MessageEvent<
    { id: number; bytes: Uint8Array; type: MediaType; inputNames: string[] }
  >,
) => {
  const { id, bytes, type, inputNames } = event.data;
  try {
    const decoded = decodeRequest(bytes, type, inputNames);
    self.postMessage({ id, ok: true, decoded }, transferables(decoded));
  } catch (err) {
    if (err instanceof RequestError) {
      const { status, code, message, record, field } = err;
      self.postMessage({ id, ok: false, error: { status, code, message, record, field } });
    } else {
      self.postMessage({ id, ok: false, internal: String((err as Error)?.stack ?? err) });
    }
  }
};
