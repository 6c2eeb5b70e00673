/**
 * One-hot encoding of a categorical input, like scikit-learn's OneHotEncoder: categories are
 * learned in fit (sorted), optionally after replacing missing values by the most frequent
 * one; categories seen fewer than `minFrequency` times share one "infrequent" column, which
 * also takes unknown values when it exists (handle_unknown="infrequent_if_exist"); otherwise
 * unknown values give all zeros. A missing value that is not imputed is a category of its own.
 * ONNX, strings: ai.onnx.ml.LabelEncoder (string -> index) -> Equal(range) -> Cast.
 * ONNX, numbers: Equal(x, categories) -> Cast.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { castTo, type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";
import { type FeatureBlock, numericInput, requireFitted, type Transformer } from "./transformer.ts";

export interface OneHotOptions {
  /** Replace missing values ("" or NaN) by the most frequent value before encoding. */
  imputeMostFrequent?: boolean;
  /** Categories rarer than this are grouped (scikit-learn's `min_frequency`). */
  minFrequency?: number;
}

interface Fitted {
  /** Known values and the column each maps to. */
  keys: (string | number)[];
  columnOf: number[];
  /** Column names. */
  names: string[];
  /** Column for values not in keys, or -1 (all zeros). */
  unknownColumn: number;
  /** Whether the input is a string column (else float32). */
  strings: boolean;
  /** Value that replaces a missing one, when imputing. */
  fill?: string | number;
}

const isMissingValue = (v: string | number) => v === "" || Number.isNaN(v);

function mostFrequent(counts: Map<string | number, number>): string | number {
  let best: string | number = "";
  let bestCount = -1;
  for (const [value, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (count > bestCount) [best, bestCount] = [value, count];
  }
  return best;
}

/** One-hot encoder for one string or float32 input. */
export class OneHotEncoder implements Transformer {
  readonly inputs: readonly string[];
  #fitted?: Fitted;

  constructor(readonly input: string, readonly options: OneHotOptions = {}) {
    this.inputs = [input];
  }

  #values(data: ModelInputs): (string | number)[] {
    const column = data[this.input];
    return Array.isArray(column) ? column : Array.from(numericInput(data, this.input));
  }

  fit(data: ModelInputs): this {
    const strings = Array.isArray(data[this.input]);
    if (!strings && (this.options.imputeMostFrequent || this.options.minFrequency)) {
      // Numeric categories (Pclass) are complete and required; grouping is for strings.
      throw new Error(`OneHotEncoder("${this.input}"): grouping and imputation need strings`);
    }
    let values = this.#values(data);
    let fill: string | number | undefined;
    if (this.options.imputeMostFrequent) {
      const counts = new Map<string | number, number>();
      for (const v of values) if (!isMissingValue(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
      fill = mostFrequent(counts);
      values = values.map((v) => (isMissingValue(v) ? fill! : v));
    }
    const counts = new Map<string | number, number>();
    for (const v of values) {
      // A missing number is never a category: it encodes as all zeros, like an unknown one.
      if (typeof v === "number" && Number.isNaN(v)) continue;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const sorted = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const min = this.options.minFrequency ?? 0;
    const frequent = sorted.filter((v) => counts.get(v)! >= min);
    const rare = sorted.filter((v) => counts.get(v)! < min);
    const label = (v: string | number) => `${this.input}=${v === "" ? "missing" : v}`;
    const names = frequent.map(label);
    const unknownColumn = rare.length > 0 ? names.push(`${this.input}=infrequent`) - 1 : -1;
    const keys = [...frequent, ...rare];
    const columnOf = [...frequent.map((_, i) => i), ...rare.map(() => unknownColumn)];
    if (fill !== undefined) {
      keys.push(typeof fill === "string" ? "" : NaN);
      columnOf.push(columnOf[keys.indexOf(fill)]);
    }
    this.#fitted = { keys, columnOf, names, unknownColumn, fill, strings };
    return this;
  }

  transform(data: ModelInputs): FeatureBlock {
    const f = requireFitted(this.#fitted, "OneHotEncoder");
    const values = this.#values(data);
    const lookup = new Map<string | number, number>();
    f.keys.forEach((k, i) => lookup.set(k, f.columnOf[i]));
    const columns = f.names.map(() => new Float32Array(values.length));
    values.forEach((v, r) => {
      const column = lookup.get(v) ?? f.unknownColumn;
      if (column >= 0) columns[column][r] = 1;
    });
    return { names: [...f.names], columns };
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "OneHotEncoder");
    const x = tensors[this.input];
    const k = f.names.length;
    let hot: string;
    if (f.strings) {
      const codes = g.op("LabelEncoder", [x], {
        domain: ML_DOMAIN,
        attributes: {
          keys_strings: { strings: f.keys as string[] },
          values_int64s: { ints: f.columnOf },
          default_int64: { int: f.unknownColumn },
        },
      });
      const range = g.int64s(`${this.input}_columns`, Array.from({ length: k }, (_, i) => i), [
        1,
        k,
      ]);
      hot = g.op("Equal", [codes, range]);
    } else {
      // Numbers: compare with each category; NaN and unknown values match none.
      hot = g.op("Equal", [x, g.floats(`${this.input}_categories`, f.keys as number[], [1, k])]);
    }
    return g.op("Cast", [hot], { attributes: castTo("float32") });
  }

  /** The card's categories of this encoder's input (see {@link Transformer.knownCategories}). */
  knownCategories(input: string): (string | number)[] | undefined {
    return input === this.input ? this.categories() : undefined;
  }

  /** The values learned in fit, one per known category (grouped ones included). */
  categories(): (string | number)[] {
    const f = requireFitted(this.#fitted, "OneHotEncoder");
    return f.fill === undefined ? [...f.keys] : f.keys.slice(0, -1);
  }

  describe(): Record<string, unknown> {
    const f = requireFitted(this.#fitted, "OneHotEncoder");
    return {
      step: "OneHotEncoder",
      input: this.input,
      ...this.options,
      columns: f.names,
      ...(f.fill === undefined ? {} : { missingFilledWith: f.fill }),
    };
  }
}
