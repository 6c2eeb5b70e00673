import assert from "node:assert/strict";
import { libc, readOnlySegments, releaseIdleMemory, releaseWhenIdle } from "./memory.ts";

Deno.test("memory: the loader's read-only segments are page-aligned and cover deno's code", () => {
  const glibc = libc();
  assert.ok(glibc, "glibc not found");
  const segments = readOnlySegments(glibc);
  assert.ok(segments.length > 4, `${segments.length} segments`);
  for (const [start, length] of segments) {
    assert.equal(start % 4096n, 0n);
    assert.ok(length > 0n && length % 4096n === 0n);
  }
  const total = segments.reduce((sum, [, length]) => sum + length, 0n);
  assert.ok(total > 50n << 20n, `${total >> 20n} MB`); // deno's code alone is larger
});

Deno.test("memory: releasing start-up memory pages out the code only this process maps, letting the event loop run meanwhile", async () => {
  // In a process of its own (`deno test --parallel` runs the other test files in this one, and
  // their memory would move its resident set meanwhile) that starts up as the server does. The
  // kernel pages out only pages that no other process maps (MADV_PAGEOUT), and other deno
  // processes running beside this test share most of deno's code: so what is measured is the
  // process's private clean pages (its own copy of code it alone touched), which must go.
  const script = `
    import { libc, releaseStartupMemory } from "${new URL("./memory.ts", import.meta.url)}";
    import { OnnxModel } from "${new URL("../src/inference/model.ts", import.meta.url)}";
    await OnnxModel.load("${new URL("../models/titanic.onnx", import.meta.url).pathname}");
    libc(); // loaded before the first reading: its own pages are not the release's doing
    const privateClean = () => Number(
      /Private_Clean:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/smaps_rollup"))[1],
    ) / 1024;
    const before = privateClean();
    // A timer already due stands for a health check that arrives meanwhile.
    let answeredMeanwhile = false;
    setTimeout(() => (answeredMeanwhile = true), 0);
    const release = await releaseStartupMemory();
    console.log(JSON.stringify({ before, after: privateClean(), answeredMeanwhile, ...release }));`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", script] }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const result = JSON.parse(text);
  assert.equal(result.skipped, undefined);
  assert.ok(result.segments > 0);
  // The event loop ran between slices: the release never held it for the whole 60-80 ms.
  assert.equal(result.answeredMeanwhile, true);
  // Measured alone: 26-27 MB before, about 1 MB after.
  assert.ok(
    result.after <= Math.max(4, result.before / 4),
    `private clean pages ${result.before} MB -> ${result.after} MB`,
  );
});

/**
 * Starts `releaseWhenIdle`'s timer under a manual clock: its interval callback is captured (a
 * real interval that never fires stands in, for unref and clear), and `tick()` runs it once.
 */
function underManualClock(start: () => () => void): { tick(n?: number): void; stop(): void } {
  const realSetInterval = globalThis.setInterval;
  let callback: (() => void) | undefined;
  globalThis.setInterval = ((handler: () => void) => {
    callback = handler;
    return realSetInterval(() => {}, 2 ** 31 - 1);
  }) as typeof setInterval;
  let stop: () => void;
  try {
    stop = start();
  } finally {
    globalThis.setInterval = realSetInterval;
  }
  if (!callback) throw new Error("no interval was started");
  const interval = callback;
  return {
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) interval();
    },
    stop,
  };
}

Deno.test("memory: idle release runs once per burst, never with requests in flight", () => {
  const counts = { answered: 0, inFlight: 0 };
  let rss = 100;
  let releases = 0;
  const release = () => {
    releases++;
    rss = 100;
  };
  const clock = underManualClock(() =>
    releaseWhenIdle(counts, release, { idleMs: 1000, rss: () => rss })
  );
  try {
    rss = 130;
    clock.tick(3);
    assert.equal(releases, 0, "nothing answered yet: nothing to release");
    counts.answered = 10;
    clock.tick();
    assert.equal(releases, 0, "requests answered during this interval: not idle yet");
    clock.tick();
    assert.equal(releases, 1, "one release after a whole idle interval");
    clock.tick(3);
    assert.equal(releases, 1, "once per burst");
    counts.answered = 11;
    counts.inFlight = 1;
    rss = 140;
    clock.tick(4);
    assert.equal(releases, 1, "not while a request is in flight");
    counts.inFlight = 0;
    clock.tick();
    assert.equal(releases, 2, "released once the last request is done");
    counts.answered = 12;
    rss = 104;
    clock.tick(4);
    assert.equal(releases, 2, "a trickle that grew the process by less than 8 MB: no release");
  } finally {
    clock.stop();
  }
});

Deno.test("memory: the idle release finds glibc", () => {
  assert.equal(releaseIdleMemory(), true);
});

Deno.test("memory: the heap bound collects V8's garbage once the heap passes it, and not again for what survives", async () => {
  // In a process of its own started as the server is (--expose-gc), so that the heap read is
  // this script's alone.
  const script = `
    import { getHeapStatistics } from "node:v8";
    import { heapBound } from "${new URL("./memory.ts", import.meta.url)}";
    const used = () => getHeapStatistics().used_heap_size;
    const MB = 1024 * 1024;
    const check = heapBound(16 * MB);
    const rows = (n) => Array.from({ length: n }, (_, i) => ({ id: i, name: "passenger " + i }));
    const quiet = check(); // what start-up left is under the bound
    let garbage = rows(400_000);
    const withGarbage = used();
    garbage = undefined;
    const collected = check();
    const afterCollection = used();
    const live = rows(400_000); // 20 MB or more that survive: the bound moves above them
    const first = check();
    const second = check();
    console.log(JSON.stringify({
      quiet, withGarbage, collected, afterCollection, live: live.length, first, second,
      liveUsed: used(),
    }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc,--max-semi-space-size=2", script],
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  const MB = 1024 * 1024;
  assert.equal(r.quiet, false, "no collection under the bound");
  assert.ok(r.withGarbage > 20 * MB, `the garbage took the heap to ${r.withGarbage / MB} MB`);
  assert.equal(r.collected, true, "collected once over the bound");
  assert.ok(r.afterCollection < 16 * MB, `${r.afterCollection / MB} MB after the collection`);
  assert.equal(r.first, true, "the live rows pass the bound once");
  assert.equal(r.second, false, "what survived a collection does not start another");
  assert.ok(r.liveUsed > 16 * MB, `${r.liveUsed / MB} MB live`);
});
