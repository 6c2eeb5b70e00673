/** The analysis and display helpers behind notebooks 01 and 02. */

import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { encodeInputs } from "../src/codec/inputs.ts";
import type { Matrix } from "../src/learners/matrix.ts";
import { RandomForestClassifier } from "../src/learners/forest.ts";
import { rateBars } from "../src/notebook/charts.ts";
import { recordsFrame, table } from "../src/notebook/display.ts";
import {
  describeSteps,
  rateByOneHot,
  rateByValue,
  rateGroups,
  survivalRate,
  wilsonInterval,
} from "../src/notebook/explore.ts";
import { FEATURE_SETS } from "../src/pipeline/features.ts";
import { Pipeline } from "../src/pipeline/pipeline.ts";
import { dataset } from "./helpers.ts";

const DISPLAY = Symbol.for("Jupyter.display");
const text = (shown: unknown) =>
  (shown as Record<symbol, () => Record<string, string>>)[DISPLAY]()["text/plain"];

Deno.test("wilsonInterval: equals scipy's binomtest(k, n).proportion_ci(method='wilson')", () => {
  // scipy 1.10.1 (Debian's python3-scipy), rounded to 6 places.
  const scipy: [number, number, number, number][] = [
    [2, 2, 0.34238, 1.0],
    [0, 6, 0.0, 0.390334],
    [163, 537, 0.266159, 0.343708],
    [21, 29, 0.542829, 0.853012],
    [1, 1, 0.206549, 1.0],
  ];
  for (const [k, n, low, high] of scipy) {
    const [l, h] = wilsonInterval(k, n);
    assert.ok(Math.abs(l - low) < 1e-6 && Math.abs(h - high) < 1e-6, `${k}/${n}: ${l}, ${h}`);
  }
});

Deno.test("survivalRate: numeric groups in numeric order with integer counts, missing last", () => {
  const frame = pl.DataFrame([
    pl.Series("Size", [11, 2, 1, 2, 11, 1, 1], pl.Int64),
    pl.Series("Port", ["S", null, "C", "S", "S", null, "C"]),
    pl.Series("Survived", [0, 1, 1, 0, 0, 1, 0], pl.Int64),
  ]);
  const bySize = survivalRate(frame, "Size");
  assert.deepEqual(bySize.getColumn("Size").toArray(), [1, 2, 11]);
  assert.deepEqual(
    bySize.dtypes.map((d) => String(d).replace(/^DataType\((.*)\)$/, "$1")).slice(0, 3),
    ["Int64", "Int64", "Int64"],
  );
  assert.deepEqual(bySize.getColumn("passengers").toArray(), [3, 2, 2]);
  assert.deepEqual(bySize.getColumn("survived").toArray(), [2, 1, 0]);
  const byPort = rateGroups(survivalRate(frame, "Port"));
  assert.deepEqual(byPort.map((g) => [g.label, g.passengers, g.survived]), [
    ["C", 2, 1],
    ["S", 3, 0],
    ["missing", 2, 2],
  ]);
  assert.deepEqual([byPort[2].low, byPort[2].high], wilsonInterval(2, 2));
});

Deno.test("rateByOneHot and rateByValue: survival per one-hot column and per value", () => {
  const features = {
    names: ["Age", "Title=Mr", "Title=infrequent"],
    columns: [
      Float32Array.from([30, 5, 40, 50]),
      Float32Array.from([1, 0, 1, 0]),
      Float32Array.from([0, 1, 0, 1]),
    ],
  };
  const y = [0, 1, 1, 1];
  assert.deepEqual(
    rateByOneHot(features, "Title=", y).map((g) => [g.label, g.passengers, g.rate]),
    [
      ["Mr", 2, 0.5],
      ["infrequent", 2, 1],
    ],
  );
  assert.deepEqual(
    rateByValue([3, 1, 3, 11], y).map((g) => [g.label, g.passengers, g.survived]),
    [["1", 1, 1], ["3", 2, 1], ["11", 1, 1]],
  );
});

Deno.test("rateBars: counts under the labels, asymmetric 95 % whiskers, small groups pale", () => {
  const groups = rateGroups(survivalRate(
    pl.DataFrame([
      pl.Series("Port", [...Array(12).fill("S"), "C", "C"]),
      pl.Series("Survived", [...Array(12).fill(0).map((_, i) => i % 2), 1, 1], pl.Int64),
    ]),
    "Port",
  ));
  const trace = rateBars(groups, "t", "port").data[0] as {
    x: string[];
    y: number[];
    error_y: { array: number[]; arrayminus: number[] };
    marker: { color: string[] };
  };
  assert.deepEqual(trace.x, ["C<br>n=2", "S<br>n=12"]);
  assert.deepEqual(trace.y, [1, 0.5]);
  assert.equal(trace.error_y.array[0], 0);
  assert.ok(Math.abs(trace.error_y.arrayminus[0] - (1 - wilsonInterval(2, 2)[0])) < 1e-12);
  assert.notEqual(trace.marker.color[0], trace.marker.color[1]);
});

Deno.test("table of records: integer columns are Int64, others keep their type", () => {
  const frame = recordsFrame([{ n: 1, x: 2.5, s: "a" }, { n: 3, x: 1, s: null }]);
  assert.deepEqual(frame.dtypes.map((d) => String(d).replace(/^DataType\((.*)\)$/, "$1")), [
    "Int64",
    "Float64",
    "String",
  ]);
  assert.match(text(table([{ group: "a", passengers: 139 }])), /String\s+Int64\na\s+139/);
});

Deno.test("describeSteps: one row per fitted step, settings in words", () => {
  const rows = describeSteps([
    { describe: () => ({ step: "Imputer", inputs: ["Age", "Fare"], fillValues: [28, 14.454199] }) },
    { describe: () => ({ step: "Ages", input: "Age", medians: { Mr: 30, Miss: 21 } }) },
  ]);
  assert.deepEqual(rows, [
    { step: "Imputer", input: "Age, Fare", settings: "fillValues: 28, 14.4542" },
    { step: "Ages", input: "Age", settings: "medians: Mr 30, Miss 21" },
  ]);
});

Deno.test("Pipeline.fitTransform: the training rows' features as fit, not as transform sees them", async () => {
  const { train } = await dataset();
  const pipeline = new Pipeline(FEATURE_SETS.full.steps(), new RandomForestClassifier());
  const inputs = encodeInputs(train.columns, pipeline.inputs());
  const fitted = pipeline.fitTransform(inputs, train.labels!);
  const size = (m: Matrix) => m.columns[m.names.indexOf("TicketGroupSize")];
  const tickets = train.columns.strings.Ticket;
  const holders = (t: string) => tickets.filter((u) => u === t).length;
  // A training row's group is the ticket's holders, itself included; transform() treats the
  // same row as a new passenger and adds it once more.
  assert.deepEqual([...size(fitted)], tickets.map(holders));
  assert.deepEqual([...size(pipeline.transform(inputs))], tickets.map((t) => holders(t) + 1));
});
