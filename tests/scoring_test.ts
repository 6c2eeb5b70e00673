import assert from "node:assert/strict";
import { answerBody, startOffload, utf8Bytes } from "../container/offload.ts";
import { type MediaType, RequestError } from "../container/payload.ts";
import { startScoring } from "../container/scoring.ts";
import { OnnxModel } from "../src/inference/model.ts";
import { SHARED_DATA } from "./helpers.ts";

const MODEL = new URL("../models/titanic.onnx", import.meta.url).pathname;

type Outcome = { body: string; records: number; survived: number } | {
  status: number;
  error: Record<string, unknown>;
};

async function outcome(
  answering: Promise<
    { records: number; survived: number } & ({ body: Uint8Array | string } | { text: string })
  >,
): Promise<Outcome> {
  try {
    const a = await answering;
    const body = "text" in a
      ? a.text
      : typeof a.body === "string"
      ? a.body
      : new TextDecoder().decode(a.body);
    return { body, records: a.records, survived: a.survived };
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    return { status: err.status, error: err.body() };
  }
}

Deno.test("scoring worker: answers sent at once (valid, refused, explained, every media type) match answers computed on this thread", async () => {
  const lines = (await Deno.readTextFile(`${SHARED_DATA}/test.csv`)).split(/\r?\n/);
  const [header, ...rows] = lines.filter((l) => l !== "");
  const bodies: [string, MediaType, MediaType, boolean][] = [];
  for (let i = 0; i < 120; i++) {
    const chunk = rows.slice(i * 3, i * 3 + 1 + (i % 7));
    const csv = [header, ...chunk].join("\n");
    const accept: MediaType =
      (["application/json", "text/csv", "application/jsonlines"] as const)[i % 3];
    if (i % 10 === 3) bodies.push([csv.replace(/,male,/, ",robot,"), "text/csv", accept, false]);
    else if (i % 10 === 5) bodies.push(['[{"Pclass":4}]', "application/json", accept, false]);
    else if (i % 10 === 7) bodies.push([csv, "text/csv", accept, true]);
    else if (i % 10 === 9) bodies.push(["", "application/jsonlines", accept, false]);
    else bodies.push([csv, "text/csv", accept, false]);
  }
  bodies.push([[header, ...rows].join("\n"), "text/csv", "application/json", false]);
  // An answer of 1.8 MB: it comes back in fragments of the reply ring.
  bodies.push(["Pclass,Sex\n" + "3,male\n".repeat(30_000), "text/csv", "application/json", false]);
  const model = await OnnxModel.load(MODEL);
  const scoring = startScoring(MODEL, 1);
  try {
    await scoring.ready;
    // All at once: the Worker takes the queued ones together (micro_batch.ts).
    const remote = await Promise.all(
      bodies.map(([b, t, a, e]) => outcome(scoring.answer(utf8Bytes(b), t, a, e))),
    );
    for (const [i, [b, t, a, e]] of bodies.entries()) {
      const local = await outcome(answerBody(model, utf8Bytes(b), t, a, e));
      assert.deepEqual(remote[i], local, `body ${i} (${t} -> ${a}${e ? ", explained" : ""})`);
    }
    const refused = remote.filter((r) => "status" in r).length;
    assert.ok(refused >= 30 && refused < remote.length - 60, `${refused} refused`);
  } finally {
    await scoring.stop();
    await model.release();
  }
});

Deno.test("scoring worker: one that dies fails what it held and is replaced; 4 deaths within a minute are a crash loop", async () => {
  const logs: Record<string, unknown>[] = [];
  const loops: string[] = [];
  const scoring = startScoring(MODEL, 1, {
    log: (entry) => logs.push(entry),
    onCrashLoop: (message) => loops.push(message),
  }, new URL("./fixtures/dying_scorer.ts", import.meta.url));
  try {
    await scoring.ready;
    for (let death = 1; death <= 4; death++) {
      await assert.rejects(
        scoring.answer(utf8Bytes("[]"), "application/json", "application/json"),
        /the scoring worker died: .*a bug in the scorer/,
      );
      // The replacement is started at once; give it a moment to say it is ready.
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(logs.filter((l) => l.message === "scoring worker died").length, 4);
    assert.deepEqual(loops, ["the scoring worker died 4 times within a minute"]);
  } finally {
    await scoring.stop();
  }
});

Deno.test("scoring worker: requests that keep arriving at a stuck Worker are not its progress", async () => {
  // What the health board hears (container/health.ts): a Worker that finished nothing for 5 s
  // while it had work is wedged, however many requests were sent to it meanwhile.
  const reports: number[] = [];
  const scoring = startScoring(
    MODEL,
    1,
    { onProgress: (pending) => reports.push(pending) },
    new URL("./fixtures/stuck_scorer.ts", import.meta.url),
  );
  const ask = (body: string) =>
    scoring.answer(utf8Bytes(body), "application/json", "application/json").catch(() => {});
  try {
    await scoring.ready;
    ask('[{"Pclass":3,"Sex":"male","Name":"stuck"}]'); // blocks the Worker's thread for 8 s
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ask('[{"Pclass":1,"Sex":"female"}]');
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(reports, [1], "only the start of the busy spell counts as progress");
  } finally {
    await scoring.stop();
  }
});

Deno.test("offload worker: its answers (large, explained, refused, every media type) match answers computed on this thread", async () => {
  const [header, ...rows] = (await Deno.readTextFile(`${SHARED_DATA}/train.csv`)).split(/\r?\n/)
    .filter((l) => l !== "");
  const whole = [header, ...rows].join("\n");
  const bodies: [string, MediaType, MediaType, boolean][] = [
    ...(["application/json", "text/csv", "application/jsonlines"] as const).map((
      accept,
    ): [string, MediaType, MediaType, boolean] => [whole, "text/csv", accept, false]),
    ["Pclass,Sex\n" + "3,male\n".repeat(40_000), "text/csv", "application/jsonlines", false],
    [[header, ...rows.slice(0, 40)].join("\n"), "text/csv", "text/csv", true],
    [whole.replace(/,male,/, ",robot,"), "text/csv", "application/json", false],
  ];
  const model = await OnnxModel.load(MODEL);
  const offload = startOffload(MODEL, 1);
  try {
    for (const [i, [b, t, a, e]] of bodies.entries()) {
      const remote = await outcome(offload.answer(utf8Bytes(b), t, a, e));
      const local = await outcome(answerBody(model, utf8Bytes(b), t, a, e));
      assert.deepEqual(remote, local, `body ${i} (${t} -> ${a}${e ? ", explained" : ""})`);
    }
  } finally {
    await offload.stop();
    await model.release();
  }
});
