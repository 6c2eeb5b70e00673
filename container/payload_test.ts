/** The media types of requests and answers: Content-Type and charset, Accept and its q values. */
import assert from "node:assert/strict";
import { RequestError, requestType, responseType } from "./payload.ts";

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
  refused(() => requestType("application/json; charset=utf-16"), 415, "unsupported_charset");
  refused(() => requestType("text/plain"), 415, "unsupported_media_type");
  refused(() => requestType(null), 415, "unsupported_media_type");
});
