/**
 * Small analysis helpers for the exploration notebooks: survival rates by group and
 * correlations, computed with nodejs-polars or on feature columns.
 * @module
 */

import pl from "nodejs-polars";

/** Survivors out of passengers in one group, with the Wilson 95 % interval of the rate. */
export interface RateGroup {
  label: string;
  passengers: number;
  survived: number;
  rate: number;
  low: number;
  high: number;
}

/** The Wilson score interval of `successes` out of `n` (z: the normal 97.5 % quantile, 95 %). */
export function wilsonInterval(
  successes: number,
  n: number,
  z = 1.959963984540054,
): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const centre = (p + z * z / (2 * n)) / (1 + z * z / n);
  const half = (z / (1 + z * z / n)) * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function rateRow(label: string, passengers: number, survived: number): RateGroup {
  const [low, high] = wilsonInterval(survived, passengers);
  return { label, passengers, survived, rate: survived / passengers, low, high };
}

/**
 * Passengers, survivors, survival rate and its 95 % interval per value of `by`, in the column's
 * own order (numbers numerically); missing values form a last group, "missing". The group column
 * keeps its type when nothing is missing; passengers and survivors are integers.
 */
export function survivalRate(frame: pl.DataFrame, by: string): pl.DataFrame {
  const hasMissing = frame.getColumn(by).nullCount() > 0;
  const grouped = frame.groupBy(by)
    .agg(
      pl.col("Survived").count().cast(pl.Int64).alias("passengers"),
      pl.col("Survived").sum().cast(pl.Int64).alias("survived"),
    )
    .sort(by, false, true);
  const passengers = grouped.getColumn("passengers").toArray() as number[];
  const survived = grouped.getColumn("survived").toArray() as number[];
  const rows = passengers.map((n, i) => rateRow("", n, survived[i]));
  const key = hasMissing
    ? pl.Series(by, grouped.getColumn(by).toArray().map((v) => v === null ? "missing" : String(v)))
    : grouped.getColumn(by);
  return pl.DataFrame([
    key,
    pl.Series("passengers", passengers, pl.Int64),
    pl.Series("survived", survived, pl.Int64),
    pl.Series("rate", rows.map((r) => r.rate), pl.Float64),
    pl.Series("low", rows.map((r) => r.low), pl.Float64),
    pl.Series("high", rows.map((r) => r.high), pl.Float64),
  ]);
}

/** The rows of a {@link survivalRate} frame, labelled by its group column, for a chart. */
export function rateGroups(rates: pl.DataFrame): RateGroup[] {
  const by = rates.columns[0];
  return rates.toRecords().map((r) =>
    rateRow(String(r[by]), Number(r.passengers), Number(r.survived))
  );
}

/**
 * Survival per one-hot column whose name starts with `prefix` ("Title=" gives one group per
 * title column the fitted encoder made, "infrequent" included), as the model sees the groups.
 */
export function rateByOneHot(
  features: { names: readonly string[]; columns: readonly ArrayLike<number>[] },
  prefix: string,
  y: ArrayLike<number>,
): RateGroup[] {
  return features.names.flatMap((name, j) => {
    if (!name.startsWith(prefix)) return [];
    const column = features.columns[j];
    let passengers = 0, survived = 0;
    for (let i = 0; i < column.length; i++) {
      if (column[i] === 1) {
        passengers++;
        survived += y[i];
      }
    }
    return [rateRow(name.slice(prefix.length), passengers, survived)];
  });
}

/** Survival per distinct value of a numeric column, in increasing order. */
export function rateByValue(values: ArrayLike<number>, y: ArrayLike<number>): RateGroup[] {
  const counts = new Map<number, [number, number]>();
  for (let i = 0; i < values.length; i++) {
    const c = counts.get(values[i]) ?? [0, 0];
    c[0]++;
    c[1] += y[i];
    counts.set(values[i], c);
  }
  return [...counts].sort(([a], [b]) => a - b)
    .map(([value, [n, s]]) => rateRow(String(value), n, s));
}

/** Survival rate for every pair of values of two columns (rows x columns), for a heatmap. */
export function crossRate(
  frame: pl.DataFrame,
  rows: string,
  columns: string,
): { rows: string[]; columns: string[]; z: number[][] } {
  const grouped = frame.groupBy([rows, columns])
    .agg(pl.col("Survived").mean().alias("rate"))
    .toRecords();
  const rowValues = [...new Set(grouped.map((r) => String(r[rows])))].sort();
  const colValues = [...new Set(grouped.map((r) => String(r[columns])))].sort();
  const z = rowValues.map((rv) =>
    colValues.map((cv) => {
      const hit = grouped.find((r) => String(r[rows]) === rv && String(r[columns]) === cv);
      return hit ? Number(hit.rate) : NaN;
    })
  );
  return { rows: rowValues, columns: colValues, z };
}

/** Pearson correlation of two equally long columns (NaN when one is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The correlation matrix of some columns. */
export function correlationMatrix(columns: readonly ArrayLike<number>[]): number[][] {
  return columns.map((a) => columns.map((b) => correlation(a, b)));
}

function setting(value: unknown): string {
  if (typeof value === "number") return String(Number(value.toFixed(4)));
  if (Array.isArray(value)) return value.map(setting).join(", ");
  if (value && typeof value === "object") {
    return Object.entries(value).map(([k, v]) => `${k} ${setting(v)}`).join(", ");
  }
  return String(value);
}

/** Fitted pipeline steps as table rows: step, its input(s), and what it learned or was told. */
export function describeSteps(
  steps: readonly { describe(): Record<string, unknown> }[],
): { step: string; input: string; settings: string }[] {
  return steps.map((s) => {
    const { step, input, inputs, ...rest } = s.describe();
    return {
      step: String(step),
      input: setting(inputs ?? input ?? ""),
      settings: Object.entries(rest).map(([k, v]) => `${k}: ${setting(v)}`).join("; "),
    };
  });
}
