import assert from "node:assert/strict";
import { columnsFromRecords, columnsFromRows } from "./columns.ts";
import { encodeInputs } from "./inputs.ts";
import { FIELD_BY_NAME } from "./schema.ts";
import { FieldError, parseNumber, parseString, plainDecimal } from "./values.ts";

const field = (name: string) => FIELD_BY_NAME.get(name)!;

Deno.test("numbers: numeric strings parse, missing is NaN, junk names the field", () => {
  assert.equal(parseNumber(field("Age"), "22.5"), 22.5);
  assert.equal(parseNumber(field("Age"), " 3 "), 3);
  assert.equal(parseNumber(field("Fare"), 7.25), 7.25);
  for (const missing of [null, undefined, "", "  "]) {
    assert.ok(Number.isNaN(parseNumber(field("Age"), missing)));
  }
  assert.throws(() => parseNumber(field("Age"), "old"), /field "Age": expected a number/);
  assert.throws(() => parseNumber(field("Age"), true), /expected a number, got true/);
  assert.throws(() => parseNumber(field("Age"), -1), /at least 0/);
  assert.throws(() => parseNumber(field("SibSp"), 1.5), /whole number/);
  assert.throws(() => parseNumber(field("Pclass"), 4), /must be one of 1, 2, 3/);
  assert.throws(() => parseNumber(field("Pclass"), null), /"Pclass": is required/);
  assert.throws(() => parseNumber(field("Fare"), "Infinity"), /expected a number/);
});

Deno.test("strings: trimmed, missing is empty, categories checked", () => {
  assert.equal(parseString(field("Sex"), " female "), "female");
  assert.equal(parseString(field("Embarked"), null), "");
  assert.equal(parseString(field("Ticket"), 113803), "113803");
  assert.throws(() => parseString(field("Sex"), "M"), /"Sex": must be one of "male", "female"/);
  assert.throws(() => parseString(field("Sex"), ""), /is required/);
  assert.throws(() => parseString(field("Name"), { a: 1 }), /expected a string/);
});

Deno.test("records: the error carries the record index and field", () => {
  const columns = columnsFromRecords([
    { Pclass: 1, Sex: "female", Age: "38", Extra: "ignored" },
    { Pclass: "3", Sex: "male" },
  ]);
  assert.equal(columns.length, 2);
  assert.deepEqual(Array.from(columns.numbers.Pclass), [1, 3]);
  assert.ok(Number.isNaN(columns.numbers.Age[1]));
  assert.equal(columns.strings.Cabin[0], "");
  try {
    columnsFromRecords([{ Pclass: 1, Sex: "male" }, { Pclass: 2, Sex: "male", Fare: "x" }]);
    assert.fail("expected an error");
  } catch (err) {
    assert.ok(err instanceof FieldError);
    assert.equal(err.record, 1);
    assert.equal(err.field, "Fare");
  }
  assert.throws(() => columnsFromRecords([[1, 2]]), /record 0: field "\(record\)"/);
});

Deno.test("rows: any column order, unknown columns ignored, required columns enforced", () => {
  const columns = columnsFromRows(["Sex", "Junk", "Pclass"], [["male", "?", "2"]]);
  assert.equal(columns.numbers.Pclass[0], 2);
  assert.throws(() => columnsFromRows(["Sex"], [["male"]]), /"Pclass": is a required column/);
});

Deno.test("model inputs: numbers as float32 with NaN, strings with empty for missing", () => {
  const inputs = encodeInputs(
    columnsFromRecords([{ Pclass: 1, Sex: "male", Name: "Smith, Dr. John", Age: 40.5 }, {
      Pclass: 3,
      Sex: "female",
    }]),
    ["Name", "Cabin", "Age", "Pclass"],
  );
  assert.deepEqual(inputs.Name, ["Smith, Dr. John", ""]);
  assert.deepEqual(inputs.Cabin, ["", ""]);
  assert.ok(
    inputs.Age instanceof Float32Array && inputs.Age[0] === 40.5 && Number.isNaN(inputs.Age[1]),
  );
  assert.deepEqual(Array.from(inputs.Pclass as Float32Array), [1, 3]);
  assert.throws(
    () => encodeInputs(columnsFromRecords([]), ["Title"]),
    /unknown model input "Title"/,
  );
});

Deno.test("plain decimals: the same value as Number() wherever the numeric grammar accepts the text", () => {
  const grammar = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/; // the one parseNumber checks
  let seed = 16;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = "0123456789012345678901234567890123456789..+-e ";
  let plain = 0;
  for (let n = 0; n < 200_000; n++) {
    let text = "";
    const length = 1 + Math.floor(next() * 20);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
    const value = plainDecimal(text);
    if (value === undefined) continue;
    plain++;
    assert.ok(grammar.test(text), text);
    assert.ok(Object.is(value, Number(text)), `${text}: ${value} vs ${Number(text)}`);
  }
  assert.ok(plain > 10_000, `${plain} plain decimals generated`);
  for (const text of ["7.25", "-0", "+1", ".5", "5.", "007", "999999999999999", "71.2833"]) {
    assert.ok(Object.is(plainDecimal(text), Number(text)), text);
  }
  for (const text of ["", ".", "+", "1e5", "1.2.3", "9999999999999999", " 1", "0x1"]) {
    assert.equal(plainDecimal(text), undefined, text);
  }
});
