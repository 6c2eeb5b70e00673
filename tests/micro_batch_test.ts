import assert from "node:assert/strict";
import { concatBatches, splitPredictions } from "../container/micro_batch.ts";
import { parseBatch } from "../container/payload.ts";
import { OnnxModel } from "../src/inference/model.ts";
import { SHARED_DATA } from "./helpers.ts";

const MODEL = new URL("../models/titanic.onnx", import.meta.url).pathname;

/** A small deterministic generator (mulberry32) for the group sizes. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("micro-batch: requests scored together get exactly the answers they get scored apart, on every row of train.csv and test.csv", async () => {
  const model = await OnnxModel.load(MODEL);
  try {
    const next = random(11);
    for (const file of ["train.csv", "test.csv"]) {
      const [header, ...lines] = (await Deno.readTextFile(`${SHARED_DATA}/${file}`))
        .split(/\r?\n/).filter((l) => l !== "");
      // The file as requests of 1 to 40 records, as a queue at a scoring Worker would hold them.
      const bodies: string[] = [];
      for (let at = 0; at < lines.length;) {
        const n = 1 + Math.floor(next() * 40);
        bodies.push([header, ...lines.slice(at, at + n)].join("\n"));
        at += n;
      }
      const batches = bodies.map((b) => parseBatch(b, "text/csv", model.inputNames));
      const apart = [];
      for (const batch of batches) apart.push(await model.predict(batch.inputs));
      // Groups of up to 64 queued requests, as the scoring Worker takes them.
      let compared = 0;
      for (let at = 0; at < batches.length; at += 64) {
        const group = batches.slice(at, at + 64);
        const together = concatBatches(group);
        assert.deepEqual(
          [...together.ids],
          group.flatMap((b) => [...b.ids]),
          `${file}: PassengerId in order`,
        );
        const parts = splitPredictions(
          await model.predict(together.inputs),
          group.map((b) => b.length),
        );
        for (const [i, part] of parts.entries()) {
          assert.deepEqual(
            part.labels,
            apart[at + i].labels,
            `${file}: request ${at + i}'s labels`,
          );
          assert.deepEqual(
            part.probabilities,
            apart[at + i].probabilities,
            `${file}: request ${at + i}'s probabilities`,
          );
          compared += part.labels.length;
        }
      }
      assert.equal(compared, lines.length, `${file}: every row compared`);
    }
  } finally {
    await model.release();
  }
});
