/**
 * End to end without AWS: Function URL events -> the Lambda proxy -> the real AWS SDK ->
 * a loopback SageMaker runtime stand-in -> the real inference server. Also the bundled proxy
 * running in Node.js, and the invoke / deploy / teardown / package commands as users run them.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { invokeEndpoint, invokeUrl } from "../src/deploy/invoke.ts";
import { policyName } from "../src/deploy/autoscaling.ts";
import { createProxy, type FunctionUrlEvent } from "../src/deploy/lambda.ts";
import { ownershipTags } from "../src/deploy/naming.ts";
import { withTempDir } from "./helpers.ts";
import { startControlPlane } from "./sagemaker_control_plane.ts";
import { FAKE_AWS, FAULTS, startEmulator } from "./sagemaker_emulator.ts";
import { startServer } from "./server_helpers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const example = (name: string) => Deno.readTextFileSync(join(ROOT, "container/examples", name));
const encode = (s: string) => new TextEncoder().encode(s);

/** A Function URL event as Lambda delivers it (payload format 2.0). */
function functionUrlEvent(
  body: string | undefined,
  headers: Record<string, string>,
  options: { base64?: boolean; method?: string } = {},
): FunctionUrlEvent {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: "/",
    rawQueryString: "",
    headers: { host: "abc.lambda-url.us-east-1.on.aws", "x-forwarded-proto": "https", ...headers },
    requestContext: {
      accountId: "anonymous",
      apiId: "abc",
      domainName: "abc.lambda-url.us-east-1.on.aws",
      http: {
        method: options.method ?? "POST",
        path: "/",
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.1",
        userAgent: "curl/8",
      },
      requestId: "id",
      routeKey: "$default",
      stage: "$default",
      time: "26/Nov/2026:12:00:00 +0000",
      timeEpoch: 1795608000000,
    },
    ...(body === undefined
      ? {}
      : { body: options.base64 ? btoa(body) : body, isBase64Encoded: Boolean(options.base64) }),
  } as FunctionUrlEvent;
}

/** Isolated AWS environment pointed at the stand-in (never at the real AWS). */
function awsEnv(emulatorUrl: string): Record<string, string> {
  return {
    AWS_REGION: FAKE_AWS.region,
    AWS_ACCESS_KEY_ID: FAKE_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: emulatorUrl,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    NO_COLOR: "1",
  };
}

async function task(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("lambda proxy and invoke, through the SDK and a SageMaker stand-in, to the real server", async (t) => {
  const server = await startServer();
  const emulator = startEmulator(server.url);
  const client = new SageMakerRuntimeClient({ ...FAKE_AWS, endpoint: emulator.url });
  const handler = createProxy((request) => invokeEndpoint(client, "titanic", request));
  try {
    const direct = await invokeUrl(server.url, {
      body: encode(example("passengers.json")),
      contentType: "application/json",
      accept: "application/json",
    });
    const expected = JSON.parse(direct.body);

    await t.step(
      "InvokeEndpoint returns the container's answer; ModelError keeps status and message",
      async () => {
        const ok = await invokeEndpoint(client, "titanic", {
          body: encode(example("passengers.json")),
          contentType: "application/json",
          accept: "application/json",
        });
        assert.deepEqual([ok.status, ok.modelError, JSON.parse(ok.body)], [200, false, expected]);
        const refused = await invokeEndpoint(client, "titanic", {
          body: encode('{"Pclass": 9, "Sex": "male"}'),
          contentType: "application/json",
          accept: "application/json",
        });
        assert.equal(refused.status, 400);
        assert.equal(refused.modelError, true);
        assert.equal(JSON.parse(refused.body).field, "Pclass");
        assert.deepEqual(emulator.requests.at(-1), {
          endpoint: "titanic",
          contentType: "application/json",
          accept: "application/json",
        });
      },
    );

    await t.step(
      "Function URL events: JSON, base64 CSV, model errors, no body, wrong method",
      async () => {
        const json = await handler(
          functionUrlEvent(example("passengers.json"), { "content-type": "application/json" }),
        );
        assert.equal(json.statusCode, 200);
        assert.equal(json.headers["content-type"], "application/json");
        assert.deepEqual(JSON.parse(json.body), expected);

        const csv = await handler(functionUrlEvent(example("batch-lines.csv"), {
          "content-type": "text/csv; charset=utf-8",
          accept: "text/csv",
        }, { base64: true }));
        assert.equal(csv.statusCode, 200);
        assert.equal(csv.headers["content-type"], "text/csv");
        assert.equal(csv.body.trim().split("\n").length, 3);
        assert.equal(emulator.requests.at(-1)!.contentType, "text/csv; charset=utf-8");

        const refused = await handler(
          functionUrlEvent('[{"Pclass": 1}]', { "content-type": "application/json" }),
        );
        assert.equal(refused.statusCode, 400);
        assert.equal(JSON.parse(refused.body).field, "Sex");

        const unsupported = await handler(
          functionUrlEvent("<x/>", { "content-type": "application/xml" }),
        );
        assert.equal(unsupported.statusCode, 415);

        const empty = await handler(functionUrlEvent(undefined, {}));
        assert.equal(empty.statusCode, 400);
        assert.equal(JSON.parse(empty.body).error, "empty_body");

        const get = await handler(functionUrlEvent(undefined, {}, { method: "GET" }));
        assert.equal(get.statusCode, 405);
      },
    );

    await t.step(
      "InvokeEndpoint's own failures: the model's status in the project's words, AWS's logged",
      async () => {
        const want: Record<string, [number, string, string | null]> = {
          "no-such-endpoint": [503, "model_unavailable", null],
          "too-large": [400, "invalid_request", null],
          warming: [503, "model_not_ready", "5"],
          throttled: [429, "throttled", "1"],
          unavailable: [503, "model_unavailable", "5"],
          failing: [502, "model_unreachable", null],
        };
        assert.deepEqual(Object.keys(want).sort(), Object.keys(FAULTS).sort());
        const logged: string[] = [];
        const consoleError = console.error;
        console.error = (line: string) => logged.push(line);
        try {
          for (const [endpoint, [status, error, retryAfter]] of Object.entries(want)) {
            const proxy = createProxy((request) => invokeEndpoint(client, endpoint, request));
            const result = await proxy(
              functionUrlEvent('{"Pclass": 1, "Sex": "female"}', {
                "content-type": "application/json",
              }),
            );
            assert.equal(result.statusCode, status, endpoint);
            const body = JSON.parse(result.body);
            assert.deepEqual(Object.keys(body), ["error", "message"]);
            assert.equal(body.error, error, endpoint);
            assert.doesNotMatch(result.body, /arn:|123456789012|validation error|Rate exceeded/);
            assert.equal(result.headers["retry-after"] ?? null, retryAfter, endpoint);
            const entry = JSON.parse(logged.at(-1)!);
            assert.equal(entry.error, FAULTS[endpoint].type);
            assert.equal(entry.message, FAULTS[endpoint].message);
          }
        } finally {
          console.error = consoleError;
        }
      },
    );

    await t.step(
      "the bundled proxy runs in Node.js (the Lambda runtime) against the stand-in",
      async () => {
        await withTempDir(async (dir) => {
          const bundled = await task(["lambda:bundle", "--outdir", join(dir, "lambda")], {
            ...awsEnv(emulator.url),
            PATH: Deno.env.get("PATH")!,
          });
          assert.equal(bundled.code, 0, bundled.stderr);
          assert.match(bundled.stdout, /handler index\.handler/);
          const zip = await new Deno.Command("unzip", { args: ["-l", join(dir, "lambda.zip")] })
            .output();
          assert.match(new TextDecoder().decode(zip.stdout), /index\.mjs/);
          const event = functionUrlEvent(example("passengers.json"), {
            "content-type": "application/json",
          });
          const script = `import("${join(dir, "lambda", "index.mjs")}").then(async (m) => {
          process.stdout.write(JSON.stringify(await m.handler(${JSON.stringify(event)})));
        });`;
          const node = await new Deno.Command("node", {
            args: ["--no-warnings", "-e", script],
            env: { ...awsEnv(emulator.url), ENDPOINT_NAME: "titanic" },
            clearEnv: true,
          }).output();
          assert.equal(node.code, 0, new TextDecoder().decode(node.stderr));
          const result = JSON.parse(new TextDecoder().decode(node.stdout));
          assert.equal(result.statusCode, 200);
          assert.deepEqual(JSON.parse(result.body), expected);
        });
      },
    );

    await t.step("deno task invoke: --url and --endpoint look the same", async () => {
      const env = { ...awsEnv(emulator.url), PATH: Deno.env.get("PATH")! };
      const local = await task([
        "invoke",
        "--url",
        server.url,
        "--file",
        "container/examples/passengers.csv",
      ], env);
      assert.equal(local.code, 0, local.stderr);
      const remote = await task([
        "invoke",
        "--endpoint",
        "titanic",
        "--file",
        "container/examples/passengers.csv",
      ], env);
      assert.equal(remote.code, 0, remote.stderr);
      assert.equal(local.stdout, remote.stdout);
      assert.deepEqual(JSON.parse(local.stdout), expected);
      await withTempDir(async (dir) => {
        await Deno.writeTextFile(join(dir, "bad.json"), '{"Pclass": 1}');
        for (const target of [["--url", server.url], ["--endpoint", "titanic"]]) {
          const bad = await task(["invoke", ...target, "--file", join(dir, "bad.json")], env);
          assert.equal(bad.code, 1);
          assert.match(bad.stderr, /the model answered 400: .*"field":"Sex"/);
        }
      });
    });
  } finally {
    await emulator.close();
    await server.stop();
  }
});

Deno.test("deploy commands from the CLI: dry run, missing credentials, teardown safety, package", async () => {
  const isolated = {
    PATH: Deno.env.get("PATH")!,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    AWS_REGION: "us-east-1",
    NO_COLOR: "1",
  };
  const args = [
    "deploy",
    "--image",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:1",
    "--role",
    "arn:aws:iam::123456789012:role/sm",
  ];
  const dry = await task([...args, "--dry-run", "--serverless", "2048,5"], isolated);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /\[dry-run\] SageMaker\.CreateEndpointConfig .*"ServerlessConfig":\{"MemorySizeInMB":2048,"MaxConcurrency":5\}/,
  );
  // Both paths: created from nothing, and rolled from another config.
  assert.match(
    dry.stdout,
    /# dry run, if the endpoint does not exist yet:[\s\S]*-> endpoint titanic created/,
  );
  assert.match(
    dry.stdout,
    /\[dry-run\] SageMaker\.UpdateEndpoint [\s\S]*-> endpoint titanic updated/,
  );

  const noCredentials = await task(args, isolated);
  assert.equal(noCredentials.code, 1);
  assert.match(noCredentials.stderr, /error: no AWS credentials found/);
  assert.doesNotMatch(noCredentials.stderr, /\n\s+at /);
  const noCredentialsPlan = await task([...args, "--plan"], isolated);
  assert.equal(noCredentialsPlan.code, 1);
  assert.match(noCredentialsPlan.stderr, /error: no AWS credentials found/);

  const badOptions = await task(
    [
      ...args.slice(0, 3),
      "--role",
      "sagemaker-role",
      "--count",
      "0",
      "--endpoint",
      "t-",
      "--dry-run",
    ],
    isolated,
  );
  assert.equal(badOptions.code, 2);
  assert.match(badOptions.stderr, /--endpoint "t-": must be 1-63 letters/);
  assert.match(badOptions.stderr, /--role "sagemaker-role": must be an IAM role ARN/);
  assert.match(badOptions.stderr, /--count 0: must be an integer >= 1/);
  assert.doesNotMatch(badOptions.stdout, /\[dry-run\]/, "no call before the options are valid");

  const teardownDry = await task(["teardown", "--endpoint", "titanic", "--dry-run"], isolated);
  assert.equal(teardownDry.code, 0, teardownDry.stderr);
  assert.match(teardownDry.stdout, /\[dry-run\] SageMaker\.ListTags/);
  assert.match(
    teardownDry.stdout,
    /would delete:\n {2}endpoint: titanic\n {2}endpoint configs: titanic-example1, titanic-example0/,
  );
  assert.match(
    teardownDry.stdout,
    /\[dry-run\] SageMaker\.DeleteModel \{"ModelName":"titanic-primary-example0"\}/,
  );
  assert.doesNotMatch(
    teardownDry.stdout,
    /Delete\w+ \{[^\n]*titanic-v2/,
    "the sibling keeps its own",
  );

  const shift = await task(
    [
      "shift-traffic",
      "--endpoint",
      "titanic",
      "--weights",
      "primary=,candidate=1e400",
      "--dry-run",
    ],
    isolated,
  );
  assert.equal(shift.code, 2);
  assert.match(shift.stderr, /"primary=": the weight is missing/);

  const transform = await task([
    "transform",
    "--model",
    "titanic-primary-0123abcd",
    "--input",
    "s3://bucket/in/",
    "--output",
    "s3://bucket/out/",
    "--dry-run",
  ], isolated);
  assert.equal(transform.code, 0, transform.stderr);
  assert.match(transform.stdout, /\[dry-run\] SageMaker\.CreateTransformJob .*"SplitType":"Line"/);

  const invokeDry = await task(
    ["invoke", "--endpoint", "titanic", "--file", "container/examples/passengers.csv", "--dry-run"],
    isolated,
  );
  assert.equal(invokeDry.code, 0, invokeDry.stderr);
  assert.match(
    invokeDry.stdout,
    /InvokeEndpoint EndpointName=titanic\n {2}Content-Type: text\/csv\n {2}Accept: application\/json\n {2}body: \d+ bytes/,
  );

  // Teardown against a SageMaker stand-in holding what deploy would have made, tagged as deploy
  // tags it: the endpoint, its config and model, leftovers of an earlier deploy (older, so on
  // a later page: the stand-in serves two items a page), a neighbour titanic-v2 with its own
  // and with a model deploy made for titanic that titanic-v2 now uses, and another project's
  // untagged model. Without --yes nothing is deleted.
  const owned = (endpoint: string) => ({ tags: ownershipTags(endpoint) });
  const plane = startControlPlane({
    endpoints: new Map([
      ["titanic-v2", { config: "titanic-v2-1a2b3c4d", ...owned("titanic-v2") }],
      ["titanic", { config: "titanic-0a1b2c3d", ...owned("titanic") }],
    ]),
    configs: new Map([
      ["titanic-deadbeef", {
        models: [{ variant: "primary", model: "titanic-primary-deadbeef" }],
        ...owned("titanic"),
      }],
      ["titanic-v2-1a2b3c4d", {
        models: [
          { variant: "primary", model: "titanic-v2-primary-5e6f7a8b" },
          { variant: "candidate", model: "titanic-candidate-9c0d1e2f" },
        ],
        ...owned("titanic-v2"),
      }],
      ["titanic-0a1b2c3d", {
        models: [{ variant: "primary", model: "titanic-primary-4e5f6a7b" }],
        ...owned("titanic"),
      }],
    ]),
    models: new Map([
      ["titanic-primary-deadbeef", owned("titanic")],
      ["titanic-candidate-9c0d1e2f", owned("titanic")],
      ["titanic-notes", { tags: [] }],
      ["titanic-v2-primary-5e6f7a8b", owned("titanic-v2")],
      ["titanic-primary-4e5f6a7b", owned("titanic")],
    ]),
    scalingTargets: new Map([
      ["endpoint/titanic/variant/primary", {
        min: 1,
        max: 2,
        policies: [policyName("titanic", "primary")],
      }],
      ["endpoint/titanic-v2/variant/primary", {
        min: 1,
        max: 2,
        policies: [policyName("titanic-v2", "primary")],
      }],
    ]),
    // deploy --alarms: titanic's and the neighbour's ("titanic-" prefixes both names).
    alarms: new Map(
      ["titanic", "titanic-v2"].flatMap((endpoint) =>
        ["5xx-errors", "requests-shed"].map((kind) =>
          [`${endpoint}-primary-${kind}`, {
            dimensions: [
              { Name: "EndpointName", Value: endpoint },
              { Name: "VariantName", Value: "primary" },
            ],
          }] as const
        )
      ),
    ),
  }, { maxPageSize: 2 });
  try {
    const env = {
      ...isolated,
      AWS_ACCESS_KEY_ID: FAKE_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_AWS.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SAGEMAKER: plane.url,
      AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: plane.url,
      AWS_ENDPOINT_URL_CLOUDWATCH: plane.url,
    };
    const deletions = () =>
      plane.calls.filter((c) => /\.(Delete|Deregister)/.test(c.operation)).map((c) => [
        c.operation,
        c.input.EndpointName ?? c.input.EndpointConfigName ?? c.input.ModelName ??
          c.input.ResourceId ?? c.input.AlarmNames?.join(","),
      ]);
    const unguarded = await task(["teardown", "--endpoint", "titanic"], env);
    assert.equal(unguarded.code, 1, unguarded.stdout + unguarded.stderr);
    assert.match(unguarded.stderr, /--yes/);
    assert.match(unguarded.stdout, /titanic-0a1b2c3d/);
    assert.match(unguarded.stdout, /titanic-primary-deadbeef/);
    assert.ok(plane.calls.some((c) => c.operation === "SageMaker.DescribeEndpoint"));
    assert.match(unguarded.stdout, /kept titanic-candidate-9c0d1e2f: endpoint titanic-v2 uses it/);
    assert.ok(
      plane.calls.some((c) => c.operation === "SageMaker.ListModels" && c.input.NextToken),
      "the lists are followed page by page",
    );
    assert.match(
      unguarded.stdout,
      /alarms: titanic-primary-5xx-errors, titanic-primary-requests-shed\n/,
    );
    assert.deepEqual(deletions(), [], "nothing may be deleted without --yes");
    assert.equal(plane.state.endpoints.size, 2);
    assert.equal(plane.state.models.size, 5);

    const confirmed = await task(["teardown", "--endpoint", "titanic", "--yes"], env);
    assert.equal(confirmed.code, 0, confirmed.stdout + confirmed.stderr);
    assert.deepEqual(
      deletions(),
      [
        ["AnyScaleFrontendService.DeleteScalingPolicy", "endpoint/titanic/variant/primary"],
        ["AnyScaleFrontendService.DeregisterScalableTarget", "endpoint/titanic/variant/primary"],
        ["SageMaker.DeleteEndpoint", "titanic"],
        ["SageMaker.DeleteEndpointConfig", "titanic-0a1b2c3d"],
        ["SageMaker.DeleteEndpointConfig", "titanic-deadbeef"],
        ["SageMaker.DeleteModel", "titanic-primary-4e5f6a7b"],
        ["SageMaker.DeleteModel", "titanic-primary-deadbeef"],
        [
          "GraniteServiceVersion20100801.DeleteAlarms",
          "titanic-primary-5xx-errors,titanic-primary-requests-shed",
        ],
      ],
    );
    assert.deepEqual(
      [...plane.state.alarms!.keys()],
      ["titanic-v2-primary-5xx-errors", "titanic-v2-primary-requests-shed"],
      "the neighbour's alarms are kept",
    );
    assert.deepEqual([...plane.state.endpoints.keys()], ["titanic-v2"]);
    assert.deepEqual([...plane.state.configs.keys()], ["titanic-v2-1a2b3c4d"], "the neighbour's");
    assert.deepEqual(
      [...plane.state.models.keys()],
      ["titanic-candidate-9c0d1e2f", "titanic-notes", "titanic-v2-primary-5e6f7a8b"],
      "titanic's model that titanic-v2 uses, another project's, and the neighbour's: kept",
    );
    assert.deepEqual([...plane.state.scalingTargets.keys()], [
      "endpoint/titanic-v2/variant/primary",
    ]);

    const again = await task(["teardown", "--endpoint", "titanic", "--yes"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to delete/);
    assert.deepEqual(plane.violations, [], "every input as the service models allow");
  } finally {
    await plane.close();
  }

  const push = await task(["push-image", "--repository", "titanic", "--dry-run"], isolated);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /\[dry-run\] ECR\.CreateRepository/);
  assert.match(
    push.stdout,
    /docker push <account>\.dkr\.ecr\.<region>\.amazonaws\.com\/titanic:latest/,
  );

  await withTempDir(async (dir) => {
    const a = await task(["package", "--output", join(dir, "a.tar.gz")], isolated);
    const b = await task(["package", "--output", join(dir, "b.tar.gz")], isolated);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.stdout.split("SHA-256 ")[1], b.stdout.split("SHA-256 ")[1]);
    assert.deepEqual(
      await Deno.readFile(join(dir, "a.tar.gz")),
      await Deno.readFile(join(dir, "b.tar.gz")),
    );
    const listing = await new Deno.Command("tar", { args: ["-tzf", join(dir, "a.tar.gz")] })
      .output();
    assert.equal(new TextDecoder().decode(listing.stdout), "titanic.onnx\ntitanic.json\n");
  });
});
