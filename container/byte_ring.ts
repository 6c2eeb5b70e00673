/**
 * A one-way queue of messages on shared memory between two threads, one writing and one
 * reading, woken with Atomics instead of postMessage. A round trip between two threads costs
 * about a fifth of postMessage's CPU (measured on these machines: 10-14 µs against 50-60 µs),
 * which is what lets every request's parsing and scoring leave the thread that answers /ping
 * (container/scoring.ts) without costing small requests their throughput.
 *
 * A message is a fixed number of int32 fields and a body of bytes. A body larger than a
 * quarter of the ring goes through in fragments, so any size fits a ring of any size; a writer
 * waits (asynchronously) while the ring is full.
 * @module
 */

/**
 * Control words: byte positions of the next write and the next read, in [0, capacity), and 1
 * once either end closed the ring.
 */
const WRITE = 0;
const READ = 1;
const CLOSED = 2;
const CONTROL_BYTES = 16;
/** A fragment's header: payload bytes (or WRAP), the whole body's bytes, more fragments follow. */
const SIZE = 0;
const TOTAL = 1;
const MORE = 2;
const HEADER_INTS = 3;
/** The rest of the ring's end is unused: the next fragment starts at 0. */
const WRAP = -1;

/** A message read from a ring. */
export interface RingMessage {
  fields: Int32Array;
  body: Uint8Array;
}

const align4 = (n: number) => (n + 3) & ~3;

/** One end of a ring: the writing thread uses `write`, the reading thread `read`. */
export class ByteRing {
  readonly #control: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #ints: Int32Array;
  readonly #capacity: number;
  readonly #fragmentBytes: number;
  /** Writes (and reads) one at a time: a message's fragments must not interleave. */
  #writing: Promise<unknown> = Promise.resolve();
  #reading: Promise<unknown> = Promise.resolve();

  /**
   * A new ring of `capacity` bytes (a multiple of 4, at least 1 KB) whose messages carry
   * `fields` int32s, or the other end of an existing ring's `buffer`.
   */
  constructor(capacityOrBuffer: number | SharedArrayBuffer, readonly fields: number) {
    const buffer = typeof capacityOrBuffer === "number"
      ? new SharedArrayBuffer(CONTROL_BYTES + capacityOrBuffer)
      : capacityOrBuffer;
    this.#capacity = buffer.byteLength - CONTROL_BYTES;
    if (this.#capacity < 1024 || this.#capacity % 4 !== 0) {
      throw new RangeError(`a ring holds a multiple of 4 bytes, at least 1024: ${this.#capacity}`);
    }
    this.#control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.#bytes = new Uint8Array(buffer, CONTROL_BYTES);
    this.#ints = new Int32Array(buffer, CONTROL_BYTES);
    // Below half the ring, a fragment always fits once the ring is empty, wherever it wraps.
    this.#fragmentBytes = align4(Math.floor(this.#capacity / 4));
  }

  /** The memory to hand to the other thread. */
  get buffer(): SharedArrayBuffer {
    return this.#control.buffer as SharedArrayBuffer;
  }

  /**
   * Ends the ring for both ends (the other thread died, or is being replaced): waiting and later
   * writes reject, waiting and later reads find nothing.
   */
  close(): void {
    Atomics.store(this.#control, CLOSED, 1);
    Atomics.notify(this.#control, READ);
    Atomics.notify(this.#control, WRITE);
  }

  get closed(): boolean {
    return Atomics.load(this.#control, CLOSED) === 1;
  }

  /** Queues a message; resolves once all of it is in the ring (rejects if it is closed). */
  write(fields: ArrayLike<number>, body: Uint8Array): Promise<void> {
    if (fields.length !== this.fields) {
      throw new RangeError(
        `a message of this ring has ${this.fields} fields, not ${fields.length}`,
      );
    }
    const done = this.#writing.then(() => this.#writeNow(fields, body));
    this.#writing = done.catch(() => {});
    return done;
  }

  /**
   * The next message, or undefined when none has begun within `timeoutMs` (default: wait as
   * long as it takes) or the ring is closed.
   */
  read(timeoutMs = Infinity): Promise<RingMessage | undefined> {
    return this.readWith(
      (message) => ({ fields: message.fields, body: message.body.slice() }),
      timeoutMs,
    );
  }

  /**
   * As {@link read}, handing the message to `use` instead: its body is a view into the ring
   * when the message is one fragment (no copy; valid only while `use` runs), and the message's
   * room is freed once `use` returns. Resolves with what `use` returned.
   */
  readWith<T>(use: (message: RingMessage) => T, timeoutMs = Infinity): Promise<T | undefined> {
    const done = this.#reading.then(() => this.#readNow(use, timeoutMs));
    this.#reading = done.catch(() => {});
    return done;
  }

  async #writeNow(fields: ArrayLike<number>, body: Uint8Array): Promise<void> {
    const headerBytes = (HEADER_INTS + this.fields) * 4;
    let sent = 0;
    do {
      const size = Math.min(body.length - sent, this.#fragmentBytes);
      const need = headerBytes + align4(size);
      let where: "here" | "wrap" | undefined;
      for (;;) {
        // The wait is on the very read position the room was judged by: a read in between
        // ends the wait at once instead of being missed.
        const read = Atomics.load(this.#control, READ);
        if ((where = this.#fits(need, read))) break;
        if (this.closed) throw new Error("the ring is closed");
        await waitForChange(this.#control, READ, read);
      }
      if (this.closed) throw new Error("the ring is closed");
      let at = Atomics.load(this.#control, WRITE);
      if (where === "wrap") {
        this.#ints[at / 4 + SIZE] = WRAP;
        at = 0;
      }
      const ints = at / 4;
      this.#ints[ints + SIZE] = size;
      this.#ints[ints + TOTAL] = body.length;
      this.#ints[ints + MORE] = sent + size < body.length ? 1 : 0;
      for (let i = 0; i < this.fields; i++) this.#ints[ints + HEADER_INTS + i] = fields[i];
      this.#bytes.set(body.subarray(sent, sent + size), at + headerBytes);
      sent += size;
      // Published only now: the reader sees the whole fragment or none of it.
      Atomics.store(this.#control, WRITE, at + need);
      Atomics.notify(this.#control, WRITE);
    } while (sent < body.length);
  }

  /** Where a fragment of `need` bytes goes, with the reader at `read`: here, after a wrap, or nowhere yet. */
  #fits(need: number, read: number): "here" | "wrap" | undefined {
    const write = Atomics.load(this.#control, WRITE);
    // The write position never lands on the read position: equal means empty.
    if (read <= write) {
      if (this.#capacity - write > need) return "here";
      return need < read ? "wrap" : undefined;
    }
    return write + need < read ? "here" : undefined;
  }

  async #readNow<T>(use: (message: RingMessage) => T, timeoutMs: number): Promise<T | undefined> {
    const deadline = performance.now() + timeoutMs;
    const first = await this.#fragment(deadline);
    if (!first) return undefined;
    if (!first.more) {
      try {
        return use({ fields: first.fields, body: this.#payload(first) });
      } finally {
        this.#free(first);
      }
    }
    const body = new Uint8Array(first.total);
    let received = this.#take(first, body, 0);
    let more = true;
    while (more) {
      const next = await this.#fragment(Infinity);
      if (!next) return undefined; // closed mid-message: the writer is gone
      received = this.#take(next, body, received);
      more = next.more;
    }
    return use({ fields: first.fields, body });
  }

  /** Waits for the next fragment (skipping a wrap) until `deadline`. */
  async #fragment(deadline: number) {
    for (;;) {
      let read = Atomics.load(this.#control, READ);
      const write = Atomics.load(this.#control, WRITE);
      if (read === write) {
        if (this.closed) return undefined;
        const left = deadline - performance.now();
        if (left <= 0) return undefined;
        await waitForChange(this.#control, WRITE, write, left);
        continue;
      }
      if (this.#ints[read / 4 + SIZE] === WRAP) {
        read = 0;
        Atomics.store(this.#control, READ, 0);
      }
      const ints = read / 4;
      return {
        at: read,
        size: this.#ints[ints + SIZE],
        total: this.#ints[ints + TOTAL],
        more: this.#ints[ints + MORE] === 1,
        fields: this.#ints.slice(ints + HEADER_INTS, ints + HEADER_INTS + this.fields),
      };
    }
  }

  #payload(fragment: { at: number; size: number }): Uint8Array {
    const start = fragment.at + (HEADER_INTS + this.fields) * 4;
    return this.#bytes.subarray(start, start + fragment.size);
  }

  /** Gives a read fragment's room back to the writer. */
  #free(fragment: { at: number; size: number }): void {
    const end = fragment.at + (HEADER_INTS + this.fields) * 4 + align4(fragment.size);
    Atomics.store(this.#control, READ, end);
    Atomics.notify(this.#control, READ);
  }

  /** Copies a fragment's payload into `body` at `offset` and frees its room in the ring. */
  #take(fragment: { at: number; size: number }, body: Uint8Array, offset: number): number {
    body.set(this.#payload(fragment), offset);
    this.#free(fragment);
    return offset + fragment.size;
  }
}

/**
 * Resolves once `array[index]` is no longer `value` (or after `timeoutMs`). A pending
 * Atomics.waitAsync does not keep Deno's event loop alive, so a timer does: a thread whose
 * only work is a wait on the ring is waiting, not finished.
 */
async function waitForChange(
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs = Infinity,
): Promise<void> {
  const waiting = Atomics.waitAsync(array, index, value, timeoutMs);
  if (!waiting.async) return;
  const alive = setInterval(() => {}, 3_600_000);
  try {
    await waiting.value;
  } finally {
    clearInterval(alive);
  }
}
