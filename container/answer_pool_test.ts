import assert from "node:assert/strict";
import { startPool } from "./answer_pool.ts";

/**
 * A member whose answers wait until the test lets them go. As scoring.ts and offload.ts do, it
 * reports progress when it gets work while idle and when it finishes something.
 */
function heldMember(index: number, progress: (pending: number) => void) {
  const held: (() => void)[] = [];
  return {
    held,
    answer: async () => {
      if (held.length === 0) progress(1);
      await new Promise<void>((resolve) => held.push(resolve));
      progress(held.length);
      return { body: new Uint8Array([index]), records: 1, survived: 0 };
    },
    stop: () => Promise.resolve(),
  };
}

Deno.test("answer pool: each body goes to the member with the fewest in progress; the oldest stalled member is what the board hears", async () => {
  let clock = 1000;
  const heard: number[] = [];
  const pool = startPool(3, heldMember, (since) => heard.push(since), () => clock);
  const ask = () => pool.answer(new Uint8Array(), "application/json", "application/json");
  const answers = [ask()]; // member 0, at 1000
  clock = 2000;
  answers.push(ask()); // member 1, at 2000
  clock = 3000;
  answers.push(ask(), ask()); // member 2, then member 0 again (ties go to the lowest)
  assert.deepEqual(pool.members.map((m) => m.held.length), [2, 1, 1]);
  // Member 0 has had work since 1000 and has finished nothing: that is what is reported.
  assert.equal(heard.at(-1), 1000);
  clock = 4000;
  pool.members[1].held.shift()!(); // member 1 finishes
  assert.equal((await answers[1]).body[0], 1);
  assert.equal(heard.at(-1), 1000, "one member's progress does not hide another's stall");
  pool.members[0].held.shift()!(); // member 0 finishes one: progress at 4000
  await answers[0];
  assert.equal(heard.at(-1), 3000, "member 2, waiting since 3000, is now the oldest");
  answers.push(ask()); // member 1 has none in progress now
  assert.deepEqual(pool.members.map((m) => m.held.length), [1, 1, 1]);
  for (const member of pool.members) member.held.splice(0).forEach((go) => go());
  assert.deepEqual((await Promise.all(answers)).map((a) => a.body[0]), [0, 1, 2, 0, 1]);
  assert.equal(heard.at(-1), 0, "nothing in progress: nothing to report");
  await pool.stop();
});
