import assert from "node:assert/strict";
import { AgeByTitleImputer } from "./age_by_title.ts";
import { DeckFromCabin, titleFromMatch, TitleFromName } from "./derive.ts";
import { TicketGroupFeatures } from "./ticket.ts";

Deno.test("ticket groups: a new passenger joins the training holders; fare per person", () => {
  const training = {
    Ticket: ["A", "A", "A", "B", "C", ""],
    Fare: Float32Array.from([30, 30, 30, 10, NaN, 8]),
  };
  const step = new TicketGroupFeatures();
  // Training rows: the holders of their ticket, themselves once among them.
  assert.deepEqual(Array.from(step.fitTransform(training, new Uint8Array(6)).columns[0]), [
    3,
    3,
    3,
    1,
    1,
    1,
  ]);
  const out = step.transform({
    Ticket: ["A", "B", "Z", ""],
    Fare: Float32Array.from([30, 10, NaN, 8]),
  });
  assert.deepEqual(out.names, ["TicketGroupSize", "FarePerPerson"]);
  // New passengers: the 3 holders of A plus the passenger; 1 + 1 for B; alone for Z and none.
  assert.deepEqual(Array.from(out.columns[0]), [4, 2, 1, 1]);
  // Missing fare: the training median (30) over a group of 1.
  assert.deepEqual(Array.from(out.columns[1]), [7.5, 5, 30, 8]);
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

Deno.test("title from the name: training forms map to titles, anything else to empty", () => {
  const names = [
    "Braund, Mr. Owen Harris",
    "Rothes, the Countess. of (Lucy Noel Martha Dyer-Edwards)",
    "Aubart, Mme. Leontine Pauline",
    "Reynaldo, Ms. Encarnacion",
    "Smith, Mr. John",
  ];
  const step = new TitleFromName().fit({ Name: names });
  assert.deepEqual(step.derive({ Name: names }), ["Mr", "the Countess", "Mrs", "Miss", "Mr"]);
  assert.deepEqual(
    step.derive({ Name: ["", "No title here", "Doe, Captain. John", "Odd,  Mr. Spacing"] }),
    ["", "", "", ""],
  );
  assert.equal(titleFromMatch(", Mlle."), "Miss");
  assert.deepEqual(step.describe().titles, ["Miss", "Mr", "Mrs", "the Countess"]);
});

Deno.test("deck from the cabin: first letter, upper-cased", () => {
  const step = new DeckFromCabin().fit({ Cabin: [] });
  assert.deepEqual(step.derive({ Cabin: ["C85", "F G73", "", "b5", "123"] }), [
    "C",
    "F",
    "",
    "B",
    "",
  ]);
});
