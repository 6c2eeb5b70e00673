import assert from "node:assert/strict";
import { Deadlines } from "./deadlines.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A deadline of `watcher` that records when it ran (ms after `start`). */
function recorder(watcher: Deadlines, start: number) {
  const ran: number[] = [];
  const deadline = watcher.watch(() => ran.push(performance.now() - start));
  return { deadline, ran };
}

// Deno.test's sanitizers fail a test that ends with a timer still set: each test below ends with
// nothing watched, which must leave no timer behind.

Deno.test("deadlines: each runs once, after its time, in order; moved later it waits", async () => {
  const watcher = new Deadlines();
  const start = performance.now();
  const a = recorder(watcher, start);
  const b = recorder(watcher, start);
  const c = recorder(watcher, start);
  b.deadline.at = start + 60;
  a.deadline.at = start + 30; // earlier than the timer is set for: it is set again
  c.deadline.at = start + 40;
  c.deadline.at = start + 90; // moved later before it passed
  await sleep(150);
  assert.equal(a.ran.length, 1);
  assert.equal(b.ran.length, 1);
  assert.equal(c.ran.length, 1);
  assert.ok(a.ran[0] >= 30 && b.ran[0] >= 60 && c.ran[0] >= 90, JSON.stringify([a, b, c]));
  assert.ok(a.ran[0] < b.ran[0] && b.ran[0] < c.ran[0]);
  assert.equal(watcher.size, 0, "a deadline that ran is no longer watched");
});

Deno.test("deadlines: a cancelled or unset one never runs; nothing watched leaves no timer", async () => {
  const watcher = new Deadlines();
  const start = performance.now();
  const cancelled = recorder(watcher, start);
  const unset = recorder(watcher, start);
  const kept = recorder(watcher, start);
  cancelled.deadline.at = start + 20;
  unset.deadline.at = start + 20;
  kept.deadline.at = start + 50;
  cancelled.deadline.cancel();
  unset.deadline.at = Infinity;
  await sleep(80);
  assert.deepEqual([cancelled.ran.length, unset.ran.length, kept.ran.length], [0, 0, 1]);
  unset.deadline.cancel();
  assert.equal(watcher.size, 0);
});

Deno.test("deadlines: with nothing watched no timer is left to keep the process alive", async () => {
  // A child sets a deadline a minute away and cancels it: it ends at once, as with no timer.
  const script = `
    import { deadlines } from ${JSON.stringify(new URL("./deadlines.ts", import.meta.url).href)};
    const connection = deadlines.watch(() => console.log("ran"));
    connection.at = performance.now() + 60_000;
    const body = deadlines.watch(() => console.log("ran"));
    body.at = performance.now() + 30_000;
    body.cancel();
    connection.cancel();`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waited = new Promise<"still running">((resolve) => {
    timer = setTimeout(() => resolve("still running"), 20_000);
  });
  const outcome = await Promise.race([child.output(), waited]);
  clearTimeout(timer);
  if (outcome === "still running") {
    child.kill();
    await child.output();
    assert.fail("a cancelled deadline kept its process alive for 20 s");
  }
  assert.equal(outcome.code, 0);
  assert.equal(new TextDecoder().decode(outcome.stdout), "", "a cancelled deadline ran");
});

Deno.test("deadlines: one that runs may set itself again (a body's deadline moves as it arrives)", async () => {
  const watcher = new Deadlines();
  const start = performance.now();
  const ran: number[] = [];
  const deadline = watcher.watch(() => {
    ran.push(performance.now() - start);
    if (ran.length < 3) deadline.at = performance.now() + 20;
  });
  deadline.at = start + 20;
  await sleep(120);
  assert.equal(ran.length, 3, JSON.stringify(ran));
  assert.ok(ran[1] - ran[0] >= 19 && ran[2] - ran[1] >= 19, JSON.stringify(ran));
  assert.equal(watcher.size, 0);
});

Deno.test("deadlines: a thousand moved on every request set the timer only when one comes earlier", async () => {
  const watcher = new Deadlines();
  const calls = { set: 0 };
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    calls.set++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  try {
    const all = Array.from({ length: 1000 }, () => watcher.watch(() => {}));
    // Keep-alive timeouts, each request moving its connection's a little later.
    for (let round = 0; round < 10; round++) {
      for (const deadline of all) deadline.at = performance.now() + 60_000;
    }
    assert.equal(calls.set, 1, "one timer for 10,000 moves later");
    all[500].at = performance.now() + 1_000; // earlier than the timer: set again
    assert.equal(calls.set, 2);
    for (const deadline of all) deadline.cancel();
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  await sleep(0);
});
