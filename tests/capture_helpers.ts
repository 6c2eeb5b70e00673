/**
 * Writes SageMaker data capture records as the endpoint would: the request body and the
 * server's real answer to it (container/payload.ts on the committed model), one JSON line
 * per invocation, with the body encoded as CSV, JSON or BASE64.
 */

import type { RawColumns } from "../src/codec/columns.ts";
import { csvField } from "../src/codec/csv.ts";
import { PASSENGER_FIELDS } from "../src/codec/schema.ts";
import { encodeInputs } from "../src/codec/inputs.ts";
import type { OnnxModel } from "../src/inference/model.ts";
import { formatBody, type MediaType, parseBody } from "../container/payload.ts";

export type Encoding = "CSV" | "JSON" | "BASE64";

const base64 = (text: string) => {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
};

/** One capture line for a request body and the model's answer in `accept`. */
export async function captureLine(
  model: OnnxModel,
  body: string,
  contentType: MediaType,
  accept: MediaType,
  encoding: { input: Encoding; output: Encoding },
  eventId: string,
): Promise<string> {
  const columns = parseBody(body, contentType);
  const out = await model.predict(encodeInputs(columns, model.inputNames));
  const answer = formatBody(columns.numbers.PassengerId, out, accept);
  const part = (mode: string, type: string, text: string, enc: Encoding) => ({
    observedContentType: type,
    mode,
    data: enc === "BASE64" ? base64(text) : text,
    encoding: enc,
  });
  return JSON.stringify({
    captureData: {
      endpointInput: part("INPUT", contentType, body, encoding.input),
      endpointOutput: part("OUTPUT", accept, answer, encoding.output),
    },
    eventMetadata: { eventId, inferenceTime: "2026-12-01T12:00:00Z" },
    eventVersion: "0",
  });
}

/** Passenger objects from raw columns (for JSON bodies). */
export function recordsOf(columns: RawColumns, from = 0, to = columns.length): object[] {
  const out: object[] = [];
  for (let i = from; i < to; i++) {
    const record: Record<string, unknown> = {};
    for (const [name, values] of Object.entries(columns.numbers)) {
      if (!Number.isNaN(values[i])) record[name] = values[i];
    }
    for (const [name, values] of Object.entries(columns.strings)) {
      if (values[i] !== "") record[name] = values[i];
    }
    out.push(record);
  }
  return out;
}

/** A CSV body with a header row of every raw field. */
export function csvOf(columns: RawColumns, from = 0, to = columns.length): string {
  const names = PASSENGER_FIELDS.map((f) => f.name);
  const lines = [names.join(",")];
  for (let i = from; i < to; i++) {
    lines.push(
      names.map((name) => {
        const v = name in columns.numbers ? columns.numbers[name][i] : columns.strings[name][i];
        return typeof v === "number" && Number.isNaN(v) ? "" : csvField(v);
      }).join(","),
    );
  }
  return lines.join("\n") + "\n";
}
