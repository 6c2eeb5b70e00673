/**
 * The server's metrics: one EMF line per /invocations answer, parsed back and checked against
 * the requests sent and the answers received; GET /metrics in Prometheus text format adding up
 * every serving unit; shed requests reported by the counter admission control calls.
 */

import assert from "node:assert/strict";
import { createMetrics, ERROR_KINDS, metricsConfigFromEnv } from "../container/metrics.ts";
import { train } from "../src/train.ts";
import { invoke, startServer } from "./server_helpers.ts";

type Emf = Record<string, unknown> & {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};

const UNITS = new Set(["Milliseconds", "Count", "None"]);

/**
 * Checks a line against the EMF specification's rules: Timestamp in ms, 1-30 dimensions per
 * set each naming a string member of the root, every metric a number at the root, at most 100
 * metrics per directive, valid units.
 */
function checkEmf(line: Record<string, unknown>): Emf {
  const emf = line as Emf;
  assert.ok(Number.isInteger(emf._aws.Timestamp) && emf._aws.Timestamp > 1.6e12);
  assert.ok(emf._aws.CloudWatchMetrics.length >= 1);
  for (const d of emf._aws.CloudWatchMetrics) {
    assert.ok(d.Namespace.length >= 1 && d.Namespace.length <= 1024);
    for (const set of d.Dimensions) {
      assert.ok(set.length >= 1 && set.length <= 30);
      for (const name of set) assert.equal(typeof emf[name], "string", `dimension ${name}`);
    }
    assert.ok(d.Metrics.length >= 1 && d.Metrics.length <= 100);
    for (const m of d.Metrics) {
      assert.equal(typeof emf[m.Name], "number", `metric ${m.Name}`);
      assert.ok(Number.isFinite(emf[m.Name] as number));
      assert.ok(UNITS.has(m.Unit), m.Unit);
    }
  }
  return emf;
}

/** Prometheus text format: samples by name and labels; checks every line's syntax. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/
        .exec(line);
    assert.ok(m, `not a Prometheus sample: ${line}`);
    samples.set(m[1] + (m[2] ?? ""), Number(m[3]));
  }
  return samples;
}

const passenger = (i: number) => ({
  PassengerId: i,
  Pclass: 1 + (i % 3),
  Sex: i % 2 ? "male" : "female",
  Age: 20 + i,
});

Deno.test("metrics: one EMF line per /invocations answer matches what was sent; /metrics adds up every unit", async () => {
  // A freshly trained model: the committed one may predate TreeSHAP covers (explain=true).
  const dir = await Deno.makeTempDir({ prefix: "titanic-metrics-" });
  const { onnxPath } = await train({
    preset: "forest",
    seed: 42,
    folds: 5,
    repeats: 1,
    output: `${dir}/titanic.onnx`,
  });
  const server = await startServer(["--model", onnxPath], {
    // Two serving units (threads with listeners of their own), whose counters /metrics adds up.
    SAGEMAKER_MODEL_SERVER_WORKERS: "2",
    SCORERS_PER_UNIT: "1",
    ENDPOINT_NAME: "titanic",
    VARIANT_NAME: "primary",
  });
  const sent: { records: number; survived: number; status: number; error?: string }[] = [];
  try {
    await server.startupDone;
    for (const n of [1, 5, 20, 100]) {
      const body = JSON.stringify(Array.from({ length: n }, (_, i) => passenger(i)));
      const res = await invoke(server, body);
      assert.equal(res.status, 200);
      const predictions = JSON.parse(res.text).predictions as { Survived: number }[];
      sent.push({
        records: n,
        survived: predictions.filter((p) => p.Survived).length,
        status: 200,
      });
    }
    const csv = await invoke(server, "Pclass,Sex\n1,female\n3,male\n", "text/csv", {
      accept: "text/csv",
    });
    sent.push({
      records: 2,
      survived: csv.text.trim().split("\n").filter((l) => l.split(",")[1] === "1").length,
      status: 200,
    });
    // An explained answer (TreeSHAP, container/explain.ts) is counted the same way.
    const explained = await invoke(
      server,
      JSON.stringify([passenger(1), passenger(2)]),
      undefined,
      {
        "x-amzn-sagemaker-custom-attributes": "explain=true",
      },
    );
    assert.equal(explained.status, 200, explained.text);
    const ex = JSON.parse(explained.text).predictions as { Survived: number }[];
    sent.push({ records: 2, survived: ex.filter((p) => p.Survived).length, status: 200 });
    for (
      const [body, type, error, status] of [
        ['[{"Pclass": 4, "Sex": "male"}]', "application/json", "invalid_field", 400],
        ["{not json", "application/json", "malformed_json", 400],
        ["x", "text/plain", "unsupported_media_type", 415],
      ] as const
    ) {
      const res = await invoke(server, body, type);
      assert.equal(res.status, status);
      assert.equal(JSON.parse(res.text).error, error);
      sent.push({ records: 0, survived: 0, status, error });
    }
    assert.equal((await fetch(`${server.url}/ping`).then((r) => r.arrayBuffer()), 0), 0);
    // /metrics from whichever unit answers: the same totals (the counters are shared).
    const scrapes = [];
    for (let i = 0; i < 6; i++) {
      const client = Deno.createHttpClient({}); // a new connection: any unit may answer
      const res = await fetch(`${server.url}/metrics`, { client });
      assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4");
      scrapes.push(parsePrometheus(await res.text()));
      client.close();
    }
    const labels = 'EndpointName="titanic",VariantName="primary"';
    const totalRecords = sent.reduce((a, s) => a + s.records, 0);
    const totalSurvived = sent.reduce((a, s) => a + s.survived, 0);
    for (const p of scrapes) {
      assert.equal(p.get(`titanic_records_total{${labels}}`), totalRecords);
      assert.equal(p.get(`titanic_predicted_survivors_total{${labels}}`), totalSurvived);
      assert.equal(p.get(`titanic_invocations_total{${labels},status="2xx"}`), 6);
      assert.equal(p.get(`titanic_invocations_total{${labels},status="4xx"}`), 3);
      assert.equal(p.get(`titanic_invocations_total{${labels},status="5xx"}`), 0);
      for (const kind of ["invalid_field", "malformed_json", "unsupported_media_type"]) {
        assert.equal(p.get(`titanic_errors_total{${labels},kind="${kind}"}`), 1, kind);
      }
      assert.equal(p.get(`titanic_errors_total{${labels},kind="internal_error"}`), 0);
      assert.equal(p.get(`titanic_requests_shed_total{${labels}}`), 0);
      assert.equal(p.get(`titanic_latency_seconds_count{${labels}}`), sent.length);
      assert.equal(p.get(`titanic_latency_seconds_bucket{${labels},le="+Inf"}`), sent.length);
      const buckets = [...p].filter(([k]) => k.startsWith("titanic_latency_seconds_bucket"));
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1]);
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const emf = server.logs.filter((l) => "_aws" in l).map(checkEmf);
  assert.equal(
    emf.length,
    sent.length,
    "one line per /invocations answer, none for /ping or /metrics",
  );
  // Units answer concurrently only if requests overlap; these were sent one by one, in order.
  for (const [i, line] of emf.entries()) {
    const s = sent[i];
    assert.equal(line.EndpointName, "titanic");
    assert.equal(line.VariantName, "primary");
    assert.equal(line.Records, s.records);
    assert.equal(line.StatusCode, s.status);
    assert.equal(line.Errors, s.error ? 1 : 0);
    assert.equal(line.ClientErrors, s.status >= 400 && s.status < 500 ? 1 : 0);
    assert.equal(line.ServerErrors, 0);
    assert.equal(line.RequestsShed, 0);
    assert.ok((line.Latency as number) > 0);
    const [main, byKind] = line._aws.CloudWatchMetrics;
    assert.equal(main.Namespace, "Titanic/Inference");
    assert.deepEqual(main.Dimensions, [["EndpointName", "VariantName"]]);
    if (s.records > 0) {
      assert.equal(line.SurvivalShare, Math.round((s.survived / s.records) * 1e6) / 1e6);
    } else {
      assert.ok(!("SurvivalShare" in line), "no share without records");
    }
    if (s.error) {
      assert.equal(line.ErrorKind, s.error);
      assert.deepEqual(byKind.Dimensions, [["EndpointName", "VariantName", "ErrorKind"]]);
      assert.deepEqual(byKind.Metrics, [{ Name: "Errors", Unit: "Count" }]);
    } else {
      assert.equal(byKind, undefined);
    }
  }
});

Deno.test("metrics: namespace and dimensions from the environment; METRICS_EMF=0", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const config = metricsConfigFromEnv(env({
    METRICS_NAMESPACE: "Acme/Models",
    METRICS_DIMENSIONS: "Service=titanic, Stage=prod",
    ENDPOINT_NAME: "ignored",
  }));
  assert.equal(config.namespace, "Acme/Models");
  assert.deepEqual(config.dimensions, { Service: "titanic", Stage: "prod" });
  assert.deepEqual(metricsConfigFromEnv(env({})).dimensions, {
    EndpointName: "local",
    VariantName: "local",
  });
  assert.throws(
    () => metricsConfigFromEnv(env({ METRICS_DIMENSIONS: "oops" })),
    /"oops" is not Name=value/,
  );
  const lines: string[] = [];
  const quiet = createMetrics(
    { ...metricsConfigFromEnv(env({ METRICS_EMF: "0" })) },
    (l) => lines.push(l),
  );
  quiet.observe({ status: 200, latencyMs: 1, records: 1, survived: 0 });
  assert.equal(lines.length, 0);
  assert.match(
    quiet.prometheus(),
    /^titanic_records_total\{EndpointName="local",VariantName="local"\} 1$/m,
  );
  const custom = createMetrics(config, (l) => lines.push(l), () => 1_767_000_000_000);
  custom.observe({ status: 500, latencyMs: 2.5, records: 0, survived: 0, error: "weird_thing" });
  const line = checkEmf(JSON.parse(lines[0]));
  assert.equal(line._aws.Timestamp, 1_767_000_000_000);
  assert.deepEqual(line._aws.CloudWatchMetrics[1].Dimensions, [["Service", "Stage", "ErrorKind"]]);
  assert.equal(line.ServerErrors, 1);
  assert.match(
    custom.prometheus(),
    /^titanic_errors_total\{Service="titanic",Stage="prod",kind="other"\} 1$/m,
  );
  assert.equal(ERROR_KINDS.at(-1), "other");
});

Deno.test("metrics: shed requests go out with the next answer, or on their own within a second", async () => {
  const lines: Emf[] = [];
  const metrics = createMetrics(
    metricsConfigFromEnv(() => undefined),
    (l) => lines.push(JSON.parse(l)),
  );
  metrics.shed();
  metrics.shed(2);
  metrics.observe({ status: 200, latencyMs: 0.4, records: 3, survived: 1 });
  assert.equal(lines.length, 1);
  assert.equal(checkEmf(lines[0]).RequestsShed, 3);
  assert.equal(lines[0].SurvivalShare, 0.333333);
  metrics.shed(4);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(lines.length, 2);
  const alone = checkEmf(lines[1]);
  assert.equal(alone.RequestsShed, 4);
  assert.deepEqual(alone._aws.CloudWatchMetrics[0].Metrics, [{
    Name: "RequestsShed",
    Unit: "Count",
  }]);
  assert.match(metrics.prometheus(), /^titanic_requests_shed_total\{[^}]*\} 7$/m);
  // Admission control's 503 "overloaded" answer is a shed request, not an error.
  metrics.observe({ status: 503, latencyMs: 0.1, records: 0, survived: 0, error: "overloaded" });
  const refused = checkEmf(lines[2]);
  assert.equal(refused.RequestsShed, 1);
  assert.equal(refused.Errors, undefined);
  const text = metrics.prometheus();
  assert.match(text, /^titanic_requests_shed_total\{[^}]*\} 8$/m);
  assert.doesNotMatch(text, /kind="overloaded"/);
  assert.match(text, /^titanic_invocations_total\{[^}]*status="5xx"\} 0$/m);
});
