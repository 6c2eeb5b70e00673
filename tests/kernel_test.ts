/**
 * The project's kernelspec (notebooks/.kernel) with real Jupyter: outputs of cells queued at
 * once reach their own cell, and no kernel outlives the runner that started it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { codeNotebook, withTempDir } from "./helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const KERNELSPECS = join(ROOT, "notebooks/.kernel");

Deno.test("kernel: 160 outputs of cells queued as Run All queues them each reach their cell", async () => {
  const probe = await new Deno.Command("/usr/bin/python3", {
    args: [join(ROOT, "tools/kernel_probe.py"), "20"],
    env: { JUPYTER_PATH: KERNELSPECS },
    stderr: "inherit",
  }).output();
  const report = new TextDecoder().decode(probe.stdout);
  assert.match(report, /^0 of 160 outputs misrouted, 0 lost$/m, report);
  assert.equal(probe.code, 0);
});

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie has ended
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean, seconds = 30): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Starts the runner on `notebook`, waits for `kernelOf` to name the kernel's processes, stops the
 * runner with `signal` and waits until none of them is left.
 */
async function stopRunner(
  notebook: string,
  signal: Deno.Signal,
  kernelOf: (runner: Deno.ChildProcess) => number[],
): Promise<void> {
  const runner = new Deno.Command("/usr/bin/python3", {
    args: [join(ROOT, "tools/run_notebooks.py"), notebook],
    env: { JUPYTER_PATH: KERNELSPECS },
    stdout: "null",
    stderr: "null",
  }).spawn();
  let kernel: number[] = [];
  let exited = false;
  runner.status.then(() => (exited = true));
  try {
    await waitFor("the kernel", () => (kernel = kernelOf(runner)).length > 0, 60);
    assert.ok(kernel.every(alive), "the kernel runs");
    runner.kill(signal);
    await waitFor("the runner to exit", () => exited);
    await waitFor("the kernel to end", () => !kernel.some(alive));
  } finally {
    for (const pid of kernel.filter(alive)) Deno.kill(pid, "SIGKILL");
    try {
      runner.kill("SIGKILL");
    } catch { /* ended */ }
    await runner.status;
  }
}

/** The processes below `pid` (children, grandchildren, ...), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      parents.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* ended meanwhile */ }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length;) {
    frontier = [...parents].filter(([, ppid]) => frontier.includes(ppid)).map(([p]) => p);
    found.push(...frontier);
  }
  return found;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test(`runner: stopped with ${signal}, it leaves no kernel running`, async () => {
    await withTempDir(async (dir) => {
      const pids = join(dir, "pids");
      const path = join(dir, "long.ipynb");
      await Deno.writeTextFile(
        path,
        JSON.stringify(codeNotebook([
          `Deno.writeTextFileSync(${JSON.stringify(pids)}, \`\${Deno.pid} \${Deno.ppid}\`)`,
          "await new Promise((r) => setTimeout(r, 600_000))",
        ])),
      );
      // The kernel and its launcher, once the first cell has run.
      await stopRunner(path, signal, () => {
        try {
          return Deno.readTextFileSync(pids).split(" ").map(Number);
        } catch {
          return [];
        }
      });
    });
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`runner: stopped with ${signal} while its kernel starts, it exits and leaves no kernel`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "one.ipynb");
      await Deno.writeTextFile(path, JSON.stringify(codeNotebook(["1"])));
      // The kernel's launcher exists as soon as it is spawned, long before it answers.
      await stopRunner(path, signal, (runner) => descendants(runner.pid));
    });
  });
}
