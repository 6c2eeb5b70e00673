/**
 * The model contract: which tensors the ONNX graph takes and how they are made from raw
 * columns. Numeric fields go in as float32 (NaN = missing), string fields as strings
 * ("" = missing). Two string inputs are derived from raw text here, because ONNX opset 17
 * has no substring operators: `Title` from `Name` and `Deck` from `Cabin`. Training,
 * `predict` and the server all call {@link encodeInputs}, so they cannot disagree.
 * @module
 */

import type { RawColumns } from "./columns.ts";
import { PASSENGER_FIELDS } from "./schema.ts";

/** Element type of a graph input. */
export type InputType = "float32" | "string";

/** One graph input, shape [N,1]. */
export interface InputSpec {
  readonly name: string;
  readonly type: InputType;
  /** The raw field it is made from. */
  readonly source: string;
  /** How it is made, when it is not the raw field itself. */
  readonly derivation?: "title" | "deck";
}

/** Tensors for the graph's inputs, one flat column each. */
export type ModelInputs = Record<string, Float32Array | string[]>;

const TITLE = /,\s*([^.]*?)\s*\./;
const TITLE_SYNONYMS: Readonly<Record<string, string>> = { Mlle: "Miss", Ms: "Miss", Mme: "Mrs" };

/** "Braund, Mr. Owen Harris" -> "Mr"; French and modern forms map to Miss/Mrs; "" if none. */
export function titleOf(name: string): string {
  const match = TITLE.exec(name);
  if (!match) return "";
  const title = match[1];
  return TITLE_SYNONYMS[title] ?? title;
}

/** "C85" -> "C"; "F G73" -> "F"; "" when the cabin is unknown. */
export function deckOf(cabin: string): string {
  const match = /[A-Za-z]/.exec(cabin);
  return match ? match[0].toUpperCase() : "";
}

/** Every input a pipeline may use. */
export const INPUT_CATALOGUE: Readonly<Record<string, InputSpec>> = Object.fromEntries([
  ...PASSENGER_FIELDS.map((f): [string, InputSpec] => [
    f.name,
    { name: f.name, type: f.kind === "string" ? "string" : "float32", source: f.name },
  ]),
  ["Title", { name: "Title", type: "string", source: "Name", derivation: "title" }],
  ["Deck", { name: "Deck", type: "string", source: "Cabin", derivation: "deck" }],
]);

/** The spec of a named input; throws for a name the codec does not know. */
export function inputSpec(name: string): InputSpec {
  const spec = INPUT_CATALOGUE[name];
  if (!spec) throw new Error(`unknown model input "${name}"`);
  return spec;
}

/** Makes the tensors for inputs `names` from raw columns. */
export function encodeInputs(columns: RawColumns, names: readonly string[]): ModelInputs {
  const out: ModelInputs = {};
  for (const name of names) {
    const spec = inputSpec(name);
    if (spec.type === "float32") {
      out[name] = Float32Array.from(columns.numbers[spec.source]);
    } else if (spec.derivation === "title") {
      out[name] = columns.strings[spec.source].map(titleOf);
    } else if (spec.derivation === "deck") {
      out[name] = columns.strings[spec.source].map(deckOf);
    } else {
      out[name] = columns.strings[spec.source].slice();
    }
  }
  return out;
}
