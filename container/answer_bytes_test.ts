import assert from "node:assert/strict";
import { answerCapacity, writeAnswer } from "./answer_bytes.ts";
import { formatBody, RESPONSE_TYPES } from "./payload.ts";

const encoder = new TextEncoder();

/** writeAnswer's bytes and formatBody's text (JavaScript's own number texts) in UTF-8. */
function both(
  ids: Float64Array,
  probabilities: Float32Array,
  type: (typeof RESPONSE_TYPES)[number],
) {
  const labels = probabilities.map((p) => (p >= 0.5 ? 1 : 0));
  const out = { labels: Uint8Array.from(labels), probabilities };
  const bytes = writeAnswer(ids, out, type, new Uint8Array(answerCapacity(ids.length)));
  return { bytes, expected: encoder.encode(formatBody(ids, out, type)) };
}

/** Where two byte arrays first differ, with the text around it, for a readable failure. */
function assertSameBytes(actual: Uint8Array, expected: Uint8Array) {
  const decoder = new TextDecoder();
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  if (at === actual.length && at === expected.length) return;
  assert.fail(
    `first difference at byte ${at}: ${
      JSON.stringify(decoder.decode(actual.subarray(at - 40, at + 40)))
    }` +
      ` vs ${JSON.stringify(decoder.decode(expected.subarray(at - 40, at + 40)))}`,
  );
}

Deno.test("every probability's 6 decimals are written as JavaScript writes the rounded number", () => {
  // Each k of 0..10^6 (its float32 a little above k / 10^6), then edges and oddities.
  const probabilities: number[] = [];
  for (let k = 0; k <= 1e6; k++) probabilities.push((k + 0.25) / 1e6);
  probabilities.push(
    0,
    -0,
    1,
    4.9999e-7,
    5e-7,
    5.0001e-7,
    0.9999995,
    0.99999949,
    1.0000001,
    -1e-7,
    -0.5,
    2.5,
    NaN,
    Infinity,
    -Infinity,
    3.4e38,
    1e-45,
  );
  const p = Float32Array.from(probabilities);
  const ids = new Float64Array(p.length).fill(NaN);
  for (const type of RESPONSE_TYPES) {
    const { bytes, expected } = both(ids, p, type);
    assertSameBytes(bytes, expected);
  }
});

Deno.test("PassengerIds are written as JavaScript writes them, absent ones left out", () => {
  const ids = Float64Array.from([
    892,
    1,
    0,
    -0,
    -5,
    NaN,
    1309,
    1.5,
    -2.25,
    1e21,
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    -1.2345678901234567e-300,
    Number.MAX_VALUE,
    Infinity,
    123456789012,
  ]);
  const p = Float32Array.from(ids, (_, i) => (i * 0.137) % 1);
  for (const type of RESPONSE_TYPES) {
    const { bytes, expected } = both(ids, p, type);
    assertSameBytes(bytes, expected);
  }
});

Deno.test("the answer parses back to the rounded predictions, in order", () => {
  const n = 1000;
  const ids = Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : 892 + i));
  const p = Float32Array.from({ length: n }, (_, i) => Math.abs(Math.sin(i * 12.9898)));
  const { bytes } = both(ids, p, "application/json");
  const parsed = JSON.parse(new TextDecoder().decode(bytes)).predictions;
  assert.equal(parsed.length, n);
  for (let i = 0; i < n; i++) {
    assert.equal(parsed[i].PassengerId, Number.isNaN(ids[i]) ? undefined : ids[i]);
    assert.equal(parsed[i].Survived, p[i] >= 0.5 ? 1 : 0);
    assert.equal(parsed[i].probability, Math.round(p[i] * 1e6) / 1e6);
  }
});

Deno.test("a buffer too small for the records is refused before anything is written", () => {
  const out = { labels: new Uint8Array(10), probabilities: new Float32Array(10) };
  const bytes = new Uint8Array(answerCapacity(10) - 1);
  assert.throws(
    () => writeAnswer(new Float64Array(10), out, "application/json", bytes),
    /an answer of 10 records needs/,
  );
  assert.ok(bytes.every((b) => b === 0));
});
