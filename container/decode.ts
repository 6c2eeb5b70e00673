/**
 * A request body to model inputs: UTF-8, then the media type's parser, then the input codec.
 * Small bodies are decoded on the serving unit's thread; large ones on a Worker of its own
 * ({@link startDecoder}), so that a 6 MB body never holds the loop that answers other requests.
 * @module
 */

import type { RawColumns } from "../src/codec/columns.ts";
import { encodeInputs, type ModelInputs } from "../src/codec/inputs.ts";
import { type MediaType, parseBody, RequestError } from "./payload.ts";

/** What the response needs of the request, and what the model takes. */
export interface Decoded {
  /** Only what formatBody reads: the record count and PassengerId. */
  columns: RawColumns;
  inputs: ModelInputs;
}

export type Decode = (
  bytes: Uint8Array,
  type: MediaType,
  inputNames: readonly string[],
) => Promise<Decoded>;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a body here, on this thread; bad input is a {@link RequestError}. */
export function decodeRequest(
  bytes: Uint8Array,
  type: MediaType,
  inputNames: readonly string[],
): Decoded {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new RequestError(400, "invalid_encoding", "the body is not valid UTF-8");
  }
  const parsed = parseBody(text, type);
  if (parsed.length === 0) {
    throw new RequestError(400, "empty_payload", "the body holds no passenger records");
  }
  return {
    columns: {
      length: parsed.length,
      numbers: { PassengerId: parsed.numbers.PassengerId },
      strings: {},
    },
    inputs: encodeInputs(parsed, inputNames),
  };
}

type Reply =
  | { id: number; ok: true; decoded: Decoded }
  | {
    id: number;
    ok: false;
    error?: { status: number; code: string; message: string; record?: number; field?: string };
    internal?: string;
  };

/** Buffers of the typed arrays in `decoded`, to transfer rather than copy. */
export function transferables(decoded: Decoded): ArrayBuffer[] {
  const arrays = [decoded.columns.numbers.PassengerId, ...Object.values(decoded.inputs)];
  return [
    ...new Set(arrays.flatMap((a) => (ArrayBuffer.isView(a) ? [a.buffer as ArrayBuffer] : []))),
  ];
}

/** Starts the decoding Worker of a serving unit; `stop` ends it. */
export function startDecoder(): { decode: Decode; stop(): void } {
  const worker = new Worker(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, { resolve: (d: Decoded) => void; reject: (e: Error) => void }>();
  let next = 0;
  worker.onmessage = (event: MessageEvent<Reply>) => {
    const reply = event.data;
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiting) return;
    if (reply.ok) waiting.resolve(reply.decoded);
    else if (reply.error) {
      const e = reply.error;
      waiting.reject(new RequestError(e.status, e.code, e.message, e.record, e.field));
    } else waiting.reject(new Error(`decoding failed: ${reply.internal}`));
  };
  return {
    decode: (bytes, type, inputNames) =>
      new Promise<Decoded>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        const copy = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? bytes
          : bytes.slice();
        worker.postMessage({ id, bytes: copy, type, inputNames }, [copy.buffer as ArrayBuffer]);
      }),
    stop: () => worker.terminate(),
  };
}
