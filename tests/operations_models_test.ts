/**
 * The operations calls over many option sets, each input checked against AWS's service models:
 * alarms for endpoint and variant names of every length, thresholds and topics; data capture
 * for bucket names and prefixes of edge lengths and every sampling percentage; model packages
 * for group names of every length and the cards of every preset.
 */

import assert from "node:assert/strict";
import { alarmInputs, DEFAULT_ALARMS } from "../src/deploy/alarms.ts";
import { dataCaptureConfig } from "../src/deploy/capture.ts";
import { modelPackageInput, reports } from "../src/deploy/registry.ts";
import { type DeploySpec, desiredResources } from "../src/deploy/sagemaker.ts";
import { readCard } from "../src/inference/card.ts";
import { validateInput, type Violation } from "./aws_models.ts";
import { EXAMPLE_DEPLOY } from "./deploy_fixtures.ts";

const name = (n: number) => ("t" + "x1-".repeat(30)).slice(0, n - 1) + "z";
const NAMES = [1, 2, 10, 40, 62, 63].map(name);
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts_topic-1";

Deno.test("alarms: every input valid for CloudWatch over names, thresholds and topics", () => {
  const bad: Violation[] = [];
  let calls = 0;
  for (const endpoint of NAMES) {
    for (const variants of [["primary"], ["primary", "candidate"], [name(63)]]) {
      for (const t of [0, 1, 0.5, 1e6]) {
        for (const topic of [undefined, TOPIC]) {
          const inputs = alarmInputs(endpoint, variants, {
            ...DEFAULT_ALARMS,
            errors5xx: t,
            latencyP99Ms: t,
            containerErrors: t,
            shed: t,
            ...(topic ? { topic } : {}),
          });
          assert.equal(inputs.length, 4 * variants.length);
          for (const input of inputs) {
            calls++;
            bad.push(...validateInput("cloudwatch", "PutMetricAlarm", input));
          }
        }
      }
    }
  }
  console.log(`${calls} PutMetricAlarm inputs checked`);
  assert.deepEqual(bad, []);
});

Deno.test("capture: CreateEndpointConfig valid for every percentage and edge bucket names", () => {
  const bad: Violation[] = [];
  let calls = 0;
  for (const bucket of ["abc", "my-bucket.logs", "b" + "u".repeat(61) + "c"]) {
    for (const prefix of ["", "/capture", "/a/b/c/titanic-capture/"]) {
      for (const percent of [1, 2, 50, 99, 100]) {
        const spec: DeploySpec = {
          ...EXAMPLE_DEPLOY,
          dataCapture: dataCaptureConfig(`s3://${bucket}${prefix},${percent}`),
        };
        calls++;
        bad.push(
          ...validateInput("sagemaker", "CreateEndpointConfig", desiredResources(spec).config),
        );
      }
    }
  }
  console.log(`${calls} CreateEndpointConfig inputs with DataCaptureConfig checked`);
  assert.deepEqual(bad, []);
});

Deno.test("registry: CreateModelPackage valid for group names of every length", async () => {
  const card = await readCard(new URL("../models/titanic.json", import.meta.url).pathname);
  const bad: Violation[] = [];
  for (const group of NAMES) {
    for (const types of [["ml.t2.medium"], ["ml.t2.medium", "ml.m5.large", "ml.c5.xlarge"]]) {
      const uris = Object.fromEntries(
        reports(card).map((r) => [r.kind, {
          S3Uri: `s3://my-bucket/${group}/v1/${r.name}`,
          ContentDigest: `sha256:${"ab".repeat(32)}`,
        }]),
      );
      bad.push(...validateInput(
        "sagemaker",
        "CreateModelPackage",
        modelPackageInput({
          group,
          image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/titanic:v1",
          modelData: `s3://my-bucket/${group}/v1/model.tar.gz`,
          card,
          realtimeInstanceTypes: types,
          transformInstanceTypes: ["ml.m5.large"],
        }, uris),
      ));
    }
  }
  assert.deepEqual(bad, []);
  // Not a formality: an instance type AWS does not know is refused.
  const refused = validateInput(
    "sagemaker",
    "CreateModelPackage",
    modelPackageInput({
      group: "titanic",
      image: "i",
      modelData: "s3://b/m.tar.gz",
      card,
      realtimeInstanceTypes: ["ml.nonsense"],
      transformInstanceTypes: [],
    }, {}),
  );
  assert.ok(refused.some((v) => v.rule === "enum"), JSON.stringify(refused));
});
