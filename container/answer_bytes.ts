/**
 * Predictions straight to a response body's UTF-8, byte for byte what {@link formatBody} writes
 * (payload.ts), without its text: formatBody's strings and their UTF-8 were about a third of
 * what a scoring Worker allocated per 1000-record request (some 350 of 990 KB, V8's
 * --trace-gc-nvp), and every young collection that comes sooner copies the requests in flight.
 * @module
 */

import type { Predictions } from "../src/inference/model.ts";
import type { MediaType } from "./payload.ts";

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

const JSON_OPEN = ascii(`{"predictions":[`);
const JSON_CLOSE = ascii(`]}`);
const WITH_ID = ascii(`{"PassengerId":`);
const SURVIVED_AFTER_ID = ascii(`,"Survived":`);
const SURVIVED_FIRST = ascii(`{"Survived":`);
const PROBABILITY = ascii(`,"probability":`);

const ZERO = 0x30;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;

/**
 * Bytes a record can take at most (93): its keys and punctuation (45) and two numbers as
 * JavaScript writes them (at most 24 characters each, e.g. -1.2345678901234567e-300).
 */
const RECORD_BYTES = 96;

/** The size of a buffer that holds the answer for `records` records. */
export const answerCapacity = (records: number) => records * RECORD_BYTES + 32;

/** Writes `part` into `bytes` at `at`; returns the end. */
function put(bytes: Uint8Array, at: number, part: Uint8Array): number {
  for (let i = 0; i < part.length; i++) bytes[at + i] = part[i];
  return at + part.length;
}

/** Writes `value` as JavaScript's `String(value)` does (number texts are ASCII); returns the end. */
function putNumberText(bytes: Uint8Array, at: number, value: number): number {
  const text = String(value);
  for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** Writes the digits of a non-negative safe integer; returns the end. */
function putDigits(bytes: Uint8Array, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let i = digits - 1, rest = value; i >= 0; i--, rest = Math.floor(rest / 10)) {
    bytes[at + i] = ZERO + (rest % 10);
  }
  return at + digits;
}

/** A PassengerId as `String(id)` writes it; integers (the usual case) without a string. */
function putId(bytes: Uint8Array, at: number, id: number): number {
  if (!Number.isSafeInteger(id)) return putNumberText(bytes, at, id);
  if (id < 0) bytes[at++] = MINUS;
  return putDigits(bytes, at, Math.abs(id)); // -0 is written "0", as String(-0) is
}

/**
 * `p` rounded to 6 decimals, as `String(Math.round(p * 1e6) / 1e6)` writes it. For k = round(p x
 * 10^6) in 1..999999, k / 10^6 is the double nearest a decimal of at most 6 digits after the
 * point, whose shortest round-trip text is those digits without trailing zeros.
 */
function putProbability(bytes: Uint8Array, at: number, p: number): number {
  const k = Math.round(p * 1e6);
  // 1, 0 and -0 (written "0"), NaN and what lies outside [0, 1]: as String() writes them.
  if (!(k > 0 && k < 1e6)) return putNumberText(bytes, at, k / 1e6);
  bytes[at++] = ZERO;
  bytes[at++] = DOT;
  let last = at; // the end after the last non-zero digit
  for (let unit = 100_000, rest = k; unit >= 1; unit /= 10) {
    const digit = Math.floor(rest / unit);
    rest -= digit * unit;
    bytes[at++] = ZERO + digit;
    if (digit !== 0) last = at;
  }
  return last;
}

/**
 * One prediction as formatBody's JSON object: PassengerId only when the record had one (not
 * NaN); returns the end.
 */
function putPredictionJson(
  bytes: Uint8Array,
  at: number,
  id: number,
  label: number,
  probability: number,
): number {
  if (Number.isNaN(id)) at = put(bytes, at, SURVIVED_FIRST);
  else at = put(bytes, putId(bytes, put(bytes, at, WITH_ID), id), SURVIVED_AFTER_ID);
  bytes[at++] = ZERO + label;
  at = putProbability(bytes, put(bytes, at, PROBABILITY), probability);
  bytes[at++] = CLOSE_BRACE;
  return at;
}

/**
 * Writes the answer for predictions `out` of records whose PassengerIds are `ids` (NaN: none) as
 * a body of media type `type` into `bytes`, which must hold {@link answerCapacity} of the records;
 * returns the bytes written. The same bytes as formatBody's text in UTF-8.
 */
export function writeAnswer(
  ids: Float64Array,
  out: Predictions,
  type: MediaType,
  bytes: Uint8Array,
): Uint8Array {
  const n = out.labels.length;
  if (bytes.length < answerCapacity(n)) {
    throw new RangeError(`an answer of ${n} records needs ${answerCapacity(n)} bytes`);
  }
  const json = type === "application/json";
  let at = json ? put(bytes, 0, JSON_OPEN) : 0;
  for (let i = 0; i < n; i++) {
    const label = out.labels[i] ? 1 : 0;
    const id = ids[i];
    if (type === "text/csv") {
      // One line per input record, no header (Batch Transform joins lines by position).
      if (!Number.isNaN(id)) at = putId(bytes, at, id);
      bytes[at++] = COMMA;
      bytes[at++] = ZERO + label;
      bytes[at++] = COMMA;
      at = putProbability(bytes, at, out.probabilities[i]);
      bytes[at++] = NEWLINE;
      continue;
    }
    if (json && i > 0) bytes[at++] = COMMA;
    at = putPredictionJson(bytes, at, id, label, out.probabilities[i]);
    if (!json) bytes[at++] = NEWLINE;
  }
  if (json) at = put(bytes, at, JSON_CLOSE);
  return bytes.subarray(0, at);
}
