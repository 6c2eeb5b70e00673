/**
 * Several Workers of one kind (scoring or offload) behind one serving unit's thread, answering
 * as one: each body goes to the Worker with the fewest bodies in progress, ties to the lowest.
 * One unit's thread moving the bytes of several Workers wakes less often per request than a
 * thread per Worker, and a process has fewer isolates (README, Threads: measured).
 *
 * For the health board, the pool reports the oldest progress among its Workers that have work
 * (0 when none has): one wedged Worker shows even while the others keep answering.
 * @module
 */

import type { Answer } from "./offload.ts";

/** One Worker of a pool: it answers, it stops. */
export interface PoolMember {
  answer: Answer;
  stop(): Promise<void>;
}

/**
 * Small bodies packed onto the first Worker: each goes to the first with less than `bytes` in
 * progress that has made progress within `stallMs` (or has nothing to do), else to the one with
 * the fewest bytes in progress of those that have. A Worker that stalls (a wedged onnxruntime
 * run) stops getting work within `stallMs`.
 */
export interface Packing {
  bytes: number;
  stallMs: number;
}

/** Tells a pool that member `index` has `pending` bodies and just made progress. */
export type ProgressReport = (pending: number) => void;

/**
 * A pool of `size` members made by `start` (given the member's index and where its progress
 * goes); `onSince` hears the oldest progress among members with work, as a Date.now() time.
 * Packed ({@link Packing}), small bodies fill one Worker, which scores its queue together,
 * while the others sleep (each hand-over to a sleeping thread is a wake-up, and on few cores a
 * wait for one); large ones spread at once.
 */
export function startPool<M extends PoolMember>(
  size: number,
  start: (index: number, progress: ProgressReport) => M,
  onSince: (since: number) => void = () => {},
  now: () => number = Date.now,
  pack?: Packing,
): { members: M[]; answer: Answer; stop(): Promise<void> } {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`a pool of ${size} Workers`);
  const inProgress = new Array<number>(size).fill(0);
  const bytesInProgress = new Array<number>(size).fill(0);
  const since = new Array<number>(size).fill(0);
  const report = () => {
    let oldest = 0;
    for (const s of since) if (s && (!oldest || s < oldest)) oldest = s;
    onSince(oldest);
  };
  const members = Array.from({ length: size }, (_, index) =>
    start(index, (pending) => {
      since[index] = pending > 0 ? now() : 0;
      report();
    }));
  return {
    members,
    answer: async (...args) => {
      const bytes = args[0].length;
      let pick = 0;
      if (pack) {
        const time = now();
        const live = (i: number) => since[i] === 0 || time - since[i] <= pack.stallMs;
        pick = bytesInProgress.findIndex((b, i) => b < pack.bytes && live(i));
        if (pick < 0) {
          // The fewest bytes among those that are not stalled (of all, if all are).
          const anyLive = since.some((_, i) => live(i));
          for (let i = 0; i < size; i++) {
            if (anyLive && !live(i)) continue;
            if (pick < 0 || bytesInProgress[i] < bytesInProgress[pick]) pick = i;
          }
        }
      } else {
        for (let i = 1; i < size; i++) if (inProgress[i] < inProgress[pick]) pick = i;
      }
      inProgress[pick]++;
      bytesInProgress[pick] += bytes;
      try {
        return await members[pick].answer(...args);
      } finally {
        inProgress[pick]--;
        bytesInProgress[pick] -= bytes;
      }
    },
    stop: async () => {
      await Promise.all(members.map((member) => member.stop()));
    },
  };
}
