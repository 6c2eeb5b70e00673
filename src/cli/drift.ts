/**
 * `deno task drift`: compare SageMaker data capture with the model card's training baseline.
 * Exit status 0: no drift; 1: drift; 2: bad input (options, capture files, card).
 * @module
 */

import { S3Client } from "@aws-sdk/client-s3";
import { explainAwsError } from "../deploy/aws.ts";
import type { DriftBaseline } from "../monitor/baseline.ts";
import {
  capturedBatch,
  type CaptureRecord,
  readCaptureDir,
  readCaptureS3,
} from "../monitor/capture.ts";
import { compareWithBaseline, DEFAULT_THRESHOLD, formatReport } from "../monitor/drift.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { fail, parseCli, stringOption } from "./args.ts";

const USAGE = `
deno task drift --captured DIR|s3://BUCKET/PREFIX [--card FILE] [--threshold X] [--json FILE]

Reads SageMaker data capture files (JSON lines, *.jsonl; CSV, JSON or BASE64 bodies) from a
folder or S3, and compares the captured inputs and predictions with the baseline that
deno task train stored in the model card: population stability index per input (numbers in
decile bins, categories, free-text lengths; "missing" as a bin of its own), missing rates,
new and vanished categories, the predicted survival share. Prints a table per input.

Exit status: 0 no drift, 1 drift (PSI above the threshold, unseen categories in 1 % or more
of the values, or a category of 5 % or more of the training values gone), 2 bad input.

Options:
  --captured SRC   folder (searched recursively) or s3://BUCKET/PREFIX
  --card FILE      model card with a baseline (default: models/titanic.json)
  --threshold X    PSI above which an input drifts (default: ${DEFAULT_THRESHOLD})
  --json FILE      also write the report as JSON
  --region R       AWS region for s3:// (default: the AWS chain)
  -h, --help       show this help
`;

const { values } = parseCli(Deno.args, {
  captured: { type: "string" },
  card: { type: "string" },
  threshold: { type: "string" },
  json: { type: "string" },
  region: { type: "string" },
}, USAGE);
const source = stringOption(values.captured) ?? fail(`--captured is required\n${USAGE}`);
const threshold = Number(values.threshold ?? DEFAULT_THRESHOLD);
if (!(threshold > 0)) fail(`--threshold must be a positive number, got "${values.threshold}"`);
const cardPath = stringOption(values.card) ?? `${PROJECT_ROOT}/models/titanic.json`;

let baseline: DriftBaseline;
try {
  const card = JSON.parse(await Deno.readTextFile(cardPath));
  baseline = card.baseline;
  if (!baseline?.inputs || !baseline.predictions) {
    fail(`${cardPath} has no drift baseline: retrain with deno task train`);
  }
} catch (err) {
  fail(`cannot read the model card ${cardPath}: ${(err as Error).message}`);
}

let records: CaptureRecord[];
try {
  if (source.startsWith("s3://")) {
    const region = stringOption(values.region);
    records = await readCaptureS3(new S3Client(region ? { region } : {}), source);
  } else {
    records = await readCaptureDir(source);
  }
} catch (err) {
  const name = (err as Error)?.name ?? "";
  fail(
    name === "CaptureError"
      ? (err as Error).message
      : source.startsWith("s3://")
      ? explainAwsError(err)
      : `cannot read --captured ${source}: ${(err as Error).message}`,
  );
}
if (records.length === 0) fail(`no capture records (*.jsonl) in ${source}`);

try {
  const batch = capturedBatch(records, baseline.inputs.map((i) => i.name));
  const report = compareWithBaseline(baseline, batch, threshold);
  console.log(
    `${records.length} invocations from ${source}` +
      (batch.withoutOutput ? ` (${batch.withoutOutput} without output)` : ""),
  );
  console.log(formatReport(report));
  const json = stringOption(values.json);
  if (json) await Deno.writeTextFile(json, JSON.stringify(report, null, 2) + "\n");
  Deno.exit(report.drifted.length ? 1 : 0);
} catch (err) {
  fail((err as Error).message);
}
