/**
 * The server's parse straight into the model's inputs (payload.ts `parseBatch`) against two
 * references: the previous path (raw columns of every field, then `encodeInputs`), on generated
 * and mutated bodies of every media type and shape, valid and invalid; and, for lists of
 * records, a plain loop over JSON.parse's objects that checks each value with values.ts. Then
 * every row of train.csv and test.csv, read as training reads them (polars), through each
 * media type.
 * @module
 */

import assert from "node:assert/strict";
import { csvField } from "../src/codec/csv.ts";
import { encodeInputs, INPUT_CATALOGUE } from "../src/codec/inputs.ts";
import { PASSENGER_FIELDS } from "../src/codec/schema.ts";
import { FieldError, parseValue } from "../src/codec/values.ts";
import { decodePieces, firstInvalidByte, PIECE_BYTES } from "../container/body_pieces.ts";
import {
  listFromPieces,
  type MediaType,
  parseBatch,
  parseBatchPieces,
  parseBody,
  RequestError,
} from "../container/payload.ts";
import { dataset } from "./helpers.ts";

/** Every raw field as a graph input, so that every column is compared. */
const ALL_INPUTS = Object.keys(INPUT_CATALOGUE);
/** The committed model's inputs (a subset: fields outside it are checked, not kept). */
const MODEL_INPUTS = ["Name", "Sex", "Pclass", "Fare", "Embarked"];
/** Inputs without the checked string fields (Sex, Embarked): they are checked, not kept. */
const NUMBER_INPUTS = ["Pclass", "Age"];
/** One of the input sets, at random. */
const someInputs = (r: Random) => r.pick([ALL_INPUTS, ALL_INPUTS, MODEL_INPUTS, NUMBER_INPUTS]);
const NAMES = PASSENGER_FIELDS.map((f) => f.name);

type Outcome =
  | { ok: { length: number; ids: number[]; inputs: Record<string, unknown[]> } }
  | { error: Record<string, unknown> };

function outcome(parse: () => { length: number; ids: Float64Array; inputs: object }): Outcome {
  try {
    const { length, ids, inputs } = parse();
    return {
      ok: {
        length,
        ids: [...ids],
        inputs: Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [k, [...(v as ArrayLike<unknown>) as unknown[]]]),
        ),
      },
    };
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    return { error: { status: err.status, ...err.body() } };
  }
}

/** The previous path: raw columns of every field, then the model's encoding. */
const previous = (text: string, type: MediaType, names: readonly string[]) =>
  outcome(() => {
    const columns = parseBody(text, type);
    return {
      length: columns.length,
      ids: columns.numbers.PassengerId,
      inputs: encodeInputs(columns, names),
    };
  });

const current = (text: string, type: MediaType, names: readonly string[]) =>
  outcome(() => parseBatch(text, type, names));

/** A seeded generator (mulberry32): the same bodies on every run. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}
type Random = ReturnType<typeof random>;

const { train, test } = await dataset();

/** Passengers as JSON records: numbers as numbers, missing values left out. */
function recordsOf(columns: typeof train.columns): Record<string, unknown>[] {
  return Array.from({ length: columns.length }, (_, i) => {
    const record: Record<string, unknown> = {};
    for (const field of PASSENGER_FIELDS) {
      const v = field.kind === "string"
        ? columns.strings[field.name][i]
        : columns.numbers[field.name][i];
      if (v !== "" && !Number.isNaN(v)) record[field.name] = v;
    }
    return record;
  });
}
const PASSENGERS = [...recordsOf(test.columns), ...recordsOf(train.columns)];

/** Values that are valid for some fields and not others, or spelled unusually. */
const ODD_VALUES: unknown[] = [
  null,
  "",
  "  ",
  "3",
  " 2 ",
  "3.0",
  "+1",
  "1e1",
  ".5",
  "5.",
  "-0",
  -0,
  0,
  1.5,
  -1,
  4,
  151,
  100001,
  12345678901234567890,
  "abc",
  "1,5",
  true,
  false,
  {},
  [],
  [1],
  { Pclass: 1 },
  "male",
  "Male",
  " female ",
  "S",
  "s",
  " Q ",
  "Smith, Mr. John",
  "Müller, Frau. Ünal \u2028",
  'a"quote\\back\nline',
];

/** A passenger, sometimes with a field removed, replaced by an odd value, or an extra key. */
function passenger(r: Random, oddness: number): Record<string, unknown> {
  const record: Record<string, unknown> = { ...r.pick(PASSENGERS) };
  if (r.next() < oddness) {
    const name = r.pick(NAMES);
    if (r.next() < 0.3) delete record[name];
    else record[name] = r.pick(ODD_VALUES);
  }
  if (r.next() < 0.1) record[r.pick(["Survived", "extra", "pclass"])] = r.pick(ODD_VALUES);
  return record;
}

/** JSON text of `value`, with an occasional number spelled as JSON allows but JSON.stringify never does. */
const jsonText = (value: unknown) =>
  JSON.stringify(value).replace(
    /"Age":(\d+)([,}])/g,
    (m, n, end) => n.length % 3 === 0 ? `"Age":${n}.0e0${end}` : m,
  );

/** A JSON body of one of the shapes payload.ts accepts (and sometimes one it refuses). */
function jsonBody(r: Random, list: Record<string, unknown>[]): string {
  const shape = r.int(10);
  if (shape === 0) return jsonText(list);
  if (shape === 1) return jsonText({ instances: list });
  if (shape === 2) return jsonText({ dataframe_records: list });
  if (shape === 3) return jsonText({ inputs: list });
  if (shape === 4) return jsonText(list[0]); // one record
  if (shape === 5) return jsonText({ inputs: list[0] });
  const columns = r.next() < 0.8 ? NAMES.filter(() => r.next() < 0.8) : [...NAMES, "Pclass"];
  if (!columns.includes("Pclass") && r.next() < 0.8) columns.push("Pclass", "Sex");
  if (shape === 6 || shape === 7) {
    const data = list.map((p) => columns.map((c) => p[c] ?? null));
    if (r.next() < 0.05) data.push([1]); // a short row
    return jsonText({ dataframe_split: { columns, index: list.map((_, i) => i), data } });
  }
  if (shape === 8) {
    const inputs = Object.fromEntries(columns.map((c) => [c, list.map((p) => p[c] ?? null)]));
    if (r.next() < 0.05) inputs.Extra = [1];
    return jsonText({ inputs });
  }
  return r.pick([`{"instances": 3}`, `{"dataframe_split": {"columns": [1]}}`, `"x"`, `{}`, `[]`]);
}

const cell = (v: unknown) =>
  v === undefined || v === null
    ? ""
    : csvField(typeof v === "object" ? JSON.stringify(v) : String(v));

/**
 * A CSV cell as a writer might spell it: sometimes quoted when it need not be, or with white
 * space around it (which the number and string checks trim).
 */
function oddCell(r: Random, v: unknown): string {
  const text = cell(v);
  const spelling = r.next();
  if (spelling < 0.04) return `"${text.replaceAll('"', '""')}"`;
  if (text.startsWith('"')) return text; // white space outside quotes is malformed
  if (spelling < 0.08) return r.pick([" ", "\t", "\u00a0", "\u2028"]) + text;
  if (spelling < 0.12) return text + r.pick([" ", "\t", "\u00a0", "\ufeff"]);
  return text;
}

/** A CSV body: a header row (any column order, extra columns) or Kaggle's order without one. */
function csvBody(r: Random, list: Record<string, unknown>[]): string {
  const cell = (v: unknown) => oddCell(r, v);
  const style = r.int(3);
  const end = r.pick(["\n", "\r\n"]);
  if (style === 0) {
    const header = NAMES.filter(() => r.next() < 0.85);
    if (!header.includes("Sex")) header.push("Sex", "Pclass");
    header.sort(() => r.next() - 0.5);
    if (r.next() < 0.2) header.push("Extra");
    const lines = list.map((p) => header.map((c) => cell(p[c])).join(","));
    return [header.map((h) => (r.next() < 0.1 ? ` ${h} ` : h)).join(","), ...lines].join(end) +
      end;
  }
  const columns = style === 1 ? NAMES : [NAMES[0], "Survived", ...NAMES.slice(1)];
  const lines = list.map((p) =>
    columns.map((c) => cell(c === "Survived" ? r.int(2) : p[c])).join(",")
  );
  if (r.next() < 0.05) lines.push("1,2");
  return lines.join(end) + (r.next() < 0.5 ? end : "");
}

const jsonLinesBody = (r: Random, list: Record<string, unknown>[]) =>
  list.map((p) => (r.next() < 0.03 ? r.pick([" ", "[1]", "3"]) : jsonText(p))).join(
    r.pick(["\n", "\r\n", "\n\n"]),
  ) + r.pick(["", "\n"]);

/** A random edit of a body: a character removed, added or swapped, or the body cut short. */
function mutate(r: Random, text: string): string {
  const at = r.int(text.length + 1);
  const c = r.pick([...'{}[],:"\\\n\r 0-.e', "nul", "tru", "\u00a0"]);
  const edit = r.int(4);
  if (edit === 0) return text.slice(0, at) + text.slice(at + 1);
  if (edit === 1) return text.slice(0, at) + c + text.slice(at);
  if (edit === 2) return text.slice(0, at) + c + text.slice(at + 1);
  return text.slice(0, at);
}

const BODIES: Record<MediaType, (r: Random, list: Record<string, unknown>[]) => string> = {
  "application/json": jsonBody,
  "text/csv": csvBody,
  "application/jsonlines": jsonLinesBody,
};

for (const [type, make] of Object.entries(BODIES) as [MediaType, typeof jsonBody][]) {
  Deno.test(`parseBatch: ${type}, generated and mutated bodies, same as the previous path`, () => {
    const r = random(16 + type.length);
    const seen = { ok: 0, error: 0, codes: new Set<string>() };
    for (let n = 0; n < 1500; n++) {
      const list = Array.from({ length: 1 + r.int(12) }, () => passenger(r, 0.05));
      let text = make(r, list);
      if (r.next() < 0.25) text = mutate(r, text);
      const names = someInputs(r);
      const want = previous(text, type, names);
      assert.deepEqual(current(text, type, names), want, `${type} body: ${text.slice(0, 300)}`);
      if ("ok" in want) seen.ok++;
      else {
        seen.error++;
        seen.codes.add(String(want.error.error));
      }
    }
    // Both kinds of outcome, and more than one kind of error, were exercised.
    assert.ok(seen.ok > 300 && seen.error > 100, JSON.stringify(seen));
    assert.ok(seen.codes.has("invalid_field") && seen.codes.size > 1, [...seen.codes].join());
    console.log(type, seen.ok, "answered,", seen.error, "refused:", [...seen.codes].join(", "));
  });
}

/** The 400 the server gives for `e`. */
const refused = (e: FieldError): Outcome => ({
  error: {
    status: 400,
    error: "invalid_field",
    message: e.message,
    record: e.record,
    field: e.field,
  },
});

/** A plain reading of a list of records: each value of each record through values.ts. */
function plainReading(list: unknown[]): Outcome {
  const columns: Record<string, unknown[]> = Object.fromEntries(NAMES.map((n) => [n, []]));
  for (let i = 0; i < list.length; i++) {
    const record = list[i];
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      return refused(new FieldError("(record)", "expected an object with passenger fields", i));
    }
    for (const field of PASSENGER_FIELDS) {
      try {
        columns[field.name].push(
          parseValue(field, (record as Record<string, unknown>)[field.name]),
        );
      } catch (err) {
        return refused(new FieldError(field.name, (err as FieldError).problem, i));
      }
    }
  }
  const f32 = (values: unknown[]) => values.map((v) => Math.fround(v as number));
  return {
    ok: {
      length: list.length,
      ids: columns.PassengerId as number[],
      inputs: Object.fromEntries(
        ALL_INPUTS.map((name) => [
          name,
          INPUT_CATALOGUE[name].type === "float32" ? f32(columns[name]) : columns[name],
        ]),
      ),
    },
  };
}

Deno.test("parseBatch: lists of records agree with a plain loop over JSON.parse's objects", () => {
  const r = random(1916);
  let errors = 0;
  for (let n = 0; n < 3000; n++) {
    const list: unknown[] = Array.from({ length: 1 + r.int(8) }, () => passenger(r, 0.15));
    if (r.next() < 0.02) list.splice(r.int(list.length), 0, r.pick([1, "x", null, [], [{}]]));
    const text = JSON.stringify(list);
    const want = plainReading(JSON.parse(text));
    assert.deepEqual(current(text, "application/json", ALL_INPUTS), want, text.slice(0, 300));
    if ("error" in want) errors++;
  }
  assert.ok(errors > 200, `${errors} bodies with a bad value`);
});

Deno.test("parseBatch: every row of train.csv and test.csv, each media type, as training encodes it", async () => {
  const dir = Deno.env.get("TITANIC_DATA_DIR") ?? "data/raw";
  for (const [file, data] of [["train.csv", train], ["test.csv", test]] as const) {
    const expected = encodeInputs(data.columns, ALL_INPUTS);
    const ids = [...data.columns.numbers.PassengerId];
    const csv = await Deno.readTextFile(`${dir}/${file}`);
    const [header, ...lines] = csv.split(/\r?\n/).filter((l) => l !== "");
    const records = recordsOf(data.columns);
    const names = header.split(",");
    const rows = records.map((p) => names.map((c) => p[c] ?? null));
    const bodies: [MediaType, string][] = [
      ["text/csv", csv], // the file as it is, header row included
      ["text/csv", lines.join("\n")], // Kaggle's order without a header
      ["application/json", JSON.stringify(records)],
      ["application/json", JSON.stringify({ instances: records })],
      ["application/json", JSON.stringify({ dataframe_split: { columns: names, data: rows } })],
      ["application/jsonlines", records.map((p) => JSON.stringify(p)).join("\n")],
    ];
    for (const [type, body] of bodies) {
      const batch = parseBatch(body, type, ALL_INPUTS);
      assert.equal(batch.length, data.columns.length, `${file} as ${type}`);
      assert.deepEqual([...batch.ids], ids, `${file} as ${type}: PassengerId`);
      for (const name of ALL_INPUTS) {
        assert.deepEqual(batch.inputs[name], expected[name], `${file} as ${type}: ${name}`);
      }
    }
  }
});

/** A body cut in pieces (body_pieces.ts) and parsed piece by piece, as the scoring Worker does. */
const inPieces = (bytes: Uint8Array, type: MediaType, names: readonly string[], size: number) =>
  outcome(() => parseBatchPieces(decodePieces(bytes, type, size), type, names));

/** Text inside a record that looks like the place between two records, or a list of them. */
const LOOKALIKES = ['},{"Pclass":1', "}, {", "},\n{", '"},{"', "}]", "\n", "{},{}", "\ufeff"];

/** A record with a lookalike in a string, or a list of objects as a value. */
function hostile(r: Random, record: Record<string, unknown>): Record<string, unknown> {
  const odd = { ...record };
  const pick = r.int(4);
  if (pick === 0) odd.Name = `${odd.Name ?? ""}${r.pick(LOOKALIKES)}x`;
  if (pick === 1) odd.extra = [{ a: 1 }, { b: [{}, {}] }];
  if (pick === 2) odd.Ticket = r.pick(LOOKALIKES);
  return odd;
}

for (const type of ["application/json", "application/jsonlines", "text/csv"] as MediaType[]) {
  Deno.test(`decodePieces + parseBatchPieces: ${type}, same batch and same error as the whole text`, () => {
    const r = random(60 + type.length);
    const seen = { cut: 0, ok: 0, error: 0, listsInPieces: 0 };
    for (let n = 0; n < 1500; n++) {
      const tricky = r.next() < 0.4;
      const list = Array.from(
        { length: 1 + r.int(40) },
        () => tricky ? hostile(r, passenger(r, 0.03)) : passenger(r, 0.03),
      );
      // Lists of records are what is cut: most JSON bodies here are one, some pretty-printed.
      const bareList = type === "application/json" && r.next() < 0.6;
      let text = bareList
        ? (r.next() < 0.2 ? JSON.stringify(list, null, r.pick([1, "\t"])) : jsonText(list))
        : BODIES[type](r, list);
      if (r.next() < 0.25) text = mutate(r, text);
      if (r.next() < 0.05) text = "\ufeff" + text;
      const names = someInputs(r);
      const size = 40 + r.int(400);
      const bytes = new TextEncoder().encode(text);
      const pieces = decodePieces(bytes, type, size);
      assert.equal(pieces.join(""), new TextDecoder().decode(bytes), "pieces joined are the text");
      if (pieces.length > 1) seen.cut++;
      for (const piece of pieces.slice(0, -1)) {
        assert.ok(new TextEncoder().encode(piece).length <= size, `a piece over ${size} bytes`);
      }
      const want = current(text.replace(/^\ufeff/, ""), type, names);
      assert.deepEqual(inPieces(bytes, type, names, size), want, `${type}: ${text.slice(0, 300)}`);
      if ("ok" in want) seen.ok++;
      else seen.error++;
      // A list cut in pieces is read piece by piece (not from the whole text again), with what
      // JSON.parse makes of the whole. (A cut inside a string or a nested object makes a piece
      // that is no list: such a body is read from the whole text.)
      const flat = list.every((p) => Object.values(p).every((v) => typeof v !== "object"));
      if (!tricky && flat && bareList && pieces.length > 1 && text === JSON.stringify(list)) {
        assert.deepEqual(listFromPieces(pieces), JSON.parse(text));
        seen.listsInPieces++;
      }
    }
    console.log(type, seen);
    if (type === "text/csv") assert.equal(seen.cut, 0, "CSV is never cut");
    else assert.ok(seen.cut > 500 && seen.ok > 300 && seen.error > 100, JSON.stringify(seen));
    if (type === "application/json") assert.ok(seen.listsInPieces > 100, JSON.stringify(seen));
  });
}

Deno.test("decodePieces: bytes that are not UTF-8 are refused as for the whole body", () => {
  const text = JSON.stringify(PASSENGERS.slice(0, 50));
  for (const at of [0, 10, 2000, text.length - 1]) {
    const bytes = new TextEncoder().encode(text);
    const bad = new Uint8Array([...bytes.subarray(0, at), 0xff, ...bytes.subarray(at)]);
    for (const type of ["application/json", "application/jsonlines"] as MediaType[]) {
      assert.throws(
        () => decodePieces(bad, type, 100),
        (err) => err instanceof RequestError && err.code === "invalid_encoding",
      );
    }
  }
});

Deno.test("decodePieces: train.csv and test.csv as JSON and JSON lines, in default-size pieces, as training encodes them", () => {
  for (const data of [train, test]) {
    const records = recordsOf(data.columns);
    const expected = encodeInputs(data.columns, ALL_INPUTS);
    const bodies: [MediaType, string][] = [
      ["application/json", JSON.stringify(records)],
      ["application/json", JSON.stringify(records, null, 2)],
      ["application/jsonlines", records.map((p) => JSON.stringify(p)).join("\n")],
    ];
    for (const [type, body] of bodies) {
      const bytes = new TextEncoder().encode(body);
      const pieces = decodePieces(bytes, type);
      // Cut, and no piece past V8's regular objects (128 KB as UTF-16).
      assert.ok(
        pieces.length >= Math.ceil(bytes.length / PIECE_BYTES),
        `${type}: ${pieces.length}`,
      );
      for (const piece of pieces) assert.ok((piece.length + 2) * 2 < 128 * 1024);
      if (type === "application/json") assert.deepEqual(listFromPieces(pieces), records);
      const batch = parseBatchPieces(pieces, type, ALL_INPUTS);
      assert.deepEqual([...batch.ids], [...data.columns.numbers.PassengerId]);
      for (const name of ALL_INPUTS) assert.deepEqual(batch.inputs[name], expected[name], name);
    }
  }
});

Deno.test("decodePieces: a byte-order mark that begins a later piece stays text, as in the whole body", () => {
  const line = JSON.stringify(PASSENGERS[0]);
  const text = `${line}\n\ufeff${line}\n`;
  const bytes = new TextEncoder().encode(text);
  const pieces = decodePieces(bytes, "application/jsonlines", line.length + 2);
  assert.equal(pieces.length, 2);
  assert.equal(pieces[1][0], "\ufeff");
  const want = current(text, "application/jsonlines", MODEL_INPUTS);
  // Whole, the mark is an unexpected character on line 2 (JSON has no byte-order marks).
  assert.ok("error" in want && String(want.error.message).startsWith("line 2 is not JSON"));
  assert.deepEqual(inPieces(bytes, "application/jsonlines", MODEL_INPUTS, line.length + 2), want);
});

Deno.test("parseBody, parseBatch: a blank body is no records in every media type, not a JSON syntax error", () => {
  const types: MediaType[] = ["application/json", "text/csv", "application/jsonlines"];
  for (const type of types) {
    // A CSV line of spaces is a row of one cell; JSON and JSON lines skip any whitespace.
    const blanks = type === "text/csv" ? ["", "\r\n", "\n\n"] : ["", " ", "\r\n", "\n\n \t"];
    for (const blank of blanks) {
      const what = `${type} ${JSON.stringify(blank)}`;
      assert.equal(parseBody(blank, type).length, 0, what);
      assert.equal(parseBatch(blank, type, MODEL_INPUTS).length, 0, what);
      assert.equal(parseBatchPieces([blank, blank], type, MODEL_INPUTS).length, 0, what);
    }
  }
});

Deno.test("decodePieces: a body that is not UTF-8 is told where, as the WHATWG decoder finds it", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const lossy = new TextDecoder("utf-8", { ignoreBOM: true });
  const r = random(7);
  // Short byte strings weighted to UTF-8's lead and continuation bytes, against the decoder.
  const pick = [
    0x41,
    0x0a,
    0x80,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xed,
    0xef,
    0xf0,
    0xf4,
    0xf5,
    0xff,
  ];
  for (let n = 0; n < 20000; n++) {
    const bytes = Uint8Array.from(
      { length: 1 + r.int(8) },
      () => r.pick(pick),
    );
    const at = firstInvalidByte(bytes);
    let valid = true;
    try {
      fatal.decode(bytes);
    } catch {
      valid = false;
    }
    assert.equal(at === -1, valid, String(bytes));
    if (at >= 0) {
      fatal.decode(bytes.subarray(0, at)); // all before it is UTF-8
      assert.equal(lossy.decode(bytes.subarray(at))[0], "\ufffd", String(bytes));
    }
  }
  // JSON lines: the record it is in; any type: the line.
  const lines = new TextEncoder().encode(
    '{"Pclass": 1, "Sex": "male"}\n\n{"Pclass": 2, "Sex": "fe',
  );
  const body = new Uint8Array([...lines, 0xff, ...new TextEncoder().encode('male"}\n')]);
  assert.throws(() => decodePieces(body, "application/jsonlines"), (err) => {
    assert.ok(err instanceof RequestError);
    assert.equal(err.record, 1);
    assert.match(err.message, new RegExp(`byte ${lines.length} \\(line 3\\)`));
    return true;
  });
});
