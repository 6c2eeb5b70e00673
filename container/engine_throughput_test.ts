import assert from "node:assert/strict";
import { probeEngineTogether } from "./engine_throughput.ts";

const MODEL = new URL("../models/titanic.onnx", import.meta.url).pathname;

Deno.test("engine throughput: sessions measured together run at the same time, each in its own process", async () => {
  // Loading and warming take longer than a measurement: sessions released as each got ready
  // (or one after the other) would overlap little or not at all.
  const figures = await probeEngineTogether(MODEL, 1, 2, { runs: 2, seconds: 0.5 });
  assert.equal(figures.sessions, 2);
  assert.ok(figures.overlap > 0.5, `measured together ${figures.overlap} of the time`);
  assert.ok(Number.isFinite(figures.total) && figures.total > 0, `${figures.total} rows/s`);
  assert.ok(figures.min <= figures.total && figures.total <= figures.max);
});

Deno.test("engine throughput: a model that does not load fails the probe with its exit code", async () => {
  await assert.rejects(
    probeEngineTogether("/nonexistent/model.onnx", 1, 2, { runs: 1, seconds: 0.1 }),
    /the onnxruntime probe did not start \(exit [1-9]/,
  );
});
