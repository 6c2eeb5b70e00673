import assert from "node:assert/strict";
import { CsvError, csvField, parseCsv } from "./csv.ts";

Deno.test("csv: quotes, doubled quotes, CRLF, blank lines, empty fields", () => {
  assert.deepEqual(parseCsv('a,b,c\n1,"Braund, Mr. ""Owen""",\r\n\n2,,x\n'), [
    ["a", "b", "c"],
    ["1", 'Braund, Mr. "Owen"', ""],
    ["2", "", "x"],
  ]);
  assert.deepEqual(parseCsv('"multi\nline",2'), [["multi\nline", "2"]]);
  assert.deepEqual(parseCsv(""), []);
  assert.deepEqual(parseCsv(",\n"), [["", ""]]);
});

Deno.test("csv: malformed bodies name the line", () => {
  assert.throws(() => parseCsv('a\n"open,1\n'), (e) => e instanceof CsvError && e.line === 2);
  assert.throws(() => parseCsv('1,"x"y\n'), /closing quote/);
  assert.throws(() => parseCsv('1,ab"c\n'), /quote inside an unquoted field/);
});

Deno.test("csv: fields are quoted only when needed", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('a, "b"'), '"a, ""b"""');
  assert.equal(csvField(0.5), "0.5");
});
