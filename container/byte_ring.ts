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

/** Nothing to read yet. */
const EMPTY = Symbol("empty");

/** A fragment's place and header, as read. */
interface Fragment {
  at: number;
  size: number;
  total: number;
  more: boolean;
  fields: Int32Array;
}

/** Nothing to read yet: wait up to `left` ms for the write position to move from `write`. */
class Wait {
  constructor(readonly write: number, readonly left: number) {}
}

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
    const first = await this.#fragment(performance.now() + timeoutMs);
    if (!first) return undefined;
    if (!first.more) return this.#useInPlace(first, use);
    const whole = this.#assembly(first);
    while (!whole.done) {
      if (!whole.add(await this.#fragment(Infinity))) return undefined;
    }
    return use({ fields: first.fields, body: whole.body });
  }

  /**
   * As {@link readWith}, but waiting by blocking this thread (`Atomics.wait`, which the main
   * thread may not do): woken at once by the writer's notify, without a turn of this thread's
   * event loop, which is a good part of a small request's cost on the reading side. Not to be
   * mixed with pending {@link read}s of the same end.
   */
  readBlocking<T>(use: (message: RingMessage) => T, timeoutMs: number): T | undefined {
    const first = this.#fragmentBlocking(performance.now() + timeoutMs);
    if (!first) return undefined;
    if (!first.more) return this.#useInPlace(first, use);
    const whole = this.#assembly(first);
    while (!whole.done) {
      if (!whole.add(this.#fragmentBlocking(Infinity))) return undefined;
    }
    return use({ fields: first.fields, body: whole.body });
  }

  #useInPlace<T>(fragment: Fragment, use: (message: RingMessage) => T): T {
    try {
      return use({ fields: fragment.fields, body: this.#payload(fragment) });
    } finally {
      this.#free(fragment);
    }
  }

  /** Waits for the next fragment (skipping a wrap) until `deadline`. */
  async #fragment(deadline: number): Promise<Fragment | undefined> {
    let poll;
    while ((poll = this.#poll(deadline)) instanceof Wait) {
      await waitForChange(this.#control, WRITE, poll.write, poll.left);
    }
    return poll;
  }

  /** As {@link #fragment}, blocking this thread while it waits. */
  #fragmentBlocking(deadline: number): Fragment | undefined {
    let poll;
    while ((poll = this.#poll(deadline)) instanceof Wait) {
      Atomics.wait(this.#control, WRITE, poll.write, poll.left);
    }
    return poll;
  }

  /** The next fragment; undefined when the ring is closed or `deadline` has passed; else a Wait. */
  #poll(deadline: number): Fragment | undefined | Wait {
    const write = Atomics.load(this.#control, WRITE);
    const next = this.#next(write);
    if (next !== EMPTY) return next;
    const left = deadline - performance.now();
    return left <= 0 ? undefined : new Wait(write, left);
  }

  /**
   * The fragment at the read position (skipping a wrap), EMPTY when the writer (at `write`) has
   * written nothing more, or undefined when the ring is empty and closed.
   */
  #next(write: number) {
    let read = Atomics.load(this.#control, READ);
    if (read === write) return this.closed ? undefined : EMPTY;
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

  /**
   * A message of several fragments copied out of the ring as they come, starting with `first`;
   * `add` takes the next (false when there is none: closed mid-message, the writer is gone).
   */
  #assembly(first: Fragment) {
    const body = new Uint8Array(first.total);
    let received = 0;
    const whole = {
      body,
      done: false,
      add: (fragment: Fragment | undefined): boolean => {
        if (!fragment) return false;
        body.set(this.#payload(fragment), received);
        this.#free(fragment);
        received += fragment.size;
        whole.done = !fragment.more;
        return true;
      },
    };
    whole.add(first);
    return whole;
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
