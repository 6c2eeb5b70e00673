import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { takeRows } from "../codec/columns.ts";
import { encodeInputs, inputSpec, type ModelInputs } from "../codec/inputs.ts";
import { stratifiedFolds } from "../eval/cv.ts";
import { createSession } from "../inference/model.ts";
import { GraphBuilder } from "../onnx/builder.ts";
import { dataset } from "../../tests/helpers.ts";
import { SurnameFromName, TitleFromName } from "./derive.ts";
import { type GroupKind, GroupSurvival, NEUTRAL_SURVIVAL } from "./group.ts";
import { TicketGroupFeatures } from "./ticket.ts";

const RAW = ["Name", "Sex", "Pclass", "Fare", "Embarked", "Ticket"];

/** Raw inputs plus the derived title and surname, as the pipeline sees them. */
function derived(data: ModelInputs): ModelInputs {
  const all = { ...data };
  all.Title = new TitleFromName().fit(all).derive(all);
  all.Surname = new SurnameFromName().fit(all).derive(all);
  return all;
}

/**
 * The reference, by brute force over passengers: the labelled women and boys of `pool` in
 * the same group as each row of `rows` (skipping the row itself when it is in the pool).
 */
function bruteForce(
  kind: GroupKind,
  pool: ModelInputs,
  y: Uint8Array,
  rows: ModelInputs,
  self?: (r: number) => number,
): { rate: number[]; known: number[] } {
  const s = (d: ModelInputs, c: string) => d[c] as string[];
  const n = (d: ModelInputs, c: string) => d[c] as Float32Array;
  const surname = (name: string) => name.split(",")[0];
  const same = (r: number, p: number) =>
    kind === "ticket"
      ? s(rows, "Ticket")[r] !== "" && s(rows, "Ticket")[r] === s(pool, "Ticket")[p]
      : surname(s(rows, "Name")[r]) === surname(s(pool, "Name")[p]) &&
        n(rows, "Pclass")[r] === n(pool, "Pclass")[p] &&
        (n(rows, "Fare")[r] === n(pool, "Fare")[p] ||
          (Number.isNaN(n(rows, "Fare")[r]) && Number.isNaN(n(pool, "Fare")[p]))) &&
        s(rows, "Embarked")[r] === s(pool, "Embarked")[p];
  const member = (p: number) =>
    s(pool, "Sex")[p] === "female" || / Master\./.test(s(pool, "Name")[p].split(",")[1] ?? "");
  const rate: number[] = [], known: number[] = [];
  for (let r = 0; r < (rows.Name as string[]).length; r++) {
    let sum = 0, count = 0;
    for (let p = 0; p < y.length; p++) {
      if (p === self?.(r) || !member(p) || !same(r, p)) continue;
      sum += y[p];
      count++;
    }
    rate.push(count ? Math.fround(sum / count) : NEUTRAL_SURVIVAL);
    known.push(count);
  }
  return { rate, known };
}

for (const kind of ["family", "ticket"] as const) {
  Deno.test(`group survival (${kind}): training rows get leave-one-out values, by brute force`, async () => {
    const { train } = await dataset();
    const data = derived(encodeInputs(train.columns, RAW));
    const y = train.labels!;
    const block = new GroupSurvival(kind).fitTransform(data, y);
    const expected = bruteForce(kind, data, y, data, (r) => r);
    assert.deepEqual(Array.from(block.columns[0]), expected.rate);
    assert.deepEqual(Array.from(block.columns[1]), expected.known);
    // Groups with several labelled members exist, so the check is not vacuous.
    assert.ok(expected.known.filter((k) => k >= 2).length > 50);
  });

  Deno.test(`group survival (${kind}): a training row's value ignores its own label`, async () => {
    const { train } = await dataset();
    const data = derived(encodeInputs(train.columns, RAW));
    const y = train.labels!;
    const before = new GroupSurvival(kind).fitTransform(data, y);
    for (let r = 0; r < y.length; r++) {
      const flipped = y.slice();
      flipped[r] = 1 - flipped[r];
      const after = new GroupSurvival(kind).fitTransform(data, flipped);
      assert.equal(after.columns[0][r], before.columns[0][r], `row ${r}`);
      assert.equal(after.columns[1][r], before.columns[1][r], `row ${r}`);
      if (r >= 120) break; // 120 rows: enough to cover groups; each refit is a full fit
    }
  });

  Deno.test(`group survival (${kind}): a validation row uses training-fold labels only`, async () => {
    const { train } = await dataset();
    const y = train.labels!;
    const [testIdx] = stratifiedFolds(y, 5, 42);
    const isTest = new Set(testIdx);
    const trainIdx = Array.from(y.keys()).filter((i) => !isTest.has(i));
    const fold = derived(encodeInputs(takeRows(train.columns, trainIdx), RAW));
    const held = derived(encodeInputs(takeRows(train.columns, testIdx), RAW));
    const yFold = Uint8Array.from(trainIdx, (i) => y[i]);
    const block = new GroupSurvival(kind).fit(fold, yFold).transform(held);
    const expected = bruteForce(kind, fold, yFold, held);
    assert.deepEqual(Array.from(block.columns[0]), expected.rate);
    assert.deepEqual(Array.from(block.columns[1]), expected.known);
  });

  Deno.test(`group survival (${kind}): the graph computes the same values on every row`, async () => {
    const { train, test } = await dataset();
    const y = train.labels!;
    const fitted = new GroupSurvival(kind).fit(derived(encodeInputs(train.columns, RAW)), y);
    const g = new GraphBuilder("group");
    const tensors: Record<string, string> = {};
    for (const name of RAW) tensors[name] = g.input(name, inputSpec(name).type, ["N", 1]);
    tensors.Title = new TitleFromName().fit(derived(encodeInputs(train.columns, RAW)))
      .toOnnx(g, tensors);
    tensors.Surname = new SurnameFromName().toOnnx(g, tensors);
    const out = fitted.toOnnx(g, tensors);
    g.output(out, "float32", ["N", 2]);
    const session = await createSession(g.encode({ producerName: "test", producerVersion: "0" }));
    for (const data of [train, test]) {
      const inputs = encodeInputs(data.columns, RAW);
      // Edge rows: no name, no comma, an unknown surname, no ticket, a missing fare.
      const edge = { Name: ["", "Nocomma", "Zzz, Mrs. X"], Ticket: ["", "", "X"] };
      (inputs.Name as string[]).push(...edge.Name);
      (inputs.Ticket as string[]).push(...edge.Ticket);
      (inputs.Sex as string[]).push("female", "male", "female");
      (inputs.Embarked as string[]).push("", "S", "C");
      for (const c of ["Pclass", "Fare"]) {
        inputs[c] = Float32Array.from([...(inputs[c] as Float32Array), 3, NaN, 1]);
      }
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of RAW) {
        const v = inputs[name];
        feeds[name] = new ort.Tensor(Array.isArray(v) ? "string" : "float32", v, [v.length, 1]);
      }
      const got = (await session.run(feeds))[out].data as Float32Array;
      const want = fitted.transform(derived(inputs));
      for (let r = 0; r < want.columns[0].length; r++) {
        assert.equal(got[2 * r], want.columns[0][r], `row ${r}: rate`);
        assert.equal(got[2 * r + 1], want.columns[1][r], `row ${r}: known`);
      }
    }
  });
}

Deno.test("ticket group size: a training row counts itself once, a new passenger is added", async () => {
  const { train } = await dataset();
  const data = encodeInputs(train.columns, ["Ticket", "Fare"]);
  const tickets = data.Ticket as string[];
  const step = new TicketGroupFeatures();
  const training = step.fitTransform(data, train.labels!);
  const holders = (t: string) => tickets.filter((x) => x === t).length;
  tickets.forEach((t, r) => assert.equal(training.columns[0][r], t === "" ? 1 : holders(t)));
  // The same passengers sent as new ones: their ticket's training holders plus themselves.
  const fresh = step.transform(data);
  tickets.forEach((t, r) => assert.equal(fresh.columns[0][r], holders(t) + 1));
});
