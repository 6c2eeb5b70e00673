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

Deno.test("answer pool: packed, small bodies fill the first member up to the bytes given; past that, each goes to the member with the fewest bytes in progress", async () => {
  const clock = 1000; // no member stalls here: see the next test
  const pool = startPool(3, heldMember, () => {}, () => clock, { bytes: 1000, stallMs: 2 });
  const ask = (bytes: number) =>
    pool.answer(new Uint8Array(bytes), "application/json", "application/json");
  const held = () => pool.members.map((m) => m.held.length);
  const answers = [ask(300), ask(300), ask(300)]; // 900 bytes at member 0: still under 1000
  assert.deepEqual(held(), [3, 0, 0]);
  answers.push(ask(300)); // 1200 at member 0 now
  assert.deepEqual(held(), [4, 0, 0]);
  answers.push(ask(5000)); // member 0 is full: the first under 1000 is member 1
  answers.push(ask(200)); // member 1 holds 5000: member 2
  answers.push(ask(2000)); // member 2 holds 200, under 1000: member 2 again
  assert.deepEqual(held(), [4, 1, 2]);
  answers.push(ask(100)); // all at 1000 or more (1200, 5000, 2200): the fewest bytes, member 0
  assert.deepEqual(held(), [5, 1, 2]);
  for (const member of pool.members) member.held.splice(0).forEach((go) => go());
  assert.deepEqual(
    (await Promise.all(answers)).map((a) => a.body[0]),
    [0, 0, 0, 0, 1, 2, 2, 0],
  );
  // Everything answered: the first member takes the next one again.
  answers.push(ask(10));
  assert.deepEqual(held(), [1, 0, 0]);
  pool.members[0].held.splice(0).forEach((go) => go());
  await Promise.all(answers);
  await pool.stop();
});

Deno.test("answer pool: packed, a member that has made no progress for longer than stallMs gets nothing more while another can take it", async () => {
  let clock = 1000;
  const pool = startPool(2, heldMember, () => {}, () => clock, { bytes: 1000, stallMs: 2 });
  const ask = (bytes: number) =>
    pool.answer(new Uint8Array(bytes), "application/json", "application/json");
  const held = () => pool.members.map((m) => m.held.length);
  const answers = [ask(10)]; // member 0 starts on it at 1000 ...
  clock = 1002;
  answers.push(ask(10)); // ... and is still within 2 ms: it takes the next one too
  assert.deepEqual(held(), [2, 0]);
  clock = 1003; // member 0 has answered nothing for 3 ms: stalled
  answers.push(ask(10), ask(10));
  assert.deepEqual(held(), [2, 2], "the other member takes them, under its bytes or not");
  clock = 1010; // both stalled: the fewest bytes of all (a tie: the first)
  answers.push(ask(10));
  assert.deepEqual(held(), [3, 2]);
  pool.members[0].held.shift()!(); // member 0 answers one at 1010: live again
  await answers[0];
  answers.push(ask(10));
  assert.deepEqual(held(), [3, 2]);
  for (const member of pool.members) member.held.splice(0).forEach((go) => go());
  assert.deepEqual((await Promise.all(answers)).map((a) => a.body[0]), [0, 0, 1, 1, 0, 0]);
  await pool.stop();
});
