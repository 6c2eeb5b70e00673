import assert from "node:assert/strict";
import { AgeByTitleImputer } from "./age_by_title.ts";
import { TicketGroupFeatures } from "./ticket.ts";

Deno.test("ticket groups: sizes from training, 1 for unseen or missing; fare per person", () => {
  const step = new TicketGroupFeatures().fit({
    Ticket: ["A", "A", "A", "B", "C", ""],
    Fare: Float32Array.from([30, 30, 30, 10, NaN, 8]),
  });
  const out = step.transform({
    Ticket: ["A", "B", "Z", ""],
    Fare: Float32Array.from([30, 10, NaN, 8]),
  });
  assert.deepEqual(out.names, ["TicketGroupSize", "FarePerPerson"]);
  assert.deepEqual(Array.from(out.columns[0]), [3, 1, 1, 1]);
  // Missing fare: the training median (30) over a group of 1.
  assert.deepEqual(Array.from(out.columns[1]), [10, 10, 30, 8]);
  assert.deepEqual(step.describe().sharedTickets, 1);
});

Deno.test("age by title: per-title medians with enough ages, overall otherwise", () => {
  const titles = ["Master", "Master", "Master", "Mr", "Mr", "Mr", "Dr", "Master", "Dr", "Zed"];
  const ages = Float32Array.from([2, 4, 6, 30, 40, 50, 45, NaN, NaN, NaN]);
  const step = new AgeByTitleImputer(3).fit({ Title: titles, Age: ages });
  const out = step.transform({ Title: titles, Age: ages });
  assert.deepEqual(Array.from(out.columns[0]), [2, 4, 6, 30, 40, 50, 45, 4, 30, 30]);
  assert.deepEqual(step.describe().medians, { Master: 4, Mr: 40 });
});
