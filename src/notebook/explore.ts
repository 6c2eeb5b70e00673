/**
 * Small analysis helpers for the exploration notebooks: survival rates by group and
 * correlations, computed with nodejs-polars or on feature columns.
 * @module
 */

import pl from "nodejs-polars";

/** Passengers, survivors and survival rate per value of `by` (missing shown as "missing"). */
export function survivalRate(frame: pl.DataFrame, by: string): pl.DataFrame {
  return frame
    .withColumns(pl.col(by).cast(pl.Utf8).fillNull("missing").alias(by))
    .groupBy(by)
    .agg(
      pl.col("Survived").count().alias("passengers"),
      pl.col("Survived").sum().alias("survived"),
      pl.col("Survived").mean().alias("rate"),
    )
    .sort(by);
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
