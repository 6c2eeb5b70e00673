/**
 * A request body's text in pieces small enough for V8's regular heap. A string past 128 KB is a
 * V8 large object: when a young collection finds one still in use (its request is being
 * parsed) it is promoted and then waits for a full collection, which in a scoring Worker comes
 * rarely. Under 1000-record loads (a 159 KB JSON body) this held 300-odd such pages, about
 * 40 MB of the process's peak (README, Efficiency). Pieces under {@link PIECE_BYTES} die young.
 *
 * The cuts fall where they change nothing: JSON lines after a newline; a JSON list of records
 * between two records (`}` then `,`); CSV and other JSON shapes are one piece. Joined, the
 * pieces are the whole text: a piece that does not parse on its own is answered from the
 * whole text, with the whole text's error (payload.ts `parsePieces`).
 * @module
 */

import { RequestError } from "./payload.ts";

/**
 * At most this many bytes per piece: as UTF-16 (2 bytes per unit, at most one unit per byte of
 * UTF-8) with the 2 brackets a list's piece gets to parse, still under V8's 128 KB.
 */
export const PIECE_BYTES = 60_000;

const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;

const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/** The first byte of `bytes` that is not JSON whitespace, or -1. */
function firstNonSpace(bytes: Uint8Array): number {
  // A byte-order mark (EF BB BF) is dropped by the decoder, so it counts as nothing here.
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && isSpace(bytes[at])) at++;
  return at < bytes.length ? bytes[at] : -1;
}

/** A cut at or before `limit` (exclusive end of a piece) after `start`, or -1 when none is found. */
type FindCut = (bytes: Uint8Array, start: number, limit: number) => number;

/** After the last newline before `limit`. */
const lineCut: FindCut = (bytes, start, limit) => {
  const at = bytes.lastIndexOf(NEWLINE, limit - 1);
  return at > start ? at + 1 : -1;
};

/** After the last `}` before `limit` that is followed (past whitespace) by a comma. */
const recordCut: FindCut = (bytes, start, limit) => {
  for (let at = bytes.lastIndexOf(CLOSE_BRACE, limit - 1); at > start;) {
    let next = at + 1;
    while (next < bytes.length && isSpace(bytes[next])) next++;
    if (bytes[next] === COMMA) return at + 1;
    at = bytes.lastIndexOf(CLOSE_BRACE, at - 1);
  }
  return -1;
};

const first = new TextDecoder("utf-8", { fatal: true });
// After the first piece, a byte-order mark is text, as it is in the middle of the whole body.
const rest = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * `bytes` (the body) as UTF-8 text in pieces of at most `pieceBytes` where the media type can be
 * cut; bytes that are not UTF-8 are a {@link RequestError}, as for the whole body.
 */
export function decodePieces(
  bytes: Uint8Array,
  type: string,
  pieceBytes = PIECE_BYTES,
): string[] {
  let find: FindCut | undefined;
  if (bytes.length > pieceBytes) {
    if (type === "application/jsonlines") find = lineCut;
    else if (type === "application/json" && firstNonSpace(bytes) === OPEN_BRACKET) {
      find = recordCut;
    }
  }
  const cuts: number[] = [];
  if (find) {
    for (let start = 0; bytes.length - start > pieceBytes;) {
      const cut = find(bytes, start, start + pieceBytes);
      if (cut < 0) break; // no cut in reach: the rest stays one piece
      cuts.push(cut);
      start = cut;
    }
  }
  try {
    let start = 0;
    const pieces: string[] = [];
    for (const end of [...cuts, bytes.length]) {
      pieces.push((start === 0 ? first : rest).decode(bytes.subarray(start, end)));
      start = end;
    }
    return pieces;
  } catch {
    throw notUtf8(bytes, type);
  }
}

/** Where the first byte that is not UTF-8 is (the rare path: the body is refused). */
export function firstInvalidByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const length = b < 0x80
      ? 1
      : b >= 0xc2 && b <= 0xdf
      ? 2
      : b >= 0xe0 && b <= 0xef
      ? 3
      : b >= 0xf0 && b <= 0xf4
      ? 4
      : 0;
    if (length === 0 || i + length > bytes.length) return i;
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    const low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}

/** The 400 for a body that is not UTF-8: where, and for JSON lines which record. */
function notUtf8(bytes: Uint8Array, type: string): RequestError {
  const at = firstInvalidByte(bytes);
  if (at < 0) return new RequestError(400, "invalid_encoding", "the body is not valid UTF-8");
  let line = 1;
  let records = 0; // non-blank lines before the bad one (JSON lines' records)
  let blank = true;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      if (!blank) records++;
      blank = true;
    } else if (bytes[i] !== 0x20 && bytes[i] !== 0x09 && bytes[i] !== 0x0d) blank = false;
  }
  return new RequestError(
    400,
    "invalid_encoding",
    `the body is not valid UTF-8: byte ${at} (line ${line}) starts no UTF-8 character`,
    type === "application/jsonlines" ? records : undefined,
  );
}
