/**
 * The health of every serving unit, on memory shared by all of the server's threads, so that
 * whichever unit answers /ping can say whether the others are well (SageMaker replaces a host
 * whose /ping is not 200; a host with a wedged unit should be replaced, not kept half-working).
 *
 * Each unit writes a heartbeat every {@link BEAT_MS} from its event loop, and records the oldest
 * last progress of its scoring and of its offload Workers that have work pending. A unit is:
 * - stalled when its heartbeat is older than `stallMs`: its loop is blocked, and the /ping
 *   checks and requests that land on it wait;
 * - wedged when one of its scoring Workers (bodies up to 256 KB, each answered in well under a
 *   second) has work but has finished nothing for `stallMs`, or one of its offload Workers
 *   (bodies up to the payload limit, seconds each) for `wedgedMs`;
 * - dead when its thread ended with an error (the main thread marks it).
 * Times are wall-clock milliseconds (Date.now): every thread reads the same clock.
 * @module
 */

/** How often a unit writes its heartbeat. */
export const BEAT_MS = 250;

const FIELDS = 4;
const LOADING = 2;
const BEAT = 0;
const OFFLOAD_SINCE = 1; // 0: nothing pending; else the last progress while work was pending
const DEAD = 2; // 1: its thread died; LOADING: not yet warm
const SCORING_SINCE = 3; // as OFFLOAD_SINCE, for the scoring Worker

/** Thresholds of {@link HealthBoard.problem}. */
export interface HealthThresholds {
  /** A heartbeat older than this means a stalled loop (default 5 s). */
  stallMs: number;
  /** Offload work pending with no progress for this long means a wedged Worker (default 60 s). */
  wedgedMs: number;
}

export const DEFAULT_THRESHOLDS: HealthThresholds = { stallMs: 5_000, wedgedMs: 60_000 };

/** The shared record of every unit's health. */
export class HealthBoard {
  readonly #cells: BigInt64Array;

  /** A board for `units` units, or one over the memory of another thread's board. */
  constructor(
    unitsOrBuffer: number | SharedArrayBuffer,
    readonly thresholds: HealthThresholds = DEFAULT_THRESHOLDS,
    readonly now: () => number = Date.now,
  ) {
    const buffer = typeof unitsOrBuffer === "number"
      ? new SharedArrayBuffer(unitsOrBuffer * FIELDS * 8)
      : unitsOrBuffer;
    this.#cells = new BigInt64Array(buffer);
    if (typeof unitsOrBuffer === "number") {
      for (let unit = 0; unit < unitsOrBuffer; unit++) this.beat(unit);
    }
  }

  /** The memory to hand to another thread. */
  get buffer(): SharedArrayBuffer {
    return this.#cells.buffer as SharedArrayBuffer;
  }

  get units(): number {
    return this.#cells.length / FIELDS;
  }

  #set(unit: number, field: number, value: number) {
    Atomics.store(this.#cells, unit * FIELDS + field, BigInt(Math.round(value)));
  }

  #get(unit: number, field: number): number {
    return Number(Atomics.load(this.#cells, unit * FIELDS + field));
  }

  /** `unit`'s loop is running. */
  beat(unit: number): void {
    this.#set(unit, BEAT, this.now());
  }

  /**
   * The oldest last progress among `unit`'s offload Workers that have work (a Date.now() time),
   * 0 when none has (answer_pool.ts).
   */
  offloadSince(unit: number, since: number): void {
    this.#set(unit, OFFLOAD_SINCE, since);
  }

  /** As {@link offloadSince}, for `unit`'s scoring Workers. */
  scoringSince(unit: number, since: number): void {
    this.#set(unit, SCORING_SINCE, since);
  }

  /**
   * `unit` is starting and cannot answer yet: until it is marked alive, /ping says 503 (a check
   * that lands on a warm unit must not send traffic that the port gives to a cold one).
   */
  markLoading(unit: number): void {
    this.#set(unit, DEAD, LOADING);
  }

  /** `unit`'s thread ended with `error`. */
  markDead(unit: number): void {
    this.#set(unit, DEAD, 1);
  }

  /** `unit` is running again (a replacement started). */
  markAlive(unit: number): void {
    this.#set(unit, DEAD, 0);
    this.beat(unit);
  }

  /** What is wrong, in a sentence; undefined when every unit is well. */
  problem(): string | undefined {
    const now = this.now();
    for (let unit = 0; unit < this.units; unit++) {
      const state = this.#get(unit, DEAD);
      if (state === LOADING) return `serving unit ${unit} is loading the model`;
      if (state) return `serving unit ${unit} has died`;
      const silent = now - this.#get(unit, BEAT);
      if (silent > this.thresholds.stallMs) {
        return `serving unit ${unit} has not run for ${(silent / 1000).toFixed(1)} s`;
      }
      const scoring = this.#get(unit, SCORING_SINCE);
      if (scoring && now - scoring > this.thresholds.stallMs) {
        return `serving unit ${unit}'s scoring workers: one has finished nothing for ` +
          `${((now - scoring) / 1000).toFixed(1)} s`;
      }
      const since = this.#get(unit, OFFLOAD_SINCE);
      if (since && now - since > this.thresholds.wedgedMs) {
        return `serving unit ${unit}'s offload workers: one has finished nothing for ` +
          `${((now - since) / 1000).toFixed(1)} s`;
      }
    }
    return undefined;
  }
}

/** Writes `unit`'s heartbeat every {@link BEAT_MS} until the returned function is called. */
export function startBeating(board: HealthBoard, unit: number): () => void {
  board.beat(unit);
  const timer = setInterval(() => board.beat(unit), BEAT_MS);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
