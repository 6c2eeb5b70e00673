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

/** The processes working in `dir`, from /proc: a kernel and its launcher start in the notebook's
 * folder, so this finds them even once re-parented (an orphan). */
function workingIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${entry.name}/cwd`) === dir) found.push(Number(entry.name));
    } catch { /* ended meanwhile */ }
  }
  return found.filter(alive);
}

/**
 * Starts the runner on `dir`'s `notebook`, waits for `kernelOf` to name the kernel's processes,
 * stops the runner with `signal` and waits until none of them, and no process working in `dir`,
 * is left.
 */
async function stopRunner(
  dir: string,
  notebook: string,
  signal: Deno.Signal,
  kernelOf: (runner: Deno.ChildProcess) => number[],
): Promise<void> {
  dir = Deno.realPathSync(dir);
  const runner = new Deno.Command("/usr/bin/python3", {
    args: [join(ROOT, "tools/run_notebooks.py"), join(dir, notebook)],
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
    await waitFor("the kernel to end", () => !kernel.some(alive) && !workingIn(dir).length);
  } finally {
    for (const pid of new Set([...kernel.filter(alive), ...workingIn(dir)])) {
      Deno.kill(pid, "SIGKILL");
    }
    try {
      runner.kill("SIGKILL");
    } catch { /* ended */ }
    await runner.status;
  }
}

/** The processes below `pid` (children, grandchildren, ...) whose command line has `word`. */
function descendants(pid: number, word: string): number[] {
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
  return found.filter((p) => {
    try {
      return Deno.readTextFileSync(`/proc/${p}/cmdline`).includes(word);
    } catch {
      return false;
    }
  });
}

for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test(`runner: stopped with ${signal}, it leaves no kernel running`, async () => {
    await withTempDir(async (dir) => {
      const pids = join(dir, "pids");
      await Deno.writeTextFile(
        join(dir, "long.ipynb"),
        JSON.stringify(codeNotebook([
          `Deno.writeTextFileSync(${JSON.stringify(pids)}, \`\${Deno.pid} \${Deno.ppid}\`)`,
          "await new Promise((r) => setTimeout(r, 600_000))",
        ])),
      );
      // The kernel and its launcher, once the first cell has run.
      await stopRunner(dir, "long.ipynb", signal, () => {
        try {
          return Deno.readTextFileSync(pids).split(" ").map(Number);
        } catch {
          return [];
        }
      });
    });
  });
}

// SIGKILL: the runner cannot act, the launcher must notice that it has lost its parent, which can
// be before it could ask Linux for a signal when that happens.
for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test(`runner: stopped with ${signal} while its kernel starts, it exits and leaves no kernel`, async () => {
    await withTempDir(async (dir) => {
      await Deno.writeTextFile(join(dir, "one.ipynb"), JSON.stringify(codeNotebook(["1"])));
      // The kernel's launcher runs long before the kernel answers (the runner's other children,
      // such as jupyter_client's `ip addr`, come and go: not the kernel).
      await stopRunner(
        dir,
        "one.ipynb",
        signal,
        (runner) => descendants(runner.pid, "serial_kernel.py"),
      );
    });
  });
}

Deno.test("launcher: a cell's idle status waits for the outputs the kernel publishes after it", async () => {
  // Jupyter's log of a failed browser run: "status (idle)", then the cell's last "stream" and
  // its "execute_result"; the front end had stopped listening for that cell at the idle.
  const script = `
import importlib.util, sys
spec = importlib.util.spec_from_file_location("serial_kernel", sys.argv[1])
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
now = [0.0]
published, idle = [], []
hold = launcher.IdleHold(published.append, idle.append, clock=lambda: now[0])
grace = launcher.IDLE_GRACE_SECONDS
hold.idle("idle P", "P")
assert published == [] and hold.wait_ms(200) == int(grace * 1000) + 1, (published, hold.wait_ms(200))
now[0] = 0.005
hold.other("stream P", "P")
hold.other("status busy Q", "Q")  # another request's message is not held
now[0] = grace * 0.9
hold.tick()
assert published == ["stream P", "status busy Q"], published
hold.other("execute_result P", "P")  # late again: the status waits a grace from here
now[0] = grace * 1.5
hold.tick()
assert published[-1] == "execute_result P" and idle == [], (published, idle)
now[0] = grace * 1.9 + 0.001
hold.tick()
assert published[-1] == "idle P" and idle == ["P"], (published, idle)
assert hold.wait_ms(200) == 200
hold.idle("idle R", "R")
hold.idle("idle S", "S")  # a new one lets the held one go first
assert published[-1] == "idle R" and idle == ["P", "R"], (published, idle)
print("ok")
`;
  const run = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, join(KERNELSPECS, "kernels/deno/serial_kernel.py")],
  }).output();
  const out = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, out);
  assert.match(out, /^ok$/m);
});

Deno.test("launcher: the kernel's own ports are distinct, free, and none the OS hands out unasked", async () => {
  // A port chosen inside the ephemeral range and let go can be taken (for port 0, an outgoing
  // connection, or as one of the ports Jupyter gave the launcher) before the kernel binds it:
  // the kernel then ends with "Address already in use" and Jupyter shows "Kernel Restarting".
  const script = `
import importlib.util, socket, sys
spec = importlib.util.spec_from_file_location("serial_kernel", sys.argv[1])
launcher = importlib.util.module_from_spec(spec)
spec.loader.exec_module(launcher)
low, high = launcher.ephemeral_ports()
# Ports the front end's sockets hold while the kernel's are chosen, as Jupyter gives them.
held = [socket.socket() for _ in range(5)]
for s in held:
    s.bind(("127.0.0.1", 0))
front = {s.getsockname()[1] for s in held}
for _ in range(2000):
    ports = launcher.free_ports("127.0.0.1", 5)
    assert len(set(ports)) == 5, ports
    assert not set(ports) & front, (ports, front)
    if low > launcher.PRIVATE_PORTS_FROM:  # else the range leaves no room below it
        assert all(launcher.PRIVATE_PORTS_FROM <= p < low for p in ports), (ports, low)
for port in ports:
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # free when chosen
print("ok", low, high)
`;
  const run = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, join(KERNELSPECS, "kernels/deno/serial_kernel.py")],
  }).output();
  const out = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, out);
  assert.match(out, /^ok \d+ \d+$/m);
});
