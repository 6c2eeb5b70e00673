import assert from "node:assert/strict";
import { ByteRing } from "../container/byte_ring.ts";

/** Deterministic bytes (a xorshift stream) so that a misplaced or torn fragment shows. */
function bytesOf(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// Sizes around the ring's edges: empty, tiny, unaligned, a quarter of the ring (one fragment's
// most), several times the ring (many fragments), and many small ones that wrap it often.
const RING = 4096;
const SIZES = [0, 1, 3, 4, 5, 1023, 1024, 1025, 4096, 13_001, 65_536, 7, 2, 999, 3000];

for (const blocking of [false, true]) {
  Deno.test(`byte ring: messages cross to a real Worker${blocking ? " that reads blocking" : ""} and back whole, in order, through fragments, wraps and a full ring`, async () => {
    const requests = new ByteRing(RING, 3);
    const replies = new ByteRing(RING, 3);
    const worker = new Worker(new URL("./fixtures/ring_echo.ts", import.meta.url), {
      type: "module",
    });
    try {
      await new Promise((resolve) => {
        worker.onmessage = resolve;
        worker.postMessage({
          requests: requests.buffer,
          replies: replies.buffer,
          fields: 3,
          blocking,
        });
      });
      const sent = Array.from({ length: 300 }, (_, i) => ({
        fields: [i, 3 * i - 500, 0x7fffffff - i],
        body: bytesOf(i + 1, SIZES[i % SIZES.length] + (i % 5)),
      }));
      // Every message is queued at once: the writer must wait for room (the echo pauses) and
      // must not interleave the fragments of two messages.
      const writing = Promise.all(sent.map((m) => requests.write(m.fields, m.body)));
      for (const [i, expected] of sent.entries()) {
        const got = await replies.read();
        assert.ok(got, `message ${i} arrived`);
        assert.deepEqual([...got.fields], expected.fields, `message ${i}'s fields`);
        assert.equal(got.body.length, expected.body.length, `message ${i}'s length`);
        assert.deepEqual(got.body, expected.body, `message ${i}'s bytes`);
      }
      await writing;
      assert.equal(await replies.read(50), undefined, "nothing more: a read times out");
    } finally {
      worker.terminate();
    }
  });
}

Deno.test("byte ring: a blocking read takes what is there, times out on nothing, and ends on a closed ring", async () => {
  const ring = new ByteRing(1024, 1);
  const big = bytesOf(9, 3000); // fragments
  await ring.write([5], new Uint8Array([1, 2, 3]));
  const writing = ring.write([6], big);
  const copy = (m: { fields: Int32Array; body: Uint8Array }) => [m.fields[0], m.body.slice()];
  assert.deepEqual(ring.readBlocking(copy, 0), [5, new Uint8Array([1, 2, 3])]);
  // The rest of the 3000 bytes is written as the read frees room: the writer's turn comes in
  // between, so this read is the async one.
  assert.deepEqual(await ring.read(), { fields: new Int32Array([6]), body: big });
  await writing;
  assert.equal(ring.readBlocking(copy, 30), undefined, "nothing came within the timeout");
  ring.close();
  assert.equal(ring.readBlocking(copy, 60_000), undefined, "closed: no wait");
});

Deno.test("byte ring: both ends on one thread; a wrong number of fields and a bad size are refused", async () => {
  const ring = new ByteRing(1024, 1);
  const big = bytesOf(7, 10_000);
  // 10 KB through a 1 KB ring: the writer and the reader must take turns.
  const [, got] = await Promise.all([ring.write([42], big), ring.read()]);
  assert.deepEqual(got?.body, big);
  assert.equal(got?.fields[0], 42);
  assert.throws(() => ring.write([1, 2], new Uint8Array(1)), /has 1 fields, not 2/);
  assert.throws(() => new ByteRing(1000, 1), /multiple of 4 bytes, at least 1024/);
  assert.throws(() => new ByteRing(1026, 1), /multiple of 4 bytes/);
});

Deno.test("byte ring: closing it ends a writer waiting for room and a reader waiting for a message", async () => {
  const ring = new ByteRing(1024, 1);
  const reader = new ByteRing(1024, 1);
  const waitingRead = reader.read();
  // More than the ring holds, with nobody reading: the writer waits for room.
  const waitingWrite = ring.write([1], new Uint8Array(5000));
  ring.close();
  reader.close();
  await assert.rejects(waitingWrite, /the ring is closed/);
  assert.equal(await waitingRead, undefined);
  await assert.rejects(ring.write([2], new Uint8Array(1)), /the ring is closed/);
  assert.equal(ring.closed, true);
});
