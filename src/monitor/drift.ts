/**
 * Compares captured traffic with the model card's baseline, input by input: the population
 * stability index (PSI) over the baseline's bins with "missing" as a bin of its own (numbers:
 * decile bins; categories: one bin each plus one for values never seen in training; free text:
 * length bins), missing rates, new and vanished categories; and the same for the predicted
 * P(survived) and the share predicted to survive.
 *
 * An input drifts when its PSI exceeds the threshold (0.2 by default: the usual "significant
 * shift"), when categories never seen in training make up 1 % or more of the captured values,
 * or when a category that held 5 % or more of the training values does not appear at all.
 * @module
 */

import type { ModelInputs } from "../codec/inputs.ts";
import {
  binShares,
  categoryShares,
  type DriftBaseline,
  type InputBaseline,
  predictionSummary,
  presentNumbers,
} from "./baseline.ts";

export const DEFAULT_THRESHOLD = 0.2;
/** Captured share of unseen categories that counts as drift. */
const NEW_CATEGORY_SHARE = 0.01;
/** Training share of a category whose disappearance counts as drift. */
const VANISHED_CATEGORY_SHARE = 0.05;
/** Shares are floored at this before the log, so that an empty bin does not give infinity. */
const EPSILON = 1e-4;

/** One bin of a comparison. */
export interface BinComparison {
  label: string;
  baseline: number;
  captured: number;
}

export interface InputDrift {
  name: string;
  kind: InputBaseline["kind"] | "prediction";
  psi: number;
  missingRate: { baseline: number; captured: number };
  /** A central value, baseline and captured: median (numbers), top category, median length. */
  centre: { baseline: string; captured: string };
  newCategories: string[];
  vanishedCategories: string[];
  bins: BinComparison[];
  drifted: boolean;
  reasons: string[];
}

export interface DriftReport {
  threshold: number;
  rows: number;
  baselineRows: number;
  inputs: InputDrift[];
  /** Undefined when the capture holds no outputs. */
  predictions?: InputDrift & { survivalShare: { baseline: number; captured: number } };
  drifted: string[];
}

/** Population stability index of two share vectors: sum (a - e) ln(a / e). */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], EPSILON);
    const a = Math.max(actual[i], EPSILON);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function binLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ["all"];
  return [
    `<= ${edges[0]}`,
    ...edges.slice(1).map((e, i) => `(${edges[i]}, ${e}]`),
    `> ${edges[edges.length - 1]}`,
  ];
}

/** Shares over all rows: "missing" first, then the bins scaled by the present share. */
function withMissing(missingRate: number, shares: readonly number[]): number[] {
  return [missingRate, ...shares.map((s) => s * (1 - missingRate))];
}

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  return sorted.length ? sorted[Math.floor(0.5 * (sorted.length - 1))] : NaN;
}

function topCategory(shares: Record<string, number>): string {
  const [top] = Object.entries(shares).sort((a, b) => b[1] - a[1]);
  return top ? `${top[0]} ${(top[1] * 100).toFixed(0)} %` : "-";
}

function compareInput(
  base: InputBaseline,
  column: Float32Array | string[],
  threshold: number,
): InputDrift {
  const n = column.length;
  let missing: number;
  let bins: BinComparison[];
  let centre: InputDrift["centre"];
  const newCategories: string[] = [];
  const vanishedCategories: string[] = [];
  const reasons: string[] = [];
  if (base.kind === "categorical") {
    const present = (column as string[]).filter((v) => v !== "");
    missing = n ? 1 - present.length / n : 0;
    const shares = categoryShares(present);
    const known = Object.keys(base.categories);
    let unseen = 0;
    for (const [category, share] of Object.entries(shares)) {
      if (!(category in base.categories)) {
        newCategories.push(category);
        unseen += share;
      }
    }
    for (const category of known) {
      if (!(category in shares) && base.categories[category] >= VANISHED_CATEGORY_SHARE) {
        vanishedCategories.push(category);
      }
    }
    const expected = withMissing(base.missingRate, [...known.map((k) => base.categories[k]), 0]);
    const actual = withMissing(missing, [...known.map((k) => shares[k] ?? 0), unseen]);
    bins = ["(missing)", ...known, "(new)"].map((label, i) => ({
      label,
      baseline: expected[i],
      captured: actual[i],
    }));
    centre = { baseline: topCategory(base.categories), captured: topCategory(shares) };
    if (unseen * (1 - missing) >= NEW_CATEGORY_SHARE) {
      reasons.push(`new categories ${newCategories.slice(0, 5).join(", ")}`);
    }
    if (vanishedCategories.length) reasons.push(`vanished ${vanishedCategories.join(", ")}`);
  } else {
    const values = base.kind === "numeric"
      ? presentNumbers(column as Float32Array)
      : Float64Array.from((column as string[]).filter((v) => v !== "").map((v) => v.length));
    missing = n ? 1 - values.length / n : 0;
    const edges = base.kind === "numeric" ? base.bins : base.lengthBins;
    const expected = withMissing(base.missingRate, edges.shares);
    const actual = withMissing(missing, binShares(edges.edges, values));
    bins = ["(missing)", ...binLabels(edges.edges)].map((label, i) => ({
      label,
      baseline: expected[i],
      captured: actual[i],
    }));
    centre = base.kind === "numeric"
      ? { baseline: String(base.summary.median), captured: String(round(median(values), 3)) }
      : {
        baseline: `${base.distinct} distinct`,
        captured: `${new Set((column as string[]).filter((v) => v !== "")).size} distinct`,
      };
  }
  const value = psi(bins.map((b) => b.baseline), bins.map((b) => b.captured));
  if (value > threshold) reasons.unshift(`PSI ${round(value, 3)} > ${threshold}`);
  return {
    name: base.name,
    kind: base.kind,
    psi: round(value),
    missingRate: { baseline: base.missingRate, captured: round(missing) },
    centre,
    newCategories,
    vanishedCategories,
    bins: bins.map((b) => ({ ...b, baseline: round(b.baseline), captured: round(b.captured) })),
    drifted: reasons.length > 0,
    reasons,
  };
}

/** Compares captured inputs (and predictions, when captured) with the baseline. */
export function compareWithBaseline(
  baseline: DriftBaseline,
  captured: { inputs: ModelInputs; rows: number; probabilities: readonly number[] },
  threshold = DEFAULT_THRESHOLD,
): DriftReport {
  const inputs = baseline.inputs.map((base) => {
    const column = captured.inputs[base.name];
    if (!column) throw new Error(`the capture has no values for input ${base.name}`);
    return compareInput(base, column, threshold);
  });
  let predictions: DriftReport["predictions"];
  if (captured.probabilities.length > 0) {
    const now = predictionSummary(captured.probabilities);
    const base = baseline.predictions;
    const labels = binLabels(base.bins.edges);
    const value = psi(base.bins.shares, now.bins.shares);
    const reasons = value > threshold ? [`PSI ${round(value, 3)} > ${threshold}`] : [];
    predictions = {
      name: "P(survived)",
      kind: "prediction",
      psi: round(value),
      missingRate: { baseline: 0, captured: 0 },
      centre: {
        baseline: `mean ${round(base.meanProbability, 3)}`,
        captured: `mean ${round(now.meanProbability, 3)}`,
      },
      survivalShare: { baseline: base.survivalShare, captured: now.survivalShare },
      newCategories: [],
      vanishedCategories: [],
      bins: labels.map((label, i) => ({
        label,
        baseline: base.bins.shares[i],
        captured: now.bins.shares[i],
      })),
      drifted: reasons.length > 0,
      reasons,
    };
  }
  return {
    threshold,
    rows: captured.rows,
    baselineRows: baseline.rows,
    inputs,
    ...(predictions ? { predictions } : {}),
    drifted: [...inputs, ...(predictions ? [predictions] : [])].filter((d) => d.drifted).map((
      d,
    ) => d.name),
  };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The report as text: a summary table (one row per input), then each input's bins. */
export function formatReport(report: DriftReport): string {
  const all = [...report.inputs, ...(report.predictions ? [report.predictions] : [])];
  const out = [
    `${report.rows} captured rows vs ${report.baselineRows} training rows; PSI threshold ${report.threshold}`,
    "",
    table(
      ["input", "kind", "PSI", "missing (train -> now)", "centre (train -> now)", "verdict"],
      all.map((d) => [
        d.name,
        d.kind,
        d.psi.toFixed(4),
        `${percent(d.missingRate.baseline)} -> ${percent(d.missingRate.captured)}`,
        `${d.centre.baseline} -> ${d.centre.captured}`,
        d.drifted ? `DRIFT: ${d.reasons.join("; ")}` : "ok",
      ]),
    ),
  ];
  if (report.predictions) {
    const s = report.predictions.survivalShare;
    out.push(
      "",
      `predicted to survive: ${percent(s.baseline)} in training, ${percent(s.captured)} now`,
    );
  } else {
    out.push("", "no endpoint outputs captured: predictions not compared");
  }
  if (report.rows < 100) {
    out.push(`warning: only ${report.rows} rows; PSI is noisy below a few hundred`);
  }
  for (const d of all) {
    out.push("", `${d.name} (${d.kind})`);
    out.push(
      table(
        ["bin", "train", "now"],
        d.bins.map((b) => [b.label, percent(b.baseline), percent(b.captured)]),
      ),
    );
    if (d.newCategories.length) out.push(`new: ${d.newCategories.join(", ")}`);
    if (d.vanishedCategories.length) out.push(`vanished: ${d.vanishedCategories.join(", ")}`);
  }
  out.push(
    "",
    report.drifted.length ? `drift in: ${report.drifted.join(", ")}` : "no drift",
  );
  return out.join("\n");
}
