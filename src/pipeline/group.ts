/**
 * Group survival: passengers who travel together share fate, the women and boys of a group
 * above all (public Kaggle work on "woman-child groups"). For a passenger, the step reports
 * what the labelled training rows say about their group:
 *
 * - `<Kind>Survival`: the survival rate of the group's labelled women and boys (Sex female, or
 *   title Master), 0.5 (an even chance, neutral) when the group has none;
 * - `<Kind>Known`: how many labelled women and boys the group has.
 *
 * Two kinds of group: `family` (same surname, ticket class, fare and port: a family travels on
 * one fare, and the refinement keeps apart unrelated passengers who share a surname) and
 * `ticket` (same ticket: families plus nannies, friends and servants).
 *
 * Leakage: for a training row the statistics are computed without its own label
 * (leave-one-out, {@link GroupSurvival.fitTransform}), i.e. exactly as if it were a new
 * passenger; in cross-validation the tables come from the training fold only, since the
 * step is fitted there. A prediction never depends on the other rows of a request: the
 * tables are fixed at fit time.
 *
 * ONNX: the group key is built from raw fields inside the graph. Each key part goes through
 * an ai.onnx.ml.LabelEncoder to its index in the part's vocabulary (an unknown or missing
 * value to an extra "unknown" index), the indices are combined in mixed radix (int64 Mul and
 * Add), and two more LabelEncoders map the key to the group's sum of survivals and count;
 * then Div and Where (neutral value when the count is 0).
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import { type GraphBuilder, ML_DOMAIN } from "../onnx/builder.ts";
import { type FeatureBlock, requireFitted, rowCount, stringInput } from "./transformer.ts";
import type { Transformer } from "./transformer.ts";

/** How passengers are grouped. */
export type GroupKind = "family" | "ticket";

/** The raw or derived columns that make up each kind's key, in order. */
const KEY_PARTS: Readonly<Record<GroupKind, readonly string[]>> = {
  family: ["Surname", "Pclass", "Fare", "Embarked"],
  ticket: ["Ticket"],
};

/** Survival rate reported for a group without labelled women or boys: an even chance. */
export const NEUTRAL_SURVIVAL = 0.5;

type PartValue = string | number;

/** One key part's vocabulary: sorted known values; index `values.length` is "unknown". */
interface Vocabulary {
  readonly values: readonly PartValue[];
  readonly strings: boolean;
}

interface Fitted {
  vocabularies: Vocabulary[];
  /** Key -> [sum of survivals, count] over the labelled women and boys. */
  keys: number[];
  sums: number[];
  counts: number[];
}

const compare = (a: PartValue, b: PartValue) => (a < b ? -1 : a > b ? 1 : 0);

/** A missing value is never in a vocabulary: "" for strings, NaN for numbers. */
const isMissing = (v: PartValue) => v === "" || (typeof v === "number" && Number.isNaN(v));

function partColumn(data: ModelInputs, name: string): readonly PartValue[] {
  const column = data[name];
  if (column === undefined) throw new Error(`GroupSurvival: input "${name}" is missing`);
  return Array.isArray(column) ? column : Array.from(column);
}

/** Women and boys: the members whose fate the group statistics count. */
function womenAndBoys(data: ModelInputs): Uint8Array {
  const sex = stringInput(data, "Sex");
  const title = stringInput(data, "Title");
  return Uint8Array.from(sex, (s, r) => (s === "female" || title[r] === "Master" ? 1 : 0));
}

/** Group survival features of one kind; see the module documentation. */
export class GroupSurvival implements Transformer {
  readonly inputs: readonly string[];
  readonly names: readonly string[];
  #fitted?: Fitted;

  constructor(readonly kind: GroupKind) {
    this.inputs = [...KEY_PARTS[kind], "Sex", "Title"];
    const prefix = kind === "family" ? "Family" : "Ticket";
    this.names = [`${prefix}Survival`, `${prefix}Known`];
  }

  /** Each row's key: mixed-radix combination of its parts' vocabulary indices. */
  #keys(data: ModelInputs, vocabularies: readonly Vocabulary[]): Float64Array {
    const n = rowCount(data);
    const keys = new Float64Array(n);
    KEY_PARTS[this.kind].forEach((part, p) => {
      const vocabulary = vocabularies[p];
      const index = new Map(vocabulary.values.map((v, i) => [v, i]));
      const unknown = vocabulary.values.length;
      const column = partColumn(data, part);
      for (let r = 0; r < n; r++) {
        const v = column[r];
        const i = isMissing(v) ? unknown : index.get(v) ?? unknown;
        keys[r] = keys[r] * (unknown + 1) + i;
      }
    });
    return keys;
  }

  /** Fits the tables on labelled rows `y`. */
  fit(data: ModelInputs, y?: Uint8Array): this {
    if (!y) throw new Error("GroupSurvival needs the labels to fit");
    const members = womenAndBoys(data);
    const vocabularies = KEY_PARTS[this.kind].map((part): Vocabulary => {
      const column = partColumn(data, part);
      const values = new Set<PartValue>();
      column.forEach((v, r) => {
        if (members[r] && !isMissing(v)) values.add(v);
      });
      return { values: [...values].sort(compare), strings: Array.isArray(data[part]) };
    });
    const keys = this.#keys(data, vocabularies);
    const stats = new Map<number, [number, number]>();
    // Only a ticket groups passengers: members without one form no ticket group.
    const keyless = this.kind === "ticket" ? stringInput(data, "Ticket") : undefined;
    keys.forEach((key, r) => {
      if (!members[r] || keyless?.[r] === "") return;
      const s = stats.get(key) ?? [0, 0];
      stats.set(key, [s[0] + y[r], s[1] + 1]);
    });
    const sorted = [...stats].sort(([a], [b]) => a - b);
    if (sorted.length > 0 && sorted[sorted.length - 1][0] > Number.MAX_SAFE_INTEGER) {
      throw new Error("GroupSurvival: group keys exceed the exact integer range");
    }
    this.#fitted = {
      vocabularies,
      keys: sorted.map(([k]) => k),
      sums: sorted.map(([, s]) => s[0]),
      counts: sorted.map(([, s]) => s[1]),
    };
    return this;
  }

  #block(sums: Float64Array, counts: Float64Array): FeatureBlock {
    const rate = new Float32Array(sums.length);
    for (let r = 0; r < sums.length; r++) {
      rate[r] = counts[r] > 0 ? Math.fround(sums[r] / counts[r]) : NEUTRAL_SURVIVAL;
    }
    return { names: [...this.names], columns: [rate, Float32Array.from(counts)] };
  }

  #lookup(data: ModelInputs, f: Fitted): { sums: Float64Array; counts: Float64Array } {
    const table = new Map(f.keys.map((k, i) => [k, i]));
    const keys = this.#keys(data, f.vocabularies);
    const sums = new Float64Array(keys.length);
    const counts = new Float64Array(keys.length);
    keys.forEach((key, r) => {
      const i = table.get(key);
      if (i !== undefined) [sums[r], counts[r]] = [f.sums[i], f.counts[i]];
    });
    return { sums, counts };
  }

  /** Features of new passengers: the fitted tables as they are. */
  transform(data: ModelInputs): FeatureBlock {
    const { sums, counts } = this.#lookup(data, requireFitted(this.#fitted, "GroupSurvival"));
    return this.#block(sums, counts);
  }

  /**
   * Fits, then the features of the training rows themselves, each without its own label
   * (leave-one-out): what the row would get as a new passenger.
   */
  fitTransform(data: ModelInputs, y: Uint8Array): FeatureBlock {
    const f = this.fit(data, y).#fitted!;
    const members = womenAndBoys(data);
    const { sums, counts } = this.#lookup(data, f);
    for (let r = 0; r < sums.length; r++) {
      if (members[r] && counts[r] > 0) {
        sums[r] -= y[r];
        counts[r] -= 1;
      }
    }
    return this.#block(sums, counts);
  }

  toOnnx(g: GraphBuilder, tensors: Readonly<Record<string, string>>): string {
    const f = requireFitted(this.#fitted, "GroupSurvival");
    let key: string | undefined;
    KEY_PARTS[this.kind].forEach((part, p) => {
      const vocabulary = f.vocabularies[p];
      const index = vocabularyIndex(g, tensors[part], vocabulary);
      key = key === undefined ? index : g.op("Add", [
        g.op("Mul", [key, g.int64s(`${part}_radix`, [vocabulary.values.length + 1], [1, 1])]),
        index,
      ]);
    });
    const table = (values: readonly number[]) =>
      g.op("LabelEncoder", [key!], {
        domain: ML_DOMAIN,
        attributes: {
          // LabelEncoder needs at least one key; -1 is never a key (indices are >= 0).
          keys_int64s: { ints: f.keys.length ? f.keys : [-1] },
          values_floats: { floats: f.keys.length ? values : [0] },
          default_float: { float: 0 },
        },
      });
    const sums = table(f.sums);
    const counts = table(f.counts);
    const zero = g.floats("zero", [0], [1, 1]);
    const rate = g.op("Where", [
      g.op("Greater", [counts, zero]),
      g.op("Div", [sums, g.op("Max", [counts, g.floats("one", [1], [1, 1])])]),
      g.floats("neutral_survival", [NEUTRAL_SURVIVAL], [1, 1]),
    ]);
    return g.op("Concat", [rate, counts], { attributes: { axis: { int: 1 } } });
  }

  /** At inference both features read the group key only (Sex and Title count at fit time). */
  featureInputs(): (readonly string[])[] {
    return this.names.map(() => KEY_PARTS[this.kind]);
  }

  describe(): Record<string, unknown> {
    const f = requireFitted(this.#fitted, "GroupSurvival");
    return {
      step: "GroupSurvival",
      kind: this.kind,
      inputs: this.inputs,
      key: KEY_PARTS[this.kind],
      outputs: this.names,
      members: "women and boys (Sex female or title Master)",
      neutralSurvival: NEUTRAL_SURVIVAL,
      groups: f.keys.length,
      groupsWithTwoOrMore: f.counts.filter((c) => c >= 2).length,
    };
  }
}

/** Graph: a key part's vocabulary index, int64 [N,1]; unknown or missing -> values.length. */
function vocabularyIndex(g: GraphBuilder, input: string, vocabulary: Vocabulary): string {
  const unknown = vocabulary.values.length;
  const values = vocabulary.values.length ? vocabulary.values : [vocabulary.strings ? "\0" : -1];
  const indices = vocabulary.values.length ? vocabulary.values.map((_, i) => i) : [unknown];
  return g.op("LabelEncoder", [input], {
    domain: ML_DOMAIN,
    attributes: {
      ...(vocabulary.strings
        ? { keys_strings: { strings: values as string[] } }
        : { keys_floats: { floats: values as number[] } }),
      values_int64s: { ints: indices },
      default_int64: { int: unknown },
    },
  });
}
