/** The SageMaker server, started for real on loopback, through every content type and error. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { columnsFromRecords } from "../src/codec/columns.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import { OnnxModel } from "../src/inference/model.ts";
import { Random } from "../src/learners/random.ts";
import { SHARED_DATA, withTempDir } from "./helpers.ts";
import { invoke, startServer } from "./server_helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const MODEL = join(ROOT, "models", "titanic.onnx");
const example = (name: string) => Deno.readTextFileSync(join(ROOT, "container", "examples", name));

const PASSENGERS = JSON.parse(example("passengers.json")).instances as Record<string, unknown>[];

/** What the model itself says for the example passengers. */
async function expected(records: Record<string, unknown>[]) {
  const model = await OnnxModel.load(MODEL);
  const out = await model.predict(encodeInputs(columnsFromRecords(records), model.inputNames));
  return Array.from(out.labels, (label, i) => ({
    PassengerId: records[i].PassengerId,
    Survived: label,
    probability: Math.round(out.probabilities[i] * 1e6) / 1e6,
  }));
}

Deno.test("server: routes, content types, Accept, errors, logs", async (t) => {
  const server = await startServer();
  const want = await expected(PASSENGERS);
  try {
    await t.step("ping, 404, 405, execution-parameters", async () => {
      const ping = await fetch(`${server.url}/ping`);
      assert.equal(ping.status, 200);
      await ping.body?.cancel();
      const missing = await fetch(`${server.url}/nope`);
      assert.equal(missing.status, 404);
      assert.equal((await missing.json()).error, "not_found");
      const wrong = await fetch(`${server.url}/invocations`);
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get("allow"), "POST");
      assert.equal((await wrong.json()).error, "method_not_allowed");
      // The message says what the Allow header says.
      const posted = await fetch(`${server.url}/execution-parameters`, {
        method: "POST",
        body: "x",
      });
      assert.equal(posted.status, 405);
      assert.equal(posted.headers.get("allow"), "GET, HEAD");
      assert.match((await posted.json()).message, /accepts GET and HEAD only/);
      const params = await fetch(`${server.url}/execution-parameters`);
      assert.deepEqual(await params.json(), {
        MaxConcurrentTransforms: navigator.hardwareConcurrency, // one serving unit per CPU
        BatchStrategy: "MULTI_RECORD",
        MaxPayloadInMB: 6,
      });
    });

    await t.step("every JSON shape gives the model's predictions, in order", async () => {
      const columnar = Object.fromEntries(
        Object.keys(PASSENGERS[0]).map((k) => [k, PASSENGERS.map((p) => p[k])]),
      );
      const columns = Object.keys(PASSENGERS[0]);
      const bodies = [
        example("passengers.json"),
        JSON.stringify(PASSENGERS),
        JSON.stringify({ inputs: PASSENGERS }),
        JSON.stringify({ inputs: columnar }),
        JSON.stringify({ dataframe_records: PASSENGERS }),
        JSON.stringify({
          dataframe_split: { columns, data: PASSENGERS.map((p) => columns.map((c) => p[c])) },
        }),
      ];
      for (const body of bodies) {
        const res = await invoke(server, body);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.type, "application/json");
        assert.deepEqual(JSON.parse(res.text).predictions, want, body.slice(0, 60));
      }
      const single = await invoke(
        server,
        JSON.stringify(PASSENGERS[2]),
        "application/json; charset=utf-8",
      );
      assert.deepEqual(JSON.parse(single.text).predictions, [want[2]]);
      const inputsObject = await invoke(server, JSON.stringify({ inputs: PASSENGERS[1] }));
      assert.deepEqual(JSON.parse(inputsObject.text).predictions, [want[1]]);
      const noId = await invoke(server, JSON.stringify({ Pclass: 1, Sex: "female" }));
      assert.deepEqual(Object.keys(JSON.parse(noId.text).predictions[0]), [
        "Survived",
        "probability",
      ]);
    });

    await t.step(
      "CSV with a header (any order), without one (Batch Transform), JSON lines",
      async () => {
        const header = await invoke(server, example("passengers.csv"), "text/csv; charset=utf-8");
        assert.equal(header.status, 200, header.text);
        assert.deepEqual(JSON.parse(header.text).predictions, want);
        const reordered = await invoke(
          server,
          "Sex,Extra,Pclass,PassengerId\nmale,x,3,892\nfemale,y,3,893\n",
          "text/csv",
        );
        assert.equal(reordered.status, 200, reordered.text);
        assert.equal(JSON.parse(reordered.text).predictions.length, 2);
        const lines = await invoke(server, example("batch-lines.csv"), "text/csv", {
          accept: "text/csv",
        });
        assert.equal(lines.status, 200, lines.text);
        assert.equal(lines.type, "text/csv");
        assert.equal(
          lines.text,
          want.map((w) => `${w.PassengerId},${w.Survived},${w.probability}\n`).join(""),
        );
        const trainRows = (await Deno.readTextFile(join(SHARED_DATA, "train.csv"))).split("\n")
          .slice(1, 6).join("\n");
        const train = await invoke(server, trainRows, "text/csv");
        assert.equal(train.status, 200, train.text);
        assert.equal(JSON.parse(train.text).predictions.length, 5);
        const jsonl = await invoke(server, example("passengers.jsonl"), "application/jsonlines", {
          accept: "application/jsonlines",
        });
        assert.equal(jsonl.status, 200, jsonl.text);
        assert.equal(jsonl.type, "application/jsonlines");
        const jsonlRecords = example("passengers.jsonl").trim().split("\n").map((l) =>
          JSON.parse(l)
        );
        assert.deepEqual(
          jsonl.text.trim().split("\n").map((l) => JSON.parse(l)),
          await expected(jsonlRecords),
        );
      },
    );

    await t.step("Accept: */*, missing, with q-values; 406 otherwise", async () => {
      for (const accept of ["*/*", "application/json", "text/html;q=0.9, application/json"]) {
        const res = await invoke(server, example("passengers.json"), "application/json", {
          accept,
        });
        assert.equal(res.status, 200);
        assert.equal(res.type, "application/json");
      }
      const csv = await invoke(server, example("passengers.json"), "application/json", {
        accept: "text/csv; charset=utf-8",
      });
      assert.equal(csv.type, "text/csv");
      const refused = await invoke(server, example("passengers.json"), "application/json", {
        accept: "text/html",
      });
      assert.equal(refused.status, 406);
      assert.equal(JSON.parse(refused.text).error, "not_acceptable");
    });

    await t.step("bad input: a 4xx naming the record and field", async () => {
      const cases: [string, string, number, Record<string, unknown>][] = [
        ["{not json", "application/json", 400, { error: "malformed_json" }],
        ['"text"', "application/json", 400, { error: "invalid_payload" }],
        ["[]", "application/json", 400, { error: "empty_payload" }],
        ["", "application/json", 400, { error: "empty_payload" }],
        [" \r\n", "application/json", 400, { error: "empty_payload" }],
        ["", "text/csv", 400, { error: "empty_payload" }],
        ["\n", "application/jsonlines", 400, { error: "empty_payload" }],
        ['[{"Pclass":1,"Sex":"male"},{"Pclass":"first","Sex":"male"}]', "application/json", 400, {
          error: "invalid_field",
          record: 1,
          field: "Pclass",
        }],
        ['{"Sex":"female"}', "application/json", 400, {
          error: "invalid_field",
          record: 0,
          field: "Pclass",
        }],
        ['{"Pclass":2,"Sex":"female","Age":-3}', "application/json", 400, { field: "Age" }],
        ['{"Pclass":2,"Sex":"robot"}', "application/json", 400, { field: "Sex" }],
        ['{"Pclass":2,"Sex":"male","SibSp":[1]}', "application/json", 400, { field: "SibSp" }],
        ['{"instances":{"Pclass":1}}', "application/json", 400, { error: "invalid_payload" }],
        ['{"dataframe_split":{"columns":["Pclass"],"data":[[1,2]]}}', "application/json", 400, {
          error: "invalid_payload",
        }],
        ['Pclass,Sex\n1,"male\n', "text/csv", 400, { error: "malformed_csv" }],
        ["1,2,3\n", "text/csv", 400, { error: "malformed_csv" }],
        ["Pclass,Sex\n1\n", "text/csv", 400, { error: "invalid_field" }],
        ["Age\n3\n", "text/csv", 400, { error: "malformed_csv", record: 0 }],
        ['{"Pclass":1,"Sex":"male"}\nnope\n', "application/jsonlines", 400, {
          error: "malformed_json",
          record: 1,
        }],
        ["<x/>", "application/xml", 415, { error: "unsupported_media_type" }],
        ["{}", "", 415, { error: "unsupported_media_type" }],
      ];
      for (const [body, type, status, fields] of cases) {
        const res = await invoke(server, body, type);
        assert.equal(res.status, status, `${body}: ${res.text}`);
        const parsed = JSON.parse(res.text);
        assert.equal(typeof parsed.message, "string");
        for (const [k, v] of Object.entries(fields)) assert.equal(parsed[k], v, `${body}: ${k}`);
      }
      const invalidUtf8 = await invoke(server, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
      assert.equal(invalidUtf8.status, 400);
      // Syntax errors in the project's words (where, not the engine's message).
      const notJson = JSON.parse((await invoke(server, '[{"Pclass": 1, "Sex": male}]')).text);
      assert.equal(
        notJson.message,
        'the body is not JSON: unexpected "m" at character 23 (line 1, column 23)',
      );
      const notLine = await invoke(
        server,
        '{"Pclass":1,"Sex":"male"}\n{"Pclass":',
        "application/jsonlines",
      );
      assert.match(
        JSON.parse(notLine.text).message,
        /^line 2 is not JSON: the JSON ends too early/,
      );
    });

    await t.step("custom attributes are echoed", async () => {
      const res = await invoke(server, example("passengers.json"), "application/json", {
        "X-Amzn-SageMaker-Custom-Attributes": "trace=abc",
      });
      assert.equal(res.headers.get("x-amzn-sagemaker-custom-attributes"), "trace=abc");
    });

    await t.step("logs: one JSON line per request, /ping not logged, a start-up line", async () => {
      await new Promise((r) => setTimeout(r, 50));
      const loaded = server.logs.find((l) => l.message === "model loaded");
      assert.ok(loaded, JSON.stringify(server.logs.slice(0, 3)));
      assert.match(String(loaded.sha256), /^[0-9a-f]{64}$/);
      assert.equal(typeof loaded.load_ms, "number");
      const requests = server.logs.filter((l) => "status" in l);
      assert.ok(requests.length > 30);
      assert.ok(requests.every((l) => l.path !== "/ping"));
      const ok = requests.find((l) => l.status === 200 && l.path === "/invocations")!;
      assert.deepEqual(Object.keys(ok).sort(), [
        "latency_ms",
        "level",
        "method",
        "path",
        "records",
        "status",
      ]);
      assert.equal(ok.records, 3);
    });

    await t.step("start-up memory is released once every unit is warm", async () => {
      const line = await server.startupDone;
      assert.equal(line?.message, "start-up memory released", JSON.stringify(line));
      assert.ok(Number(line.segments) > 0);
      // Linux pages out only pages no other process maps: while other test files run their own
      // deno and onnxruntime at the same time, the drop can be 0 and the re-warming prediction
      // can add a megabyte. The drop itself is measured in container/memory_test.ts, in a
      // process of its own; here the release must run and report both figures.
      assert.ok(
        Number.isFinite(Number(line.rss_mb_before)) && Number.isFinite(Number(line.rss_mb_after)),
        JSON.stringify(line),
      );
    });

    await t.step("memory used by a burst is released once the server is idle", async () => {
      const big = JSON.stringify(
        Array.from({ length: 1000 }, (_, i) => ({ ...PASSENGERS[i % 3], PassengerId: i })),
      );
      for (let round = 0; round < 6; round++) {
        const answers = await Promise.all(Array.from({ length: 8 }, () => invoke(server, big)));
        assert.ok(answers.every((a) => a.status === 200));
      }
      const released = await server.logged((l) => l.message === "idle: memory released", 5);
      assert.equal(typeof released.rss_mb, "number");
    });
  } finally {
    await server.stop();
  }
  assert.equal((await server.exited).code, 0);
});

Deno.test("server: payloads above SAGEMAKER_MAX_PAYLOAD_IN_MB get 413, and serving goes on", async () => {
  const server = await startServer([], { SAGEMAKER_MAX_PAYLOAD_IN_MB: "1" });
  try {
    const params = await fetch(`${server.url}/execution-parameters`);
    assert.equal((await params.json()).MaxPayloadInMB, 1);
    const big = JSON.stringify(Array.from({ length: 9000 }, () => PASSENGERS[0]));
    assert.ok(big.length > 1024 * 1024, `${big.length} bytes`);
    const res = await invoke(server, big);
    assert.equal(res.status, 413);
    assert.equal(JSON.parse(res.text).error, "payload_too_large");
    const chunked = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob([big]).stream(),
    });
    assert.equal(chunked.status, 413);
    await chunked.body?.cancel();
    assert.equal((await invoke(server, example("passengers.json"))).status, 200);
  } finally {
    await server.stop();
  }
});

Deno.test("server: a body that stops arriving gets 408 after SAGEMAKER_MODEL_SERVER_TIMEOUT", async () => {
  const server = await startServer([], { SAGEMAKER_MODEL_SERVER_TIMEOUT: "0.3" });
  try {
    let upload!: ReadableStreamDefaultController<Uint8Array>;
    const stalled = new ReadableStream<Uint8Array>({ start: (c) => (upload = c) });
    upload.enqueue(new TextEncoder().encode('[{"Pclass": 1, "Sex": "fem'));
    const res = await fetch(`${server.url}/invocations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stalled,
    });
    assert.equal(res.status, 408);
    assert.equal((await res.json()).error, "request_timeout");
    try {
      upload.close();
    } catch { /* cancelled already: the server closed the connection with its 408 */ }
    // The server goes on serving, and a whole body is not affected by the timeout.
    assert.equal((await invoke(server, example("passengers.json"))).status, 200);
    const logged = await server.logged((l) => l.status === 408);
    assert.equal(logged.error, "request_timeout");
  } finally {
    await server.stop();
  }
});

Deno.test("server: a corrupt or missing model stops the process with a clear message", async () => {
  await withTempDir(async (dir) => {
    const bytes = await Deno.readFile(MODEL);
    bytes[bytes.length - 10] ^= 0xff;
    await Deno.writeFile(join(dir, "titanic.onnx"), bytes);
    await Deno.copyFile(join(ROOT, "models", "titanic.json"), join(dir, "titanic.json"));
    for (
      const args of [["--model", join(dir, "titanic.onnx")], ["--model", join(dir, "none.onnx")]]
    ) {
      const server = await startServer(args, {}, { waitReady: false });
      const status = await server.exited;
      assert.notEqual(status.code, 0);
      const fatal = server.logs.find((l) => l.level === "fatal");
      assert.ok(fatal, JSON.stringify(server.logs));
      assert.match(String(fatal.message), /cannot serve .*(SHA-256|cannot read model card)/);
    }
    // The SageMaker model directory is preferred over the baked-in model. (And the start-up
    // memory release can be turned off.)
    await Deno.copyFile(MODEL, join(dir, "titanic.onnx"));
    const server = await startServer([], { MODEL_DIR: dir, RELEASE_STARTUP_MEMORY: "0" });
    try {
      const loaded = server.logs.find((l) => l.message === "model loaded")!;
      assert.equal(loaded.model, join(dir, "titanic.onnx"));
      const kept = await server.startupDone;
      assert.equal(kept?.message, "start-up memory kept: RELEASE_STARTUP_MEMORY=0");
    } finally {
      await server.stop();
    }
  });
});

Deno.test("server: SIGTERM drains requests in flight, even bodies still uploading, then exits 0", async () => {
  const server = await startServer();
  const big = JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => ({ ...PASSENGERS[i % 3], PassengerId: i })),
  );
  // One request whose body is still uploading when the signal comes.
  const encoder = new TextEncoder();
  let upload!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (upload = c) });
  upload.enqueue(encoder.encode(big.slice(0, 1000)));
  const slow = fetch(`${server.url}/invocations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  }).then(async (r) => ({ status: r.status, text: await r.text() }));
  // And a burst of whole requests.
  const burst = Array.from({ length: 8 }, () => invoke(server, big));
  await new Promise((r) => setTimeout(r, 300)); // the slow request's handler is waiting for its body
  server.process.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 100));
  upload.enqueue(encoder.encode(big.slice(1000)));
  upload.close();

  const drained = await slow;
  assert.equal(drained.status, 200, drained.text);
  assert.equal(JSON.parse(drained.text).predictions.length, 2000);
  const results = await Promise.all(
    burst.map((p) => p.catch((e) => ({ status: 0, text: String(e) }))),
  );
  assert.equal((await server.exited).code, 0);
  // Every other request was either answered in full, told the server is shutting down (503),
  // or never reached it (connection closed); none failed half-way.
  for (const r of results) {
    if (r.status === 200) assert.equal(JSON.parse(r.text).predictions.length, 2000);
    else {
      assert.ok(
        r.status === 0 || (r.status === 503 && JSON.parse(r.text).error === "shutting_down"),
        `${r.status}: ${r.text.slice(0, 200)}`,
      );
    }
  }
  const invocations = server.logs.filter((l) => l.path === "/invocations");
  assert.ok(invocations.every((l) => l.status === 200), JSON.stringify(invocations));
  assert.ok(server.logs.some((l) => l.message === "stopped"));
});

Deno.test("server fuzz: random and mutated bodies only ever get 2xx or 4xx", async () => {
  const server = await startServer();
  const random = new Random(2024);
  const seeds = [
    example("passengers.json"),
    example("passengers.csv"),
    example("batch-lines.csv"),
    example("passengers.jsonl"),
  ];
  const types = [
    "application/json",
    "text/csv",
    "application/jsonlines",
    "text/csv; charset=utf-8",
  ];
  const alphabet = '{}[]",:\n\r 0123456789.-eEnulltruefalseNaN\\\u00e9\u{1F600}abcPclassSex';
  const mutate = (text: string) => {
    const chars = [...text];
    const edits = 1 + random.nextInt(8);
    for (let e = 0; e < edits; e++) {
      const at = random.nextInt(chars.length + 1);
      const op = random.nextInt(3);
      const c = alphabet[random.nextInt(alphabet.length)];
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    return chars.join("");
  };
  try {
    const counts: Record<number, number> = {};
    for (let i = 0; i < 2000; i++) {
      const base = seeds[random.nextInt(seeds.length)];
      const body = random.nextInt(10) === 0
        ? Array.from(
          { length: random.nextInt(200) },
          () => alphabet[random.nextInt(alphabet.length)],
        ).join("")
        : mutate(base);
      const res = await invoke(server, body, types[random.nextInt(types.length)]);
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      assert.ok(res.status < 500, `status ${res.status} for ${JSON.stringify(body)}: ${res.text}`);
      if (res.status >= 400) assert.equal(typeof JSON.parse(res.text).message, "string");
    }
    assert.ok((counts[200] ?? 0) > 100 && (counts[400] ?? 0) > 100, JSON.stringify(counts));
    const ping = await fetch(`${server.url}/ping`);
    assert.equal(ping.status, 200);
    await ping.body?.cancel();
  } finally {
    await server.stop();
  }
});
