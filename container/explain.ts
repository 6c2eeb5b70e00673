/**
 * Explained predictions: a caller sends `X-Amzn-SageMaker-Custom-Attributes: explain=true`
 * (InvokeEndpoint's CustomAttributes) and every prediction gains its exact TreeSHAP values per
 * raw input, computed from the trees and covers the model file carries.
 *
 * - JSON and JSON lines: `"explanation": {"space": "probability" | "log-odds", "base_value": b,
 *   "contributions": {"Sex": -0.21, "Name": 0.08, ...}}` where base_value + the contributions
 *   = the probability (forest) or the log-odds margin (boosting, probability = sigmoid).
 * - CSV (no header, as today): `PassengerId,Survived,probability,base_value,c1,...,cG`, the
 *   contributions in the model's group order, which the JSON answer lists.
 * Values are rounded to 6 decimals, as the probabilities are.
 * @module
 */

import type { ModelBatch } from "../src/codec/batch.ts";
import type { BatchExplanation } from "../src/inference/explainer.ts";
import type { OnnxModel } from "../src/inference/model.ts";
import { formatBody, type MediaType, type RecordExtras, RequestError } from "./payload.ts";

/**
 * Whether the custom attributes (`key=value` pairs separated by `;` or `,`) ask for
 * explanations; a value other than true/false is a 400 naming the attribute.
 */
export function explainRequested(customAttributes: string | null): boolean {
  if (!customAttributes) return false;
  let wanted = false;
  for (const pair of customAttributes.split(/[;,]/)) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== "explain") continue;
    const value = pair.slice(eq + 1).trim().toLowerCase();
    if (value !== "true" && value !== "false") {
      throw new RequestError(
        400,
        "invalid_custom_attribute",
        `X-Amzn-SageMaker-Custom-Attributes: explain must be true or false, not ` +
          JSON.stringify(pair.slice(eq + 1).trim()),
        undefined,
        "explain",
      );
    }
    wanted = value === "true";
  }
  return wanted;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** Per-record explanation fields and columns, formatted on demand. */
function explanationExtras(e: BatchExplanation): RecordExtras {
  const g = e.groups.length;
  const base = round6(e.base);
  const keys = e.groups.map((name) => JSON.stringify(name));
  const head = `,"explanation":{"space":"${e.space}","base_value":${base},"contributions":{`;
  return {
    json(record) {
      let out = head;
      for (let j = 0; j < g; j++) {
        out += `${j ? "," : ""}${keys[j]}:${round6(e.values[record * g + j])}`;
      }
      return out + "}}";
    },
    csv(record) {
      let out = `,${base}`;
      for (let j = 0; j < g; j++) out += `,${round6(e.values[record * g + j])}`;
      return out;
    },
  };
}

/** Predicts and explains every record of `batch`; the body in the requested media type. */
export async function explainedBody(
  model: OnnxModel,
  batch: ModelBatch,
  type: MediaType,
): Promise<{ body: string; labels: Uint8Array }> {
  const inputs = batch.inputs;
  const explainer = model.explainer;
  if (!explainer) {
    throw new RequestError(
      400,
      "explanation_unavailable",
      "this model file carries no TreeSHAP covers (it predates explanations): retrain it to " +
        "explain, or send the request without explain=true",
    );
  }
  const out = await model.predictWithFeatures(inputs);
  const explanation = explainer.explain(out.features, out.labels.length);
  // The labels too: the server's metrics count the survivors (container/metrics.ts).
  return {
    body: formatBody(batch.ids, out, type, explanationExtras(explanation)),
    labels: out.labels,
  };
}
