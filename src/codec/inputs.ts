/**
 * The model contract: the graph takes one tensor per raw column it uses, shape [N,1]: numeric
 * fields as float32 (NaN = missing), string fields as strings ("" = missing). Training,
 * `predict` and the server all call {@link encodeInputs}, so they cannot disagree. (The title and
 * deck are derived inside the model, see src/pipeline/derive.ts.)
 * @module
 */

import type { RawColumns } from "./columns.ts";
import { PASSENGER_FIELDS } from "./schema.ts";

/** Element type of a graph input. */
export type InputType = "float32" | "string";

/** One graph input, shape [N,1]: a raw field. */
export interface InputSpec {
  readonly name: string;
  readonly type: InputType;
}

/** Tensors for the graph's inputs (and derived columns inside a pipeline), one flat column each. */
export type ModelInputs = Record<string, Float32Array | string[]>;

/** Every input a pipeline may use: the raw passenger fields. */
export const INPUT_CATALOGUE: Readonly<Record<string, InputSpec>> = Object.fromEntries(
  PASSENGER_FIELDS.map((f): [string, InputSpec] => [
    f.name,
    { name: f.name, type: f.kind === "string" ? "string" : "float32" },
  ]),
);

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
    out[name] = inputSpec(name).type === "float32"
      ? Float32Array.from(columns.numbers[name])
      : columns.strings[name].slice();
  }
  return out;
}
