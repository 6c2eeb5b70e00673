/**
 * Batch Transform against the real container: started with the environment a transform job
 * sets, its /execution-parameters announce exactly the job's MaxConcurrentTransforms,
 * BatchStrategy and MaxPayloadInMB; then the job's protocol (lines split, packed MultiRecord up
 * to the payload limit, sent that many at a time, answers joined by line) scores every row of
 * Kaggle's test.csv, headerless, and a JSON lines file, line for line as one request would;
 * a body above the limit is refused with 413.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { transformJobInput, type TransformSpec } from "../src/deploy/transform.ts";
import { EXAMPLE_TRANSFORM } from "./deploy_fixtures.ts";
import { SHARED_DATA } from "./helpers.ts";
import { startServer } from "./server_helpers.ts";

const SPEC: TransformSpec = { ...EXAMPLE_TRANSFORM, maxPayloadMb: 1 };

/** What Batch Transform does with SplitType Line and BatchStrategy MultiRecord. */
function miniBatches(lines: string[], maxBytes: number): string[] {
  const batches: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const line of lines) {
    const bytes = new TextEncoder().encode(line).length + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      batches.push(current.join("\n") + "\n");
      current = [];
      size = 0;
    }
    current.push(line);
    size += bytes;
  }
  if (current.length > 0) batches.push(current.join("\n") + "\n");
  return batches;
}

async function post(url: string, body: string, type: string) {
  const res = await fetch(`${url}/invocations`, {
    method: "POST",
    headers: { "content-type": type, accept: type },
    body,
  });
  return { status: res.status, text: await res.text() };
}

Deno.test("transform: the job's payload and concurrency are what the container announces and enforces", async () => {
  const job = transformJobInput(SPEC, SPEC.model!, new Date());
  const server = await startServer([], job.Environment as Record<string, string>);
  try {
    const params = await (await fetch(`${server.url}/execution-parameters`)).json();
    assert.deepEqual(params, {
      MaxConcurrentTransforms: job.MaxConcurrentTransforms,
      BatchStrategy: "MULTI_RECORD", // the container's spelling of MultiRecord
      MaxPayloadInMB: job.MaxPayloadInMB,
    });
    assert.equal(job.BatchStrategy, "MultiRecord");

    const maxBytes = job.MaxPayloadInMB! * 1024 * 1024;
    const csv = (await Deno.readTextFile(join(SHARED_DATA, "test.csv"))).trim().split("\n")
      .slice(1); // the header row: a transform's input files have none
    const jsonl = (await Deno.readTextFile(
      new URL("../container/examples/passengers.jsonl", import.meta.url),
    )).trim().split("\n");
    for (
      const [lines, type] of [
        [csv, "text/csv"],
        [Array(40).fill(csv).flat(), "text/csv"], // over 1 MB: split at the payload limit
        [jsonl, "application/jsonlines"],
      ] as const
    ) {
      // Small batches, so that several requests are in flight at once, as in a job.
      const batches = miniBatches([...lines], lines.length > 1000 ? maxBytes : 4096);
      assert.ok(batches.every((b) => new TextEncoder().encode(b).length <= maxBytes));
      const answers: string[] = new Array(batches.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: job.MaxConcurrentTransforms! }, async () => {
          while (next < batches.length) {
            const i = next++;
            const r = await post(server.url, batches[i], type);
            assert.equal(r.status, 200, r.text);
            answers[i] = r.text.replace(/\n$/, "");
          }
        }),
      );
      const joined = answers.join("\n").split("\n"); // AssembleWith Line
      assert.equal(joined.length, lines.length, `${type}: one answer line per input line`);
      if (lines.length <= 1000) {
        const whole = await post(server.url, lines.join("\n") + "\n", type);
        assert.deepEqual(joined, whole.text.replace(/\n$/, "").split("\n"));
      }
      console.log(`${type}: ${lines.length} lines in ${batches.length} requests`);
    }
    const oversized = await post(server.url, "x".repeat(maxBytes + 1), "text/csv");
    assert.equal(oversized.status, 413);
  } finally {
    await server.stop();
  }
});
