/**
 * Steps that derive a string column from a raw one, inside the model: the title from the name
 * and the deck from the cabin. In the graph: onnxruntime's com.microsoft.Tokenizer extracts the
 * first match of a regular expression, and ai.onnx.ml.LabelEncoder maps it. In TypeScript the
 * same expression and table give the same strings, so the model takes raw Name and Cabin.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { type GraphBuilder, ML_DOMAIN, MS_DOMAIN } from "../onnx/builder.ts";
import { requireFitted, stringInput } from "./transformer.ts";

/** A step that adds a string column to the pipeline's data. */
export interface Derivation {
  readonly inputs: readonly string[];
  /** Name of the derived column (a later step's input). */
  readonly output: string;
  fit(data: ModelInputs): this;
  derive(data: ModelInputs): string[];
  /** Adds the nodes; returns the [N,1] string tensor equal to {@link derive}. */
  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string;
  describe(): Record<string, unknown>;
}

/** First match of `pattern` in `text`, or "" (the Tokenizer's padding) when there is none. */
function firstMatch(pattern: RegExp, text: string): string {
  return pattern.exec(text)?.[0] ?? "";
}

/**
 * com.microsoft.Tokenizer: every match of `expression` (RE2, longest match at each position) in
 * each string of `input` [N,1], as [N,1,T] padded with "".
 */
export function tokenizerNode(g: GraphBuilder, input: string, expression: string): string {
  return g.op("Tokenizer", [input], {
    domain: MS_DOMAIN,
    attributes: {
      mark: { int: 0 },
      mincharnum: { int: 1 },
      pad_value: { string: "" },
      tokenexp: { string: expression },
    },
  });
}

/**
 * The graph for {@link firstMatch}: Tokenizer -> pad with "" (a batch may have no match at all)
 * -> first token -> [N,1].
 */
function firstMatchOnnx(g: GraphBuilder, input: string, expression: string): string {
  const tokens = tokenizerNode(g, input, expression);
  const shape = g.op("Shape", [input]);
  const padShape = g.op("Concat", [shape, g.int64s("one_i64", [1])], {
    attributes: { axis: { int: 0 } },
  });
  const pad = g.op("Expand", [g.strings("empty", [""], [1, 1, 1]), padShape]);
  const padded = g.op("Concat", [tokens, pad], { attributes: { axis: { int: 2 } } });
  const first = g.op("Slice", [
    padded,
    g.int64s("zero_i64", [0]),
    g.int64s("one_i64", [1]),
    g.int64s("axis2", [2]),
  ]);
  return g.op("Reshape", [first, shape]);
}

function mapStrings(
  g: GraphBuilder,
  input: string,
  keys: readonly string[],
  values: readonly string[],
  fallback: string,
): string {
  return g.op("LabelEncoder", [input], {
    domain: ML_DOMAIN,
    attributes: {
      keys_strings: { strings: keys.length ? keys : ["\u0000"] },
      values_strings: { strings: values.length ? values : [fallback] },
      default_string: { string: fallback },
    },
  });
}

// ", Mr." in "Braund, Mr. Owen Harris". Only literal spaces: JavaScript's \s and RE2's differ.
const TITLE_MATCH = /, *[^.]*\./;
const TITLE_SYNONYMS: Readonly<Record<string, string>> = { Mlle: "Miss", Ms: "Miss", Mme: "Mrs" };

/** ", the Countess." -> "the Countess"; French and modern forms map to Miss and Mrs. */
export function titleFromMatch(match: string): string {
  const title = match.replace(/^, */, "").replace(/\.$/, "").trim();
  return TITLE_SYNONYMS[title] ?? title;
}

/**
 * Title from the name: the forms seen in training ("<comma> Title.") map to their title; any
 * other form, or a name without one, gives "" (an unknown category downstream).
 */
export class TitleFromName implements Derivation {
  readonly inputs: readonly string[] = ["Name"];
  readonly output = "Title";
  #table?: Map<string, string>;

  fit(data: ModelInputs): this {
    const table = new Map<string, string>();
    for (const name of stringInput(data, "Name")) {
      const match = firstMatch(TITLE_MATCH, name);
      if (match) table.set(match, titleFromMatch(match));
    }
    this.#table = new Map([...table].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return this;
  }

  derive(data: ModelInputs): string[] {
    const table = requireFitted(this.#table, "TitleFromName");
    return stringInput(data, "Name").map((n) => table.get(firstMatch(TITLE_MATCH, n)) ?? "");
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const table = requireFitted(this.#table, "TitleFromName");
    const match = firstMatchOnnx(g, tensors.Name, TITLE_MATCH.source);
    return mapStrings(g, match, [...table.keys()], [...table.values()], "");
  }

  describe(): Record<string, unknown> {
    const table = requireFitted(this.#table, "TitleFromName");
    return {
      step: "TitleFromName",
      input: "Name",
      output: "Title",
      pattern: TITLE_MATCH.source,
      titles: [...new Set(table.values())].sort(),
    };
  }
}

// "Braund" in "Braund, Mr. Owen Harris": everything before the first comma. Anchored, the
// Tokenizer yields at most one token per name: half the time of /[^,]+/, which also tokenized
// the rest of the name (`deno task profile:tokenizers`).
const SURNAME_MATCH = /^[^,]+/;

/**
 * Surname from the name: the text before the first comma; "" (missing: no known group) for an
 * empty name or one that starts with a comma.
 */
export class SurnameFromName implements Derivation {
  readonly inputs: readonly string[] = ["Name"];
  readonly output = "Surname";

  fit(_data: ModelInputs): this {
    return this;
  }

  derive(data: ModelInputs): string[] {
    return stringInput(data, "Name").map((n) => firstMatch(SURNAME_MATCH, n));
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    return firstMatchOnnx(g, tensors.Name, SURNAME_MATCH.source);
  }

  describe(): Record<string, unknown> {
    return {
      step: "SurnameFromName",
      input: "Name",
      output: "Surname",
      pattern: SURNAME_MATCH.source,
    };
  }
}

const LETTER = /[A-Za-z]/;
const LETTERS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"];

/** Deck from the cabin: its first letter, upper-cased ("C85" -> "C"); "" when there is none. */
export class DeckFromCabin implements Derivation {
  readonly inputs: readonly string[] = ["Cabin"];
  readonly output = "Deck";

  fit(_data: ModelInputs): this {
    return this;
  }

  derive(data: ModelInputs): string[] {
    return stringInput(data, "Cabin").map((c) => firstMatch(LETTER, c).toUpperCase());
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const letter = firstMatchOnnx(g, tensors.Cabin, LETTER.source);
    return mapStrings(g, letter, LETTERS, LETTERS.map((l) => l.toUpperCase()), "");
  }

  describe(): Record<string, unknown> {
    return { step: "DeckFromCabin", input: "Cabin", output: "Deck", pattern: LETTER.source };
  }
}
