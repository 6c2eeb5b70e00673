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

/** Tells a pool that member `index` has `pending` bodies and just made progress. */
export type ProgressReport = (pending: number) => void;

/**
 * A pool of `size` members made by `start` (given the member's index and where its progress
 * goes); `onSince` hears the oldest progress among members with work, as a Date.now() time.
 */
export function startPool<M extends PoolMember>(
  size: number,
  start: (index: number, progress: ProgressReport) => M,
  onSince: (since: number) => void = () => {},
  now: () => number = Date.now,
): { members: M[]; answer: Answer; stop(): Promise<void> } {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`a pool of ${size} Workers`);
  const inProgress = new Array<number>(size).fill(0);
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
      let pick = 0;
      for (let i = 1; i < size; i++) if (inProgress[i] < inProgress[pick]) pick = i;
      inProgress[pick]++;
      try {
        return await members[pick].answer(...args);
      } finally {
        inProgress[pick]--;
      }
    },
    stop: async () => {
      await Promise.all(members.map((member) => member.stop()));
    },
  };
}
