/**
 * How much work the server admits, from the memory the process may use: the cgroup's limit
 * (a container's `--memory`, SageMaker's instance) when there is one and readable (Deno lets a
 * process read /sys only with --allow-all), else the machine's memory (Deno.systemMemoryInfo).
 * Configurable per serving unit with MAX_INFLIGHT_REQUESTS and MAX_INFLIGHT_BODY_MB.
 * @module
 */

import type { AdmissionLimits } from "./admission.ts";
import { readSmallFile } from "./memory.ts";

const MB = 1024 * 1024;

/**
 * Bytes of memory a request holds at its peak per byte of body: the body, its text, the parsed
 * rows and columns, the encoded tensors and the response (a 6 MB CSV peaks near 100 MB).
 */
export const PEAK_BYTES_PER_BODY_BYTE = 18;
/** The resident set of an idle server with its units (measured: about 90-120 MB for 2). */
const BASELINE_BYTES = 160 * MB;
/** The share of the memory limit the admitted work may reach. */
const USABLE_SHARE = 0.75;
/** Small requests cost little: this bound only stops an unbounded pile-up. */
const DEFAULT_MAX_REQUESTS = 256;

function readNumber(path: string): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    // Refused without --allow-all (the server's case): read through glibc instead.
    if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
      text = readSmallFile(path);
    }
  }
  const value = Number(text?.trim());
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined; // "max"
}

/** The memory the process may use, in bytes, and where that figure comes from. */
export function memoryLimit(): { bytes: number; source: string } {
  const v2 = readNumber("/sys/fs/cgroup/memory.max");
  const v1 = readNumber("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  let total: number | undefined;
  try {
    total = Deno.systemMemoryInfo().total; // --allow-sys=systemMemoryInfo
  } catch { /* not allowed */ }
  const cgroup = v2 ?? v1;
  // cgroup v1 reports "no limit" as a huge number: the machine's memory bounds it anyway.
  if (cgroup !== undefined && (total === undefined || cgroup < total)) {
    return { bytes: cgroup, source: v2 !== undefined ? "cgroup memory.max" : "cgroup v1 limit" };
  }
  if (total !== undefined) return { bytes: total, source: "system memory" };
  return { bytes: 1024 * MB, source: "unknown (assumed 1 GiB)" };
}

/**
 * Default limits per unit: the usable memory less the baseline, divided by the peak cost of a
 * body byte, shared between `units`; never less than one body of `maxPayloadBytes` per offload
 * Worker of a unit (`workersPerUnit`: what Batch Transform may send each at once). The request
 * bound is {@link DEFAULT_MAX_REQUESTS} per scoring Worker.
 */
export function defaultLimits(
  memoryBytes: number,
  units: number,
  maxPayloadBytes: number,
  workersPerUnit = 1,
): AdmissionLimits {
  const forBodies = Math.max(0, memoryBytes * USABLE_SHARE - BASELINE_BYTES) /
    PEAK_BYTES_PER_BODY_BYTE;
  return {
    maxRequests: DEFAULT_MAX_REQUESTS * workersPerUnit,
    maxBodyBytes: Math.max(maxPayloadBytes * workersPerUnit, Math.floor(forBodies / units)),
  };
}

/**
 * The scoring Workers of each serving unit: `workers` split between as few units as hold at
 * most `perUnit` each, as evenly as possible (the first units take one more).
 */
export function workersPerUnit(workers: number, perUnit: number): number[] {
  const units = Math.ceil(workers / perUnit);
  return Array.from(
    { length: units },
    (_, unit) => Math.floor(workers / units) + (unit < workers % units ? 1 : 0),
  );
}

/** The limits in force: the environment's where set, else the defaults. Throws on bad values. */
export function admissionLimits(
  env: (name: string) => string | undefined,
  units: number,
  maxPayloadBytes: number,
  workersPerUnit = 1,
): AdmissionLimits & { memoryBytes: number; memorySource: string } {
  const memory = memoryLimit();
  const defaults = defaultLimits(memory.bytes, units, maxPayloadBytes, workersPerUnit);
  const requests = env("MAX_INFLIGHT_REQUESTS");
  const bodyMb = env("MAX_INFLIGHT_BODY_MB");
  const maxRequests = requests === undefined ? defaults.maxRequests : Number(requests);
  const maxBodyBytes = bodyMb === undefined
    ? defaults.maxBodyBytes
    : Math.floor(Number(bodyMb) * MB);
  if (!(Number.isInteger(maxRequests) && maxRequests >= 1)) {
    throw new Error("invalid MAX_INFLIGHT_REQUESTS (a whole number >= 1)");
  }
  if (!(maxBodyBytes >= 1)) throw new Error("invalid MAX_INFLIGHT_BODY_MB (a number > 0)");
  return { maxRequests, maxBodyBytes, memoryBytes: memory.bytes, memorySource: memory.source };
}

/** Slow-client bounds of one serving unit (see connections.ts and app.ts). */
export interface ClientLimits {
  /** Open connections per unit (MAX_CONNECTIONS, default 1000). */
  maxConnections: number;
  /** A new connection must have sent its first request's headers by then (HEADER_TIMEOUT_SECONDS, 10). */
  headerTimeoutMs: number;
  /**
   * A kept-alive connection idle this long after an answer is closed (KEEPALIVE_TIMEOUT_SECONDS,
   * 75, nginx's default): longer than the idle timeout of the proxy in front (SageMaker's, a
   * load balancer's 60 s), so that the proxy never sends a request down a connection just as
   * the server closes it.
   */
  keepAliveTimeoutMs: number;
  /**
   * A body must arrive at this rate once the header timeout has passed (BODY_MIN_RATE_KB per
   * second, default 1), else 408: its deadline starts one header timeout after the headers and
   * moves 1 s later per this many bytes received.
   */
  bodyMinBytesPerSecond: number;
}

/** The slow-client limits in force: the environment's where set, else the defaults. */
export function clientLimits(env: (name: string) => string | undefined): ClientLimits {
  const number = (name: string, fallback: number, valid: (n: number) => boolean, what: string) => {
    const text = env(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() === "" || !valid(value)) throw new Error(`invalid ${name} (${what})`);
    return value;
  };
  return {
    maxConnections: number(
      "MAX_CONNECTIONS",
      1000,
      (n) => Number.isInteger(n) && n >= 1,
      "a whole number >= 1",
    ),
    headerTimeoutMs: number("HEADER_TIMEOUT_SECONDS", 10, (n) => n > 0, "seconds > 0") * 1000,
    keepAliveTimeoutMs: number("KEEPALIVE_TIMEOUT_SECONDS", 75, (n) => n > 0, "seconds > 0") *
      1000,
    bodyMinBytesPerSecond: number("BODY_MIN_RATE_KB", 1, (n) => n >= 0, "KB per second >= 0") *
      1024,
  };
}
