import assert from "node:assert/strict";
import { Admission } from "./admission.ts";
import { createHandler } from "./app.ts";
import type { Answer } from "./offload.ts";
import { RequestError } from "./payload.ts";

/** A handler whose scorer keeps the bodies it was given, to look at them after the answer. */
function handlerKeepingBodies() {
  const given: Uint8Array[] = [];
  const answerSmall: Answer = (bytes) => {
    given.push(bytes);
    return Promise.resolve({ body: new TextEncoder().encode("{}"), records: 1, survived: 0 });
  };
  const handler = createHandler({ loaded: true }, { ...baseOptions(), answerSmall });
  return { handler, given };
}

/** The handler's options, with a scorer answering nothing. */
function baseOptions(maxRequests = 4) {
  return {
    maxPayloadBytes: 6 * 1024 * 1024,
    maxConcurrentTransforms: 1,
    bodyTimeoutMs: 60_000,
    bodyMinBytesPerSecond: 1024,
    bodyGraceMs: 10_000,
    admission: new Admission({ maxRequests, maxBodyBytes: 16 * 1024 * 1024 }),
    answerSmall: () => Promise.resolve({ body: new Uint8Array(), records: 0, survived: 0 }),
    log: () => {},
  };
}

const post = (bytes: number, declared: boolean) =>
  new Request("http://127.0.0.1/invocations", {
    method: "POST",
    headers: declared
      ? { "content-type": "application/json", "content-length": String(bytes) }
      : { "content-type": "application/json" },
    body: declared ? new Uint8Array(bytes).fill(32) : ReadableStream.from([
      new Uint8Array(bytes).fill(32),
    ]),
  });

Deno.test("app: a body's memory is freed once it is answered, read whole or as it arrives", async () => {
  const { handler, given } = handlerKeepingBodies();
  // 100 KB declared: read whole; 300 KB declared and undeclared: read chunk by chunk.
  for (const [bytes, declared] of [[100_000, true], [300_000, true], [50_000, false]] as const) {
    const res = await handler(post(bytes, declared));
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
  assert.equal(given.length, 3);
  for (const bytes of given) {
    // Detached: its buffer went back at once, not at the isolate's next collection.
    assert.equal(bytes.buffer.byteLength, 0);
    assert.equal((bytes.buffer as ArrayBuffer).detached, true);
  }
});

Deno.test("app: every 503 says when to retry (loading, unhealthy, overloaded, shutting down)", async () => {
  const options = baseOptions();
  const ping = () => new Request("http://127.0.0.1/ping");
  const answers: [string, Response][] = [];
  const loading = createHandler({ loaded: false }, options);
  answers.push(["loading /ping", await loading(ping())]);
  answers.push(["loading /invocations", await loading(post(10, true))]);
  const unhealthy = createHandler({ loaded: true }, { ...options, health: () => "scorer gone" });
  answers.push(["unhealthy /ping", await unhealthy(ping())]);
  const full = createHandler({ loaded: true }, baseOptions(0));
  answers.push(["overloaded", await full(post(10, true))]);
  const stopping = createHandler({ loaded: true }, options);
  await stopping.drain();
  answers.push(["shutting down", await stopping(post(10, true))]);
  for (const [what, response] of answers) {
    assert.equal(response.status, 503, what);
    assert.equal(response.headers.get("retry-after"), "1", what);
    assert.equal(response.headers.get("content-type"), "application/json", what);
    await response.body?.cancel();
  }
});

Deno.test("app: X-Amzn-SageMaker-Custom-Attributes comes back on errors as on answers", async () => {
  // The scorer refuses every body, as it does a bad record.
  const handler = createHandler({ loaded: true }, {
    ...baseOptions(),
    answerSmall: () => Promise.reject(new RequestError(400, "invalid_field", "no", 0, "Sex")),
  });
  const attributes = "trace=abc-123";
  const ask = (headers: Record<string, string>, body: string) =>
    handler(
      new Request("http://127.0.0.1/invocations", {
        method: "POST",
        headers: { "x-amzn-sagemaker-custom-attributes": attributes, ...headers },
        body,
      }),
    );
  const answers = [
    await ask({ "content-type": "text/plain" }, "x"), // 415
    await ask({ "content-type": "application/json", accept: "image/png" }, "{}"), // 406
    await ask({ "content-type": "application/json" }, "{}"), // 400 from the scorer
    await handler(
      new Request("http://127.0.0.1/nope", {
        headers: { "x-amzn-sagemaker-custom-attributes": attributes },
      }),
    ), // 404
  ];
  for (const answer of answers) {
    assert.ok(answer.status >= 400, String(answer.status));
    assert.equal(answer.headers.get("x-amzn-sagemaker-custom-attributes"), attributes);
    await answer.body?.cancel();
  }
});
