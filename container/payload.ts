/**
 * Request bodies to raw passenger columns, and predictions to response bodies, for every
 * media type the endpoint speaks. Bad input becomes a {@link RequestError} (a 4xx), never a
 * crash.
 * @module
 */

import { BatchBuilder, type ModelBatch } from "../src/codec/batch.ts";
import {
  cellsInto,
  columnsFromRecords,
  columnsFromRows,
  type RawColumns,
  recordsInto,
  rowsInto,
} from "../src/codec/columns.ts";
import { type CsvCells, CsvError, scanCsv } from "../src/codec/csv.ts";
import { jsonSyntaxProblem } from "../src/codec/json_syntax.ts";
import { HEADERLESS_COLUMNS, headerlessColumns, PASSENGER_FIELDS } from "../src/codec/schema.ts";
import { FieldError } from "../src/codec/values.ts";
import type { Predictions } from "../src/inference/model.ts";

/** An error answered with `status` and a JSON body. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly record?: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = "RequestError";
  }

  body(): Record<string, unknown> {
    return {
      error: this.code,
      message: this.message,
      ...(this.record === undefined ? {} : { record: this.record }),
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}

/** Media types of request bodies. */
export const REQUEST_TYPES = ["application/json", "text/csv", "application/jsonlines"] as const;
/** Media types of responses. */
export const RESPONSE_TYPES = ["application/json", "text/csv", "application/jsonlines"] as const;
export type MediaType = (typeof REQUEST_TYPES)[number];

const ALIASES: Record<string, MediaType> = {
  "application/json": "application/json",
  "text/csv": "text/csv",
  "application/csv": "text/csv",
  "application/jsonlines": "application/jsonlines",
  "application/jsonl": "application/jsonlines",
  "application/x-jsonlines": "application/jsonlines",
  "application/x-ndjson": "application/jsonlines",
};

/** Charsets a body may declare: it is read as UTF-8, of which US-ASCII is a part. */
const UTF8_CHARSETS = new Set(["utf-8", "utf8", "us-ascii"]);

/** The media type of a Content-Type header; 415 when unsupported or not UTF-8. */
export function requestType(header: string | null): MediaType {
  // Headers given twice arrive joined by ", ": the same value twice is that value.
  const given = [...new Set((header ?? "").split(",").map((s) => s.trim().toLowerCase()))];
  if (given.length > 1) {
    throw new RequestError(
      400,
      "invalid_content_type",
      `Content-Type is given more than once, with different values (${JSON.stringify(header)})`,
    );
  }
  const [essence, ...params] = given[0].split(";").map((s) => s.trim());
  const type = ALIASES[essence];
  if (!type) {
    throw new RequestError(
      415,
      "unsupported_media_type",
      `Content-Type ${JSON.stringify(header ?? "")} is not supported; use ${
        REQUEST_TYPES.join(", ")
      }`,
    );
  }
  const charsets = params.filter((p) => p.startsWith("charset="))
    .map((p) => p.slice(8).replace(/^"(.*)"$/, "$1"));
  if (charsets.some((charset) => !UTF8_CHARSETS.has(charset))) {
    throw new RequestError(
      415,
      "unsupported_charset",
      `Content-Type ${JSON.stringify(header)}: bodies are read as UTF-8; send them in UTF-8 ` +
        "(charset=utf-8, or no charset)",
    );
  }
  return type;
}

/** One media range of an Accept header. */
interface MediaRange {
  range: string;
  q: number;
  /** Its place in the header: the first of equal ranges wins. */
  at: number;
}

/** A q value as RFC 9110 spells it (0 to 1, up to three decimals); any other is ignored. */
const QUALITY = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

function mediaRanges(header: string): MediaRange[] {
  return header.split(",").flatMap((part, at) => {
    const [range, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (!range) return [];
    const q = params.map((p) => /^q\s*=\s*(.*)$/.exec(p)?.[1]).find((v) => v !== undefined);
    return [{ range, q: q !== undefined && QUALITY.test(q) ? Number(q) : 1, at }];
  });
}

/**
 * How much the ranges want `type`: the q of the most specific range that matches it (its own
 * name or an alias, then type/*, then * /*), as RFC 9110 section 12.5.1 has it.
 */
function wanted(type: MediaType, ranges: readonly MediaRange[]): MediaRange | undefined {
  const main = type.split("/")[0];
  const specificity = (range: string) =>
    ALIASES[range] === type ? 3 : range === `${main}/*` ? 2 : range === "*/*" ? 1 : 0;
  let best: MediaRange | undefined;
  let bestSpecificity = 0;
  for (const r of ranges) {
    const s = specificity(r.range);
    if (s > bestSpecificity) [best, bestSpecificity] = [r, s];
  }
  return best;
}

/**
 * The response type for an Accept header: JSON when absent; else the type wanted most (q > 0),
 * the first named on a tie, JSON before CSV before JSON lines when one range names several;
 * 406 when none is wanted.
 */
export function responseType(header: string | null): MediaType {
  if (!header || !header.trim()) return "application/json";
  const ranges = mediaRanges(header);
  let chosen: { type: MediaType; range: MediaRange } | undefined;
  for (const type of RESPONSE_TYPES) {
    const range = wanted(type, ranges);
    if (!range || range.q <= 0) continue;
    if (
      !chosen || range.q > chosen.range.q ||
      (range.q === chosen.range.q && range.at < chosen.range.at)
    ) {
      chosen = { type, range };
    }
  }
  if (chosen) return chosen.type;
  throw new RequestError(
    406,
    "not_acceptable",
    `Accept ${JSON.stringify(header)} matches none of ${RESPONSE_TYPES.join(", ")}`,
  );
}

function fromFieldError(err: unknown): never {
  if (err instanceof FieldError) {
    throw new RequestError(400, "invalid_field", err.message, err.record, err.field);
  }
  throw err;
}

/** What the body readers build from records or rows: raw columns, or the model's batch. */
interface Target<T> {
  records(list: readonly unknown[]): T;
  rows(header: readonly string[], data: readonly (readonly unknown[])[]): T;
  /** The CSV rows `from`.. of `cells` under `header`. */
  cells(header: readonly string[], cells: CsvCells, from: number): T;
}

/** Every field; CSV as rows of strings (the reference the server's cell reader is tested on). */
const RAW: Target<RawColumns> = {
  records: columnsFromRecords,
  rows: columnsFromRows,
  cells: (header, cells, from) =>
    columnsFromRows(
      header,
      Array.from({ length: cells.rows - from }, (_, r) => cells.rowTexts(from + r)),
    ),
};

/** Straight into the graph inputs `inputNames`: no intermediate columns. */
function batchOf(inputNames: readonly string[]): Target<ModelBatch> {
  return {
    records(list) {
      const builder = new BatchBuilder(inputNames, list.length);
      recordsInto(list, builder);
      return builder.build();
    },
    rows(header, data) {
      const builder = new BatchBuilder(inputNames, data.length);
      rowsInto(header, data, builder);
      return builder.build();
    },
    cells(header, cells, from) {
      const builder = new BatchBuilder(inputNames, cells.rows - from);
      cellsInto(header, cells, from, builder);
      return builder.build();
    },
  };
}

function records<T>(target: Target<T>, list: readonly unknown[]): T {
  try {
    return target.records(list);
  } catch (err) {
    fromFieldError(err);
  }
}

function rows<T>(
  target: Target<T>,
  header: readonly string[],
  data: readonly (readonly unknown[])[],
): T {
  try {
    return target.rows(header, data);
  } catch (err) {
    fromFieldError(err);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** The keys of a JSON body that hold its records (SageMaker's, MLflow's and TF Serving's). */
const ENVELOPES = ["instances", "dataframe_records", "dataframe_split", "inputs"] as const;

const FIELD_NAMES = new Set(PASSENGER_FIELDS.map((f) => f.name));

/**
 * A header names each passenger field once: a second value for a field would be dropped
 * unseen. (Columns the model does not read may repeat, as blank names of trailing commas do.)
 */
function uniqueColumns(names: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (!FIELD_NAMES.has(name)) continue;
    if (seen.has(name)) {
      throw new RequestError(
        400,
        where.startsWith("the CSV") ? "malformed_csv" : "invalid_payload",
        `${where} names ${JSON.stringify(name)} twice`,
        undefined,
        name,
      );
    }
    seen.add(name);
  }
}

/** JSON bodies: a record, a list, instances, inputs, dataframe_split, dataframe_records. */
function parseJson<T>(text: string, target: Target<T>): T {
  // A blank body holds no records, as a blank CSV or JSON-lines body does: not broken JSON.
  if (!/\S/.test(text)) return records(target, []);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestError(
      400,
      "malformed_json",
      `the body is not JSON: ${jsonSyntaxProblem(text)}`,
    );
  }
  if (Array.isArray(body)) return records(target, body);
  if (!isObject(body)) {
    throw new RequestError(400, "invalid_payload", "expected a JSON object or array of passengers");
  }
  const envelopes = ENVELOPES.filter((key) => key in body);
  if (envelopes.length > 1) {
    throw new RequestError(
      400,
      "invalid_payload",
      `the body gives ${envelopes.map((k) => `"${k}"`).join(" and ")}: send the records in one`,
    );
  }
  if ("instances" in body) {
    if (!Array.isArray(body.instances)) {
      throw new RequestError(
        400,
        "invalid_payload",
        `"instances" must be a list`,
        undefined,
        "instances",
      );
    }
    return records(target, body.instances);
  }
  if ("dataframe_records" in body) {
    if (!Array.isArray(body.dataframe_records)) {
      throw new RequestError(400, "invalid_payload", `"dataframe_records" must be a list`);
    }
    return records(target, body.dataframe_records);
  }
  if ("dataframe_split" in body) {
    const split = body.dataframe_split;
    if (
      !isObject(split) || !Array.isArray(split.columns) || !Array.isArray(split.data) ||
      !split.columns.every((c) => typeof c === "string")
    ) {
      throw new RequestError(
        400,
        "invalid_payload",
        `"dataframe_split" needs "columns" (names) and "data" (rows of that many values)`,
      );
    }
    const columns = split.columns as string[];
    uniqueColumns(columns, `"dataframe_split" "columns"`);
    split.data.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== columns.length) {
        throw new RequestError(
          400,
          "invalid_payload",
          `"dataframe_split" row ${r} ${
            Array.isArray(row) ? `has ${row.length} values` : "is not a list"
          }; "columns" names ${columns.length}`,
          r,
        );
      }
    });
    return rows(target, columns, split.data as unknown[][]);
  }
  if ("inputs" in body) {
    const inputs = body.inputs;
    if (Array.isArray(inputs)) return records(target, inputs);
    if (isObject(inputs) && Object.values(inputs).every(Array.isArray)) {
      // Columnar: {"Pclass": [1, 3], "Sex": ["female", "male"]}
      const names = Object.keys(inputs);
      const lengths = new Set(Object.values(inputs).map((v) => (v as unknown[]).length));
      if (lengths.size > 1) {
        throw new RequestError(400, "invalid_payload", `"inputs" columns differ in length`);
      }
      const n = lengths.size ? [...lengths][0] : 0;
      const data = Array.from(
        { length: n },
        (_, i) => names.map((c) => (inputs[c] as unknown[])[i]),
      );
      return rows(target, names, data);
    }
    if (isObject(inputs)) return records(target, [inputs]);
    throw new RequestError(400, "invalid_payload", `"inputs" must be a record, a list or columns`);
  }
  return records(target, [body]);
}

/** A CSV's first row is a header when it names the fields every record needs. */
const isHeader = (first: readonly string[]) => first.includes("Pclass") && first.includes("Sex");

/** CSV: a header row naming Pclass and Sex, or Kaggle's column order (test.csv, or train.csv). */
function parseCsvBody<T>(text: string, target: Target<T>): T {
  let cells: CsvCells;
  try {
    cells = scanCsv(text);
  } catch (err) {
    if (err instanceof CsvError) {
      // The record is the row's place among the data rows: a header row is not one.
      const row = err.row ?? err.line - 1;
      const headed = err.before !== undefined && err.before.rows > 0 &&
        isHeader(err.before.rowTexts(0).map((c) => c.trim()));
      throw new RequestError(400, "malformed_csv", err.message, headed ? row - 1 : row);
    }
    throw err;
  }
  if (cells.rows === 0) return rows(target, HEADERLESS_COLUMNS, []);
  const first = cells.rowTexts(0).map((c) => c.trim());
  if (isHeader(first)) {
    uniqueColumns(first, "the CSV header");
    for (let r = 1; r < cells.rows; r++) {
      // Fewer cells are missing values at the end (as pandas reads them); more have no column.
      if (cells.width(r) > first.length) {
        throw new RequestError(
          400,
          "malformed_csv",
          `line ${cells.line(r)} has ${cells.width(r)} fields; the header names ${first.length}`,
          r - 1,
        );
      }
    }
    return fromCells(target, first, cells, 1);
  }
  const width = cells.width(0);
  const header = headerlessColumns(width);
  if (!header) {
    throw new RequestError(
      400,
      "malformed_csv",
      `a CSV without a header row needs ${HEADERLESS_COLUMNS.length} fields in Kaggle order ` +
        `(${HEADERLESS_COLUMNS.join(",")}); line ${cells.line(0)} has ${width}`,
      0,
    );
  }
  for (let r = 1; r < cells.rows; r++) {
    if (cells.width(r) !== width) {
      throw new RequestError(
        400,
        "malformed_csv",
        `line ${cells.line(r)} has ${cells.width(r)} fields, expected ${width}`,
        r,
      );
    }
  }
  return fromCells(target, header, cells, 0);
}

function fromCells<T>(target: Target<T>, header: readonly string[], cells: CsvCells, from: number) {
  try {
    return target.cells(header, cells, from);
  } catch (err) {
    fromFieldError(err);
  }
}

/**
 * JSON lines: one passenger object per non-blank line, from the body's text in pieces
 * (body_pieces.ts) or whole (one piece). A line may run from one piece into the next.
 */
function parseJsonLines<T>(pieces: readonly string[], target: Target<T>): T {
  const list: unknown[] = [];
  let number = 0;
  const line = (text: string) => {
    number++;
    if (!text.trim()) return;
    try {
      list.push(JSON.parse(text));
    } catch {
      throw new RequestError(
        400,
        "malformed_json",
        `line ${number} is not JSON: ${jsonSyntaxProblem(text)}`,
        list.length,
      );
    }
  };
  let carried = "";
  for (const piece of pieces) {
    const lines = piece.split("\n");
    lines[0] = carried + lines[0];
    carried = lines.pop()!;
    lines.forEach(line);
  }
  line(carried);
  return records(target, list);
}

/**
 * A JSON list cut between records (body_pieces.ts), parsed piece by piece: the first piece
 * ends with a record, each later one starts with the comma before its first. Undefined when a
 * piece is not such a list, for the whole text to say why.
 */
export function listFromPieces(pieces: readonly string[]): unknown[] | undefined {
  const list: unknown[] = [];
  const last = pieces.length - 1;
  for (const [i, piece] of pieces.entries()) {
    const opened = i === 0 ? piece : "[" + piece.slice(piece.indexOf(",") + 1);
    let part: unknown;
    try {
      part = JSON.parse(i === last ? opened : opened + "]");
    } catch {
      return undefined;
    }
    if (!Array.isArray(part)) return undefined;
    for (const item of part) list.push(item);
  }
  return list;
}

/** Parses a request body of the given media type into raw columns (of every field). */
export function parseBody(text: string, type: MediaType): RawColumns {
  return read(text, type, RAW);
}

function read<T>(text: string, type: MediaType, target: Target<T>): T {
  if (type === "application/json") return parseJson(text, target);
  if (type === "text/csv") return parseCsvBody(text, target);
  return parseJsonLines([text], target);
}

/**
 * Parses a request body straight into the graph's inputs `inputNames` (the server's path): the
 * same reading and checks as {@link parseBody}, so the same errors, but each record's values go
 * from JSON.parse's objects or the CSV reader's rows into the inputs' float32 and string arrays,
 * without columns of every field in between and a copy of them.
 */
export function parseBatch(
  text: string,
  type: MediaType,
  inputNames: readonly string[],
): ModelBatch {
  return read(text, type, batchOf(inputNames));
}

/**
 * As {@link parseBatch}, from the body's text in pieces (body_pieces.ts `decodePieces`): the
 * same batch and the same errors as from the pieces joined.
 */
export function parseBatchPieces(
  pieces: readonly string[],
  type: MediaType,
  inputNames: readonly string[],
): ModelBatch {
  const target = batchOf(inputNames);
  if (pieces.length > 1) {
    if (type === "application/jsonlines") return parseJsonLines(pieces, target);
    const list = type === "application/json" ? listFromPieces(pieces) : undefined;
    if (list) return records(target, list);
  }
  return read(pieces.join(""), type, target);
}

export type { ModelBatch };

/**
 * One prediction as a JSON object: `{"PassengerId":892,"Survived":0,"probability":0.071434}`,
 * PassengerId only when the record had one; `extra` holds further fields (`,"name":value`).
 * Written as text: JSON.stringify of an object per record cost a tenth of a 1000-record request.
 */
function predictionJson(id: number, label: number, probability: number, extra: string): string {
  return (Number.isNaN(id) ? "{" : `{"PassengerId":${id},`) +
    `"Survived":${label},"probability":${probability}${extra}}`;
}

/** More per-record output: JSON fields (`,"name":value`) and CSV columns (`,value`). */
export interface RecordExtras {
  json(record: number): string;
  csv(record: number): string;
}

/**
 * Formats the predictions for records whose PassengerIds are `ids` (NaN: none; in request
 * order) as a response body of media type `type`; probabilities are rounded to 6 decimals.
 */
export function formatBody(
  ids: Float64Array,
  out: Predictions,
  type: MediaType,
  extras?: RecordExtras,
): string {
  const n = out.labels.length;
  let body = type === "application/json" ? `{"predictions":[` : "";
  for (let i = 0; i < n; i++) {
    const label = out.labels[i] ? 1 : 0;
    const probability = Math.round(out.probabilities[i] * 1e6) / 1e6;
    if (type === "text/csv") {
      // One line per input record, no header (Batch Transform joins lines by position).
      body += `${Number.isNaN(ids[i]) ? "" : ids[i]},${label},${probability}${
        extras?.csv(i) ?? ""
      }\n`;
    } else if (type === "application/jsonlines") {
      body += predictionJson(ids[i], label, probability, extras?.json(i) ?? "") + "\n";
    } else {
      body += (i ? "," : "") + predictionJson(ids[i], label, probability, extras?.json(i) ?? "");
    }
  }
  return type === "application/json" ? body + "]}" : body;
}
