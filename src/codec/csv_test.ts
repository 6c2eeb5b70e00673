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

/** The character-at-a-time reader parseCsv replaced (same rows, same errors, same lines). */
function referenceParse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  let fieldStarted = false;
  const endRow = () => {
    if (fieldStarted || row.length > 0 || field !== "") {
      row.push(field);
      rows.push(row);
    }
    row = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          const next = text[i + 1];
          if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
            throw new CsvError(line, "unexpected character after a closing quote");
          }
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== "") throw new CsvError(line, "a quote inside an unquoted field");
      quoted = true;
      quoteLine = line;
      fieldStarted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
    } else {
      field += c;
    }
  }
  if (quoted) throw new CsvError(quoteLine, "a quoted field is never closed");
  endRow();
  return rows;
}

Deno.test("csv: equals the character-at-a-time reader on 50,000 random bodies, errors included", () => {
  const alphabet = ["a", "b", ",", '"', "\n", "\r", " "];
  const outcome = (parse: (t: string) => string[][], text: string) => {
    try {
      return JSON.stringify(parse(text));
    } catch (err) {
      return `${(err as CsvError).line}: ${(err as Error).message}`;
    }
  };
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let k = 0; k < 50_000; k++) {
    let text = "";
    for (let j = Math.floor(random() * 12); j > 0; j--) {
      text += alphabet[Math.floor(random() * alphabet.length)];
    }
    assert.equal(outcome(parseCsv, text), outcome(referenceParse, text), JSON.stringify(text));
  }
});
