/**
 * Lowers the scheduling priority of the calling thread (Linux keeps a nice value per thread).
 * The offload Workers do seconds of parsing and inference on large bodies; at a lower priority
 * they give way to the serving units' loops at once, so that /ping and small requests are not
 * kept waiting for a core behind them. Lowering one's own priority needs no privilege.
 * @module
 */

const SYS_GETTID = 186n; // x86-64
const PRIO_PROCESS = 0;

/** Sets this thread's nice value to `nice` (Linux x86-64); false where that is not possible. */
export function lowerThreadPriority(nice: number): boolean {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return false;
  let lib;
  try {
    lib = Deno.dlopen(
      "libc.so.6",
      {
        syscall: { parameters: ["i64"], result: "i64" },
        setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
      } as const,
    );
  } catch {
    return false;
  }
  try {
    const tid = Number(lib.symbols.syscall(SYS_GETTID));
    return tid > 0 && lib.symbols.setpriority(PRIO_PROCESS, tid, nice) === 0;
  } finally {
    lib.close();
  }
}
