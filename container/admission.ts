/**
 * Admission control for one serving unit: a bounded number of requests in progress and a
 * bounded number of body bytes in memory. A request is admitted or refused before its body is
 * read, on its declared Content-Length; a body without one (chunked) is charged as it arrives.
 * Past either bound the caller answers at once with 503 and Retry-After, so that an overload
 * costs a retry instead of the process (SageMaker kills a container past its memory).
 * @module
 */

/** The bounds of one serving unit. */
export interface AdmissionLimits {
  /** Requests in progress at once (/invocations only; /ping is never counted). */
  maxRequests: number;
  /** Body bytes held at once, declared or received. */
  maxBodyBytes: number;
}

/** An admitted request's share of the budget: grow it as a chunked body arrives, then release. */
export interface Ticket {
  /** Charges `bytes` more; false (nothing charged) when that would pass the budget. */
  grow(bytes: number): boolean;
  release(): void;
}

/** The budget of one unit. */
export class Admission {
  #requests = 0;
  #bytes = 0;

  constructor(readonly limits: AdmissionLimits) {}

  get requests(): number {
    return this.#requests;
  }

  get bodyBytes(): number {
    return this.#bytes;
  }

  /** A ticket for a request declaring `declaredBytes` (0 when unknown), or undefined: refuse it. */
  admit(declaredBytes: number): Ticket | undefined {
    if (this.#requests >= this.limits.maxRequests) return undefined;
    // One request is always admitted when the unit is idle, whatever its size (within the
    // payload limit, checked elsewhere): a budget smaller than a body must not refuse it forever.
    if (this.#requests > 0 && this.#bytes + declaredBytes > this.limits.maxBodyBytes) {
      return undefined;
    }
    this.#requests++;
    this.#bytes += declaredBytes;
    let held = declaredBytes;
    let released = false;
    return {
      grow: (bytes: number) => {
        if (released) return false;
        if (this.#bytes + bytes > this.limits.maxBodyBytes && this.#bytes > held) return false;
        this.#bytes += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#requests--;
        this.#bytes -= held;
      },
    };
  }
}
