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
import { badUsage, defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { CARD_OPTION } from "./shared_options.ts";

export const command = defineCommand({
  task: "deno task drift",
  usage: "--captured DIR|s3://BUCKET/PREFIX [--card FILE] [--threshold X] [--json FILE]",
  summary: `
Reads SageMaker data capture files (JSON lines, *.jsonl; CSV, JSON or BASE64 bodies) from a
folder or S3, and compares the captured inputs and predictions with the baseline that
deno task train stored in the model card: population stability index per input (numbers in
decile bins, categories, free-text lengths; "missing" as a bin of its own), missing rates,
new and vanished categories, the predicted survival share. Prints a table per input.

Exit status: 0 no drift, 1 drift (PSI above the threshold, unseen categories in 1 % or more
of the values, or a category of 5 % or more of the training values gone), 2 bad input.`,
  options: {
    captured: {
      type: "string",
      arg: "SRC",
      required: true,
      help: "folder (searched recursively) or s3://BUCKET/PREFIX",
    },
    card: { ...CARD_OPTION, help: "model card with a baseline" },
    threshold: {
      type: "number",
      min: 0,
      minExclusive: true,
      default: DEFAULT_THRESHOLD,
      help: "PSI above which an input drifts",
    },
    json: { type: "string", arg: "FILE", help: "also write the report as JSON" },
    region: { type: "string", arg: "R", help: "AWS region for s3:// (default: the AWS chain)" },
  },
});

/** The card's drift baseline; a card without one is bad input. */
async function readBaseline(cardPath: string): Promise<DriftBaseline> {
  let card;
  try {
    card = JSON.parse(await Deno.readTextFile(cardPath));
  } catch (err) {
    badUsage(`cannot read the model card ${cardPath}: ${(err as Error).message}`);
  }
  const baseline = card.baseline as DriftBaseline | undefined;
  if (!baseline?.inputs || !baseline.predictions) {
    badUsage(`${cardPath} has no drift baseline: retrain with deno task train`);
  }
  return baseline;
}

async function readRecords(source: string, region?: string): Promise<CaptureRecord[]> {
  try {
    return source.startsWith("s3://")
      ? await readCaptureS3(new S3Client(region ? { region } : {}), source)
      : await readCaptureDir(source);
  } catch (err) {
    const name = (err as Error)?.name ?? "";
    badUsage(
      name === "CaptureError"
        ? (err as Error).message
        : source.startsWith("s3://")
        ? explainAwsError(err)
        : `cannot read --captured ${source}: ${(err as Error).message}`,
    );
  }
}

async function main({ values }: ParsedOf<typeof command>): Promise<number> {
  const source = values.captured;
  const baseline = await readBaseline(values.card);
  const records = await readRecords(source, values.region);
  if (records.length === 0) badUsage(`no capture records (*.jsonl) in ${source}`);
  let report;
  try {
    const batch = capturedBatch(records, baseline.inputs.map((i) => i.name));
    report = compareWithBaseline(baseline, batch, values.threshold);
    console.log(
      `${records.length} invocations from ${source}` +
        (batch.withoutOutput ? ` (${batch.withoutOutput} without output)` : ""),
    );
  } catch (err) {
    badUsage((err as Error).message); // records the baseline cannot read
  }
  console.log(formatReport(report));
  if (values.json) await Deno.writeTextFile(values.json, JSON.stringify(report, null, 2) + "\n");
  return report.drifted.length ? 1 : 0;
}

if (import.meta.main) await runCommand(command, main);
