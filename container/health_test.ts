import assert from "node:assert/strict";
import { HealthBoard } from "./health.ts";

Deno.test("health: stalled loops, wedged offload workers and dead units are named; recovery clears them", () => {
  let now = 1_000_000;
  const board = new HealthBoard(2, { stallMs: 5_000, wedgedMs: 60_000 }, () => now);
  /** Time passes while both units' loops run. */
  const later = (ms: number) => {
    now += ms;
    board.beat(0);
    board.beat(1);
  };
  assert.equal(board.problem(), undefined, "a new board: every unit has just beaten");

  now += 4_000;
  board.beat(0);
  assert.equal(board.problem(), undefined, "4 s of silence is within the stall threshold");
  now += 2_000;
  assert.match(board.problem() ?? "", /serving unit 1 has not run for 6\.0 s/);
  board.beat(1);
  assert.equal(board.problem(), undefined, "a beat clears the stall");

  board.offloadSince(0, now); // took its first job
  for (let i = 0; i < 30; i++) later(2_500);
  assert.match(
    board.problem() ?? "",
    /unit 0's offload workers: one has finished nothing for 75\.0 s/,
  );
  board.offloadSince(0, now); // finished one, one left
  assert.equal(board.problem(), undefined, "a finished job is progress");
  board.offloadSince(0, 0); // none left
  later(120_000);
  assert.equal(board.problem(), undefined, "an idle offload worker is not wedged");

  // The scoring Worker answers bodies of at most 256 KB: 5 s without a finished one is wedged.
  board.scoringSince(1, now);
  later(4_000);
  assert.equal(board.problem(), undefined, "4 s into a queue of small bodies is within bounds");
  later(2_000);
  assert.match(
    board.problem() ?? "",
    /unit 1's scoring workers: one has finished nothing for 6\.0 s/,
  );
  board.scoringSince(1, now);
  assert.equal(board.problem(), undefined, "a finished body is progress");
  board.scoringSince(1, 0);

  board.markDead(1);
  assert.equal(board.problem(), "serving unit 1 has died");
  board.markAlive(1);
  assert.equal(board.problem(), undefined);

  // A unit that has not loaded its model yet keeps /ping at 503, whichever unit answers it.
  board.markLoading(0);
  assert.equal(board.problem(), "serving unit 0 is loading the model");
  board.markAlive(0);
  assert.equal(board.problem(), undefined);
});

Deno.test("health: a unit's board is shared memory: another thread's blocked loop shows, then clears", async () => {
  // A real Worker beats on the board through the shared buffer, then blocks its own thread
  // (Atomics.wait) until told to go on: a loop that is truly stuck, seen from this thread.
  const board = new HealthBoard(1, { stallMs: 600, wedgedMs: 60_000 });
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    import { HealthBoard, startBeating } from "${new URL("./health.ts", import.meta.url)}";
    self.onmessage = (event) => {
      const { buffer, gate } = event.data;
      const board = new HealthBoard(buffer);
      startBeating(board, 0);
      setTimeout(() => {
        self.postMessage("blocking");
        Atomics.wait(new Int32Array(gate), 0, 0); // stuck until the main thread lets go
        self.postMessage("free");
      }, 300);
    };`;
  const worker = new Worker(
    URL.createObjectURL(new Blob([source], { type: "text/javascript" })),
    { type: "module" },
  );
  const messages: string[] = [];
  const next = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => (messages.includes(text) ? resolve() : setTimeout(check, 20));
      check();
    });
  worker.onmessage = (event) => messages.push(event.data);
  try {
    worker.postMessage({ buffer: board.buffer, gate: gate.buffer });
    await next("blocking");
    let problem: string | undefined;
    for (let i = 0; i < 500 && !problem; i++) {
      await new Promise((r) => setTimeout(r, 20));
      problem = board.problem();
    }
    assert.match(problem ?? "", /serving unit 0 has not run for/);
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await next("free");
    for (let i = 0; i < 500 && board.problem(); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(board.problem(), undefined, "beats again once its loop runs");
  } finally {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    worker.terminate();
  }
});
