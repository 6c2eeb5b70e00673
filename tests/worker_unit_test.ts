import assert from "node:assert/strict";
import { HealthBoard, startBeating } from "../container/health.ts";
import type { UnitConfig } from "../container/serve.ts";
import { startWorkerUnit } from "../container/worker_unit.ts";

Deno.test("worker unit: a dead unit is marked on the health board and replaced; a crash loop ends the process", async () => {
  const board = new HealthBoard(2);
  // Unit 0 (this thread) keeps beating, so that the board's only problem can be unit 1's.
  const stopBeating = startBeating(board, 0);
  const logs: Record<string, unknown>[] = [];
  let died: (message: string) => void = () => {};
  const fatal = new Promise<string>((resolve) => (died = resolve));
  const problems = new Set<string>();
  const watch = setInterval(() => {
    const problem = board.problem();
    if (problem) problems.add(problem);
  }, 5);
  // A real Worker that becomes ready and then throws, each time it is started.
  const unit = startWorkerUnit(
    { worker: 1 } as UnitConfig,
    board,
    {
      log: (entry) => logs.push(entry),
      die: ((message: string) => died(message)) as (message: string) => never,
    },
    new URL("./fixtures/dying_unit.ts", import.meta.url),
  );
  try {
    await unit.warm;
    // Without replacements nothing more would happen: give up after 30 s instead of hanging.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const message = await Promise.race([
      fatal,
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve("no fatal end"), 30_000))),
    ]);
    clearTimeout(timer);
    assert.match(message, /serving unit 1 died 4 times within a minute/);
    const deaths = logs.filter((l) => l.message === "serving unit died");
    assert.equal(deaths.length, 4, "started 4 times: the first and 3 replacements");
    assert.match(String(deaths[0].error), /a bug in the unit/);
    assert.ok(problems.has("serving unit 1 has died"), [...problems].join("; "));
  } finally {
    clearInterval(watch);
    stopBeating();
  }
});
