/**
 * Timeouts of requests and connections, watched by one timer per thread. Each request armed
 * and cleared timers of its own (its body's deadline, its connection's keep-alive): under
 * 1-record loads Deno's timers (node-style Timeout objects) took about a tenth of the serving
 * unit's thread (perf, 2026-12-04). Here a deadline is a number: setting, moving or dropping
 * it touches no timer unless it comes before the one the timer is set for, and the timer is set
 * for the earliest deadline only, so it fires about once per timeout, not once per request.
 * @module
 */

/** One deadline: `at` (performance.now() ms; Infinity: none) and what to do once it passes. */
export class Deadline {
  #at = Infinity;

  constructor(readonly watcher: Deadlines, readonly due: () => void) {}

  /** When `due` runs (at the earliest); Infinity: not yet, or no longer. */
  get at(): number {
    return this.#at;
  }

  set at(at: number) {
    this.#at = at;
    this.watcher.moved(this);
  }

  /** Stops watching: `due` will not run. */
  cancel(): void {
    this.#at = Infinity;
    this.watcher.forget(this);
  }
}

/** The deadlines of one thread and the one timer that runs them. */
export class Deadlines {
  readonly #watched = new Set<Deadline>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (Infinity: it is not set). */
  #armedFor = Infinity;

  /** A deadline not yet set (`at` Infinity) that runs `due` once it has passed. */
  watch(due: () => void): Deadline {
    const deadline = new Deadline(this, due);
    this.#watched.add(deadline);
    return deadline;
  }

  /** How many deadlines are watched (set or not). */
  get size(): number {
    return this.#watched.size;
  }

  /** @internal a deadline's `at` changed: a finite one is watched (again, once cancelled). */
  moved(deadline: Deadline): void {
    if (deadline.at === Infinity) return;
    this.#watched.add(deadline);
    if (deadline.at < this.#armedFor) this.#arm(deadline.at);
  }

  /** @internal a deadline was cancelled. */
  forget(deadline: Deadline): void {
    this.#watched.delete(deadline);
    // The timer would find nothing: none is left set for a thread with nothing to watch.
    if (this.#watched.size === 0) this.#arm(Infinity);
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = at;
    if (at === Infinity) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - performance.now()));
  }

  /** Runs the deadlines that have passed (each once: its `at` is cleared first). */
  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = performance.now();
    const passed: Deadline[] = [];
    let next = Infinity;
    for (const deadline of this.#watched) {
      if (deadline.at <= now) passed.push(deadline);
      else if (deadline.at < next) next = deadline.at;
    }
    if (next !== Infinity) this.#arm(next);
    for (const deadline of passed) {
      this.#watched.delete(deadline);
      deadline.cancel();
      deadline.due(); // may set the deadline again (a body's moves as it arrives)
    }
  }
}

/** This thread's deadlines. */
export const deadlines: Deadlines = new Deadlines();
