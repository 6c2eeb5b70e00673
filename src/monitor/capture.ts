/**
 * Reads SageMaker data capture files: JSON lines, one object per invocation, with
 * `captureData.endpointInput` and `endpointOutput` ({observedContentType, mode, data,
 * encoding: CSV | JSON | BASE64}), `eventMetadata` {eventId, inferenceTime} and `eventVersion`.
 * Request bodies are parsed by the server's own codec (container/payload.ts), so a captured
 * request means exactly what it meant to the endpoint. Files come from a folder (recursively)
 * or from S3 (s3://BUCKET/PREFIX, as DataCaptureConfig writes them).
 * @module
 */

import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { join } from "node:path";
import { encodeInputs, inputSpec, type ModelInputs } from "../codec/inputs.ts";
import { parseCsv } from "../codec/csv.ts";
import { parseBody, RequestError, requestType } from "../../container/payload.ts";

/** A capture file, or a record in it, that cannot be read; names the file and line. */
export class CaptureError extends Error {
  constructor(readonly file: string, readonly line: number | undefined, problem: string) {
    super(`${file}${line === undefined ? "" : `:${line}`}: ${problem}`);
    this.name = "CaptureError";
  }
}

/** One captured request or response body. */
export interface CapturedBody {
  observedContentType: string;
  mode: string;
  data: string;
  encoding: "CSV" | "JSON" | "BASE64";
}

/** One line of a capture file. */
export interface CaptureRecord {
  input: CapturedBody;
  output?: CapturedBody;
  eventId?: string;
  inferenceTime?: string;
  /** Where it came from, for error messages. */
  file: string;
  line: number;
}

/** Captured traffic as model inputs, with the endpoint's answers when they were captured. */
export interface CapturedBatch {
  inputs: ModelInputs;
  rows: number;
  /** P(survived) per row, from the captured outputs (empty when outputs were not captured). */
  probabilities: number[];
  /** The endpoint's labels per row (same length as probabilities). */
  labels: number[];
  records: number;
  /** Invocations whose output was missing, so that their rows have no prediction. */
  withoutOutput: number;
}

const ENCODINGS = new Set(["CSV", "JSON", "BASE64"]);

function body(value: unknown, where: string, file: string, line: number): CapturedBody {
  const b = value as Partial<CapturedBody> | undefined;
  if (!b || typeof b !== "object") {
    throw new CaptureError(file, line, `captureData.${where} is missing`);
  }
  if (typeof b.data !== "string") {
    throw new CaptureError(file, line, `captureData.${where}.data is not a string`);
  }
  if (!ENCODINGS.has(String(b.encoding))) {
    throw new CaptureError(
      file,
      line,
      `captureData.${where}.encoding is ${
        JSON.stringify(b.encoding)
      }, expected CSV, JSON or BASE64`,
    );
  }
  return {
    observedContentType: String(b.observedContentType ?? ""),
    mode: String(b.mode ?? ""),
    data: b.data,
    encoding: b.encoding as CapturedBody["encoding"],
  };
}

/** Parses the JSON lines of one capture file. */
export function parseCaptureFile(text: string, file: string): CaptureRecord[] {
  const records: CaptureRecord[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    if (!raw.trim()) continue;
    let object: Record<string, unknown>;
    try {
      object = JSON.parse(raw);
    } catch (err) {
      throw new CaptureError(file, i + 1, `not JSON: ${(err as Error).message}`);
    }
    const data = object?.captureData as Record<string, unknown> | undefined;
    if (!data || typeof data !== "object") {
      throw new CaptureError(file, i + 1, "no captureData object");
    }
    const meta = (object.eventMetadata ?? {}) as Record<string, unknown>;
    records.push({
      input: body(data.endpointInput, "endpointInput", file, i + 1),
      ...(data.endpointOutput
        ? { output: body(data.endpointOutput, "endpointOutput", file, i + 1) }
        : {}),
      ...(meta.eventId ? { eventId: String(meta.eventId) } : {}),
      ...(meta.inferenceTime ? { inferenceTime: String(meta.inferenceTime) } : {}),
      file,
      line: i + 1,
    });
  }
  return records;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body's text: BASE64 decoded, CSV and JSON as they are. */
export function bodyText(b: CapturedBody): string {
  if (b.encoding !== "BASE64") return b.data;
  const binary = atob(b.data.replace(/\s+/g, ""));
  return utf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** Labels and probabilities from a response body the server wrote (JSON, JSON lines, CSV). */
export function parsePredictions(text: string, contentType: string): {
  labels: number[];
  probabilities: number[];
} {
  const type = requestType(contentType);
  let rows: { Survived: unknown; probability: unknown }[];
  if (type === "text/csv") {
    rows = parseCsv(text).map((cells) => ({ Survived: cells[1], probability: cells[2] }));
  } else if (type === "application/jsonlines") {
    rows = text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  } else {
    const parsed = JSON.parse(text);
    if (!Array.isArray(parsed?.predictions)) throw new Error(`no "predictions" list`);
    rows = parsed.predictions;
  }
  const labels = rows.map((r) => Number(r.Survived));
  const probabilities = rows.map((r) => Number(r.probability));
  const bad = [...labels, ...probabilities].findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`prediction ${bad % rows.length} lacks Survived or probability`);
  return { labels, probabilities };
}

/** Turns captured invocations into model inputs `names` and the endpoint's predictions. */
export function capturedBatch(
  records: readonly CaptureRecord[],
  names: readonly string[],
): CapturedBatch {
  const columns: Record<string, (number | string)[]> = Object.fromEntries(
    names.map((n) => [n, []]),
  );
  const probabilities: number[] = [];
  const labels: number[] = [];
  let withoutOutput = 0;
  for (const record of records) {
    let inputs: ModelInputs;
    try {
      const text = bodyText(record.input);
      inputs = encodeInputs(parseBody(text, requestType(record.input.observedContentType)), names);
    } catch (err) {
      const message = err instanceof RequestError
        ? `${err.code}: ${err.message}${err.record === undefined ? "" : ` (record ${err.record}`}${
          err.field === undefined ? "" : `, field ${err.field}`
        }${err.record === undefined ? "" : ")"}`
        : (err as Error).message;
      throw new CaptureError(record.file, record.line, `endpointInput: ${message}`);
    }
    const n = inputs[names[0]].length;
    for (const name of names) for (const v of inputs[name]) columns[name].push(v);
    if (!record.output) {
      withoutOutput++;
      continue;
    }
    let out: { labels: number[]; probabilities: number[] };
    try {
      out = parsePredictions(bodyText(record.output), record.output.observedContentType);
    } catch (err) {
      throw new CaptureError(
        record.file,
        record.line,
        `endpointOutput: ${err instanceof RequestError ? err.message : (err as Error).message}`,
      );
    }
    if (out.labels.length !== n) {
      throw new CaptureError(
        record.file,
        record.line,
        `endpointOutput has ${out.labels.length} predictions for ${n} input records`,
      );
    }
    for (let i = 0; i < n; i++) {
      labels.push(out.labels[i]);
      probabilities.push(out.probabilities[i]);
    }
  }
  const inputs: ModelInputs = Object.fromEntries(
    names.map((n) => [
      n,
      inputSpec(n).type === "float32"
        ? Float32Array.from(columns[n] as number[])
        : columns[n] as string[],
    ]),
  );
  return {
    inputs,
    rows: inputs[names[0]]?.length ?? 0,
    probabilities,
    labels,
    records: records.length,
    withoutOutput,
  };
}

/** Capture files (*.jsonl) under a folder, recursively, sorted by path. */
export async function captureFilesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await captureFilesIn(path));
    else if (entry.isFile && /\.jsonl$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

/** Reads every capture file in a folder. */
export async function readCaptureDir(dir: string): Promise<CaptureRecord[]> {
  const records: CaptureRecord[] = [];
  for (const file of await captureFilesIn(dir)) {
    records.push(...parseCaptureFile(await Deno.readTextFile(file), file));
  }
  return records;
}

/** Splits s3://BUCKET/PREFIX. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) throw new Error(`"${uri}" is not an s3://BUCKET/PREFIX URI`);
  return { bucket: match[1], prefix: match[2] ?? "" };
}

/** Reads every *.jsonl object under s3://BUCKET/PREFIX (all pages of the listing). */
export async function readCaptureS3(s3: S3Client, uri: string): Promise<CaptureRecord[]> {
  const { bucket, prefix } = parseS3Uri(uri);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key && /\.jsonl$/.test(o.Key)) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const records: CaptureRecord[] = [];
  for (const Key of keys.sort()) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    const text = await object.Body?.transformToString("utf-8") ?? "";
    records.push(...parseCaptureFile(text, `s3://${bucket}/${Key}`));
  }
  return records;
}
