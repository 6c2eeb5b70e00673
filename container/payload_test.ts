/** The media types of requests and answers: Content-Type and charset, Accept and its q values. */
import assert from "node:assert/strict";
import {
  type MediaType,
  parseBatch,
  parseBody,
  RequestError,
  requestType,
  responseType,
} from "./payload.ts";

const refused = (fn: () => unknown, status: number, code: string) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RequestError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    return true;
  });

Deno.test("payload: Accept is negotiated as RFC 9110 says: the most specific range's q, ties to the first named", () => {
  const cases: [string | null, string][] = [
    [null, "application/json"],
    ["", "application/json"],
    ["*/*", "application/json"],
    ["text/csv", "text/csv"],
    ["application/csv", "text/csv"],
    ["text/*", "text/csv"],
    ["application/*", "application/json"],
    ["application/x-ndjson", "application/jsonlines"],
    ["text/csv, application/json", "text/csv"],
    ["application/json, text/csv", "application/json"],
    ["text/csv;q=0.5, application/json", "application/json"],
    ["text/html;q=0.9, application/json;q=0.8", "application/json"],
    // The most specific range decides: JSON is refused, so any other type is taken.
    ["*/*, application/json;q=0", "text/csv"],
    ["application/*, application/json;q=0", "application/jsonlines"],
    ["*/*;q=0.1, text/csv;q=0.2", "text/csv"],
    ["text/csv;q=0.2, */*;q=0.1", "text/csv"],
    // A q that is not a q value is ignored (the range counts as q=1), not a reason to refuse.
    ["text/csv;q=abc", "text/csv"],
    ["text/csv;q=2, application/json;q=0.9", "text/csv"],
    ["text/csv; charset=utf-8", "text/csv"],
    ["TEXT/CSV;Q=0.5, Application/JSON;q=0.4", "text/csv"],
    [" , text/csv", "text/csv"],
  ];
  for (const [accept, type] of cases) assert.equal(responseType(accept), type, String(accept));
  for (const accept of ["text/html", "application/json;q=0", "*/*;q=0", "image/*"]) {
    refused(() => responseType(accept), 406, "not_acceptable");
  }
});

Deno.test("payload: a body must be UTF-8: another declared charset is 415, not a decoding error later", () => {
  for (
    const header of [
      "application/json",
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      'text/csv; charset="utf-8"',
      "text/csv; charset=us-ascii",
      "application/jsonlines; charset=utf8",
    ]
  ) {
    assert.ok(requestType(header), header);
  }
  refused(() => requestType("text/csv; charset=iso-8859-1"), 415, "unsupported_charset");
  // Two charsets: any but UTF-8 among them is refused, whatever the order.
  refused(() => requestType("text/csv; charset=utf-8; charset=latin1"), 415, "unsupported_charset");
  refused(() => requestType("text/csv; charset=latin1; charset=utf-8"), 415, "unsupported_charset");
  // A header given twice arrives joined: the same value is taken, two values are refused.
  assert.equal(requestType("application/json, application/json"), "application/json");
  refused(() => requestType("application/json, text/csv"), 400, "invalid_content_type");
  refused(() => requestType("application/json; charset=utf-16"), 415, "unsupported_charset");
  refused(() => requestType("text/plain"), 415, "unsupported_media_type");
  refused(() => requestType(null), 415, "unsupported_media_type");
});

const INPUTS = ["Name", "Sex", "Pclass", "Fare", "Embarked"];

/** The error a body gets from both readers (every field, and the model's inputs). */
function bodyError(text: string, type: MediaType): RequestError {
  const errors = [() => parseBody(text, type), () => parseBatch(text, type, INPUTS)].map((read) => {
    try {
      read();
    } catch (err) {
      if (err instanceof RequestError) return err;
      throw err;
    }
    assert.fail(`${type} ${text.slice(0, 80)}: taken`);
  });
  assert.deepEqual(errors[1].body(), errors[0].body());
  return errors[0];
}

Deno.test("payload: bodies whose records would be read wrongly are refused, naming the record or field", () => {
  const one = '{"Pclass": 1, "Sex": "female"}';
  const cases: [string, MediaType, Record<string, unknown>][] = [
    [`{"instances": [${one}], "inputs": [${one}]}`, "application/json", {
      error: "invalid_payload",
    }],
    [
      '{"dataframe_split": {"columns": ["Pclass", "Sex"], "data": [[1, "male"], [2]]}}',
      "application/json",
      { error: "invalid_payload", record: 1 },
    ],
    [
      '{"dataframe_split": {"columns": ["Pclass", "Sex", "Sex"], "data": [[1, "male", "female"]]}}',
      "application/json",
      { error: "invalid_payload", field: "Sex" },
    ],
    ["Pclass,Sex,Sex\n1,male,female\n", "text/csv", { error: "malformed_csv", field: "Sex" }],
    ["Pclass,Sex\n1,male\n2,female,3\n", "text/csv", { error: "malformed_csv", record: 1 }],
    // Above 2^53 the identifier echoed back would be another number.
    ['{"PassengerId": 9007199254740993, "Pclass": 1, "Sex": "male"}', "application/json", {
      error: "invalid_field",
      field: "PassengerId",
    }],
    ["PassengerId,Pclass,Sex\n9007199254740993,1,male\n", "text/csv", {
      error: "invalid_field",
      field: "PassengerId",
    }],
  ];
  for (const [text, type, want] of cases) {
    const got = bodyError(text, type).body();
    for (const [key, value] of Object.entries(want)) assert.equal(got[key], value, text);
    assert.equal(typeof got.message, "string");
  }
  // What stays valid: short rows (missing values), repeated columns no field reads, 2^53 - 1.
  for (
    const [text, type] of [
      ["Pclass,Sex,Age\n1,male\n", "text/csv"],
      ["Pclass,Sex,,\n1,male,,\n", "text/csv"],
      ["PassengerId,Pclass,Sex\n9007199254740991,1,male\n", "text/csv"],
      [`{"instances": [${one}]}`, "application/json"],
    ] as [string, MediaType][]
  ) {
    assert.equal(parseBody(text, type).length, 1, text);
    assert.equal(parseBatch(text, type, INPUTS).length, 1, text);
  }
});

Deno.test("payload: a CSV error names the data row as its record and the line an editor shows", () => {
  const cases: [string, number, RegExp][] = [
    // Under a header the first data row is record 0.
    ['Pclass,Sex\n3,"ma"le"\n', 0, /^CSV line 2: unexpected character after a closing quote/],
    ['Pclass,Sex\n3,male\n"open\n', 1, /^CSV line 3: a quoted field is never closed/],
    ['Pclass,Sex\n3,male\n1,fe"male\n', 1, /^CSV line 3: a quote inside an unquoted field/],
    // Without one the first row is.
    ['3,"ma"le"\n', 0, /^CSV line 1:/],
    // Blank lines and a quoted line break count as lines, not as rows.
    ["Pclass,Sex\n3,male\n\n1,female\n2,male,x\n", 2, /^line 5 has 3 fields; the header names 2/],
    ['Pclass,Sex,Name\n3,male,"A,\nB"\n1,female,C,x\n', 1, /^line 4 has 4 fields/],
    [
      '\n\n1,0,3,"Braund, Mr. Owen",male,22,1,0,A/5,7.25,,S\n2,1,1\n',
      1,
      /^line 4 has 3 fields, expected 12/,
    ],
  ];
  for (const [text, record, message] of cases) {
    const err = bodyError(text, "text/csv");
    assert.equal(err.code, "malformed_csv", text);
    assert.equal(err.record, record, text);
    assert.match(err.message, message, text);
  }
});
