/**
 * Gives start-up memory back to the operating system once every serving unit is warm.
 *
 * Loading touches far more than serving uses: deno's module loader and TypeScript emit,
 * onnxruntime's operator-schema registration and graph optimisers. Those pages stay resident
 * (about 40 of the 70 MB of mapped code) although nothing needs them again. Two calls into
 * glibc, through Deno's FFI, release them:
 * - `madvise(MADV_PAGEOUT)` on the read-only loaded segments (code and constants, listed by
 *   `dl_iterate_phdr`): the kernel drops the pages that no other process maps, of files this
 *   process owns (Linux pages out nothing else; the image gives deno and onnxruntime to the
 *   server's user). What serving needs faults back in from the file on first use; the server
 *   predicts once more right after, so that inference code is resident again;
 * - `malloc_trim(0)`: returns the free parts of glibc's heaps (start-up garbage).
 * Linux only; elsewhere, or when a call is refused (a seccomp profile, an old kernel), it reports
 * and changes nothing.
 *
 * After a burst of requests, {@link releaseWhenIdle} gives the burst's memory back the same way
 * (a full V8 collection, then `malloc_trim`) once the unit is idle.
 * @module
 */

import { getHeapStatistics } from "node:v8";

const MADV_PAGEOUT = 21;
const PT_LOAD = 1;
const PF_W = 2;
const PAGE = 4096n;

/** Resident memory of this process in MB (Deno's own figure: /proc needs --allow-all). */
export const residentMb = () => Deno.memoryUsage().rss / 1024 / 1024;

const LIBC = {
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
  dl_iterate_phdr: { parameters: ["function", "pointer"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/** The glibc functions used here. */
export type Libc = Deno.DynamicLibrary<typeof LIBC>;

let opened: Libc | null | undefined;

/**
 * glibc (already loaded: dlopen only finds it), opened once and kept; null where it cannot be
 * (not Linux, or another C library).
 */
export function libc(): Libc | null {
  if (opened === undefined) {
    try {
      opened = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", LIBC) : null;
    } catch {
      opened = null;
    }
  }
  return opened;
}

/**
 * The read-only loaded segments (code and constants) of the executable and every shared
 * library, page-aligned [start, length], from dl_iterate_phdr (the loader's own list).
 */
export function readOnlySegments(libc: Libc): [bigint, bigint][] {
  const ranges: [bigint, bigint][] = [];
  const callback = new Deno.UnsafeCallback(
    { parameters: ["pointer", "usize", "pointer"], result: "i32" } as const,
    (info) => {
      if (!info) return 0;
      // struct dl_phdr_info { Elf64_Addr dlpi_addr; char *dlpi_name; Elf64_Phdr *dlpi_phdr;
      //                       Elf64_Half dlpi_phnum; ... }
      const view = new Deno.UnsafePointerView(info);
      const base = view.getBigUint64(0);
      const headers = view.getPointer(16);
      const count = view.getUint16(24);
      if (!headers) return 0;
      const phdr = new Deno.UnsafePointerView(headers);
      for (let i = 0; i < count; i++) {
        // Elf64_Phdr (56 bytes): p_type u32, p_flags u32, p_offset, p_vaddr, p_paddr, p_filesz,
        // p_memsz, p_align (u64 each).
        const at = i * 56;
        if (phdr.getUint32(at) !== PT_LOAD || (phdr.getUint32(at + 4) & PF_W) !== 0) continue;
        const address = base + phdr.getBigUint64(at + 16);
        const start = address / PAGE * PAGE;
        const end = (address + phdr.getBigUint64(at + 40) + PAGE - 1n) / PAGE * PAGE;
        if (end > start) ranges.push([start, end - start]);
      }
      return 0;
    },
  );
  try {
    libc.symbols.dl_iterate_phdr(callback.pointer, null);
  } finally {
    callback.close();
  }
  return ranges;
}

/** What {@link releaseStartupMemory} did. */
export interface Release {
  /** Segments advised; 0 when nothing was done. */
  segments: number;
  /** Why nothing was done. */
  skipped?: string;
}

/**
 * After a burst of requests: a full garbage collection of this isolate (when deno runs with
 * `--v8-flags=--expose-gc`), then glibc's free heap memory back to the OS. Returns false when
 * glibc is not available.
 */
export function releaseIdleMemory(): boolean {
  // "last-resort": the collection that also shrinks the young generation and unmaps free pages.
  collectGarbage({ flavor: "last-resort" });
  const glibc = libc();
  glibc?.symbols.malloc_trim(0n);
  return glibc !== null;
}

/** When {@link releaseWhenIdle} releases. */
export interface IdleReleaseOptions {
  /** Quiet time before a release, ms (default 1000). */
  idleMs?: number;
  /** Growth of the resident set over its lowest idle reading that is worth a release, MB. */
  minGrowthMb?: number;
  /** The resident set in MB (default {@link residentMb}). */
  rss?: () => number;
}

/**
 * Calls `release` (default {@link releaseIdleMemory}) once a unit that has answered requests
 * stays idle for `idleMs` and the process has grown by `minGrowthMb` (default 8) since its
 * lowest reading (at the call, then at idle moments): once per burst, never while requests are
 * in flight, and not after every request of a trickle. Returns a function that stops it.
 */
export function releaseWhenIdle(
  counts: { readonly answered: number; readonly inFlight: number },
  release: () => void = releaseIdleMemory,
  options: IdleReleaseOptions = {},
): () => void {
  const { idleMs = 1000, minGrowthMb = 8, rss = residentMb } = options;
  let seen = counts.answered;
  let released = seen;
  let lowest = rss(); // start it once the unit is ready: not while the model is loading
  const timer = setInterval(() => {
    const answered = counts.answered;
    if (answered === seen && counts.inFlight === 0) {
      const now = rss();
      lowest = Math.min(lowest, now);
      if (answered !== released && now - lowest >= minGrowthMb) {
        release();
        released = answered;
        lowest = rss();
      }
    }
    seen = answered;
  }, idleMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/**
 * A full, synchronous V8 collection of this isolate (`flavor` "last-resort" also shrinks the
 * young generation); nothing without `--expose-gc`.
 */
function collectGarbage(options: { flavor?: "last-resort" } = {}): void {
  (globalThis as { gc?: (options?: object) => void }).gc?.({
    type: "major",
    execution: "sync",
    ...options,
  });
}

/**
 * Returns a check to call between requests: once the isolate's heap holds more than the bound
 * (`floorBytes` at first) it collects at once, and the next bound is twice what survived, never
 * under the floor. Why: V8 lets the old generation grow to four times what survived its last
 * collection before the next, and in some runs a scoring Worker's heap so swung between 14 and
 * 30 MB (the other runs stayed under 12 MB).
 */
export function heapBound(floorBytes = 16 * 1024 * 1024): () => boolean {
  const used = () => getHeapStatistics().used_heap_size;
  let bound = floorBytes;
  return () => {
    if (used() <= bound) return false;
    collectGarbage();
    bound = Math.max(floorBytes, 2 * used());
    return true;
  };
}

/**
 * The start of a small file read through glibc, or undefined when it cannot be read. Deno
 * grants reads of /sys and /proc only with --allow-all; the server already holds FFI (which
 * onnxruntime needs, and which can do anything), and reads its cgroup's memory limit this way.
 */
export function readSmallFile(path: string, bytes = 256): string | undefined {
  const glibc = libc();
  if (!glibc) return undefined;
  const fd = glibc.symbols.open(new TextEncoder().encode(path + "\0"), 0 /* O_RDONLY */);
  if (fd < 0) return undefined;
  try {
    const buffer = new Uint8Array(bytes);
    const n = Number(glibc.symbols.read(fd, buffer, BigInt(bytes)));
    return n >= 0 ? new TextDecoder().decode(buffer.subarray(0, n)) : undefined;
  } finally {
    glibc.symbols.close(fd);
  }
}

/**
 * Each madvise call pages out at most this much: paging out deno's and onnxruntime's code took
 * 60-80 ms in one go, during which a /ping waited (a cold start 70-100 ms later than the model).
 */
const RELEASE_SLICE_BYTES = 4n * 1024n * 1024n;

/**
 * Pages out start-up-only code and trims glibc's heaps; see the module doc. Between slices it
 * lets the event loop run, so that requests (a health check right after start) are answered
 * meanwhile.
 */
export async function releaseStartupMemory(): Promise<Release> {
  const glibc = libc();
  if (!glibc) return { segments: 0, skipped: "glibc not available" };
  let advised = 0;
  for (const [start, length] of readOnlySegments(glibc)) {
    let refused = false;
    for (let at = 0n; at < length; at += RELEASE_SLICE_BYTES) {
      const size = length - at < RELEASE_SLICE_BYTES ? length - at : RELEASE_SLICE_BYTES;
      const address = Deno.UnsafePointer.create(start + at);
      if (glibc.symbols.madvise(address, size, MADV_PAGEOUT) !== 0) refused = true;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (!refused) advised++;
  }
  glibc.symbols.malloc_trim(0n);
  return advised
    ? { segments: advised }
    : { segments: 0, skipped: "madvise(MADV_PAGEOUT) refused" };
}
