/**
 * Notebook display helpers. They return objects with Jupyter's display symbol (never touching
 * `Deno.jupyter`, which exists only in the kernel), so a cell's last expression shows them:
 * - {@link plot}: a plotly figure as the interactive plotly MIME type (VS Code) and a static
 *   PNG rendered by headless Chromium (GitHub, JupyterLab, classic Notebook);
 * - {@link table}: a polars DataFrame with its shape, dtypes and first rows.
 * @module
 */

import pl from "nodejs-polars";
import { renderPng } from "./browser.ts";

const DISPLAY = Symbol.for("Jupyter.display");

/** A plotly figure: traces and layout, as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

/** Anything a notebook cell can display. */
export interface Displayable {
  [DISPLAY](): Record<string, unknown>;
}

/** A rendered figure: the PNG (base64) is also kept for writing to disk. */
export interface Plot extends Displayable {
  readonly figure: Figure;
  readonly png: string;
}

/** Renders `figure` at a fixed size; display it by making it a cell's last expression. */
export async function plot(figure: Figure, width = 720, height = 420): Promise<Plot> {
  const given = figure.layout ?? {};
  const layout = {
    width,
    height,
    margin: { t: 60, r: 30, b: 60, l: 70 },
    ...given,
    // Long category labels push the plot area instead of being cut off.
    xaxis: { automargin: true, ...(given.xaxis as object) },
    yaxis: { automargin: true, ...(given.yaxis as object) },
  };
  const full = { data: figure.data, layout };
  const png = await renderPng(full, width, height);
  return {
    figure: full,
    png,
    // No text/html: GitHub strips its scripts and would show a blank.
    [DISPLAY]: () => ({ "application/vnd.plotly.v1+json": full, "image/png": png }),
  };
}

/** Writes a rendered figure's PNG to a file. */
export async function savePng(rendered: Plot, path: string): Promise<void> {
  await Deno.writeFile(path, Uint8Array.from(atob(rendered.png), (c) => c.charCodeAt(0)));
}

const escape = (value: unknown) =>
  String(value ?? "null").replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function format(value: unknown): string {
  if (typeof value === "number" && !Number.isInteger(value)) {
    return String(Number(value.toFixed(4)));
  }
  return value === null || value === undefined ? "null" : String(value);
}

/**
 * Records as a DataFrame: a column whose values are all integers is Int64 (counts are counts),
 * where polars would infer Float64 for any JavaScript number.
 */
export function recordsFrame(records: readonly Record<string, unknown>[]): pl.DataFrame {
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return pl.DataFrame(names.map((name) => {
    const values = records.map((r) => r[name] ?? null);
    const integers = values.some((v) => v !== null) &&
      values.every((v) => v === null || Number.isInteger(v));
    return integers ? pl.Series(name, values, pl.Int64) : pl.Series(name, values);
  }));
}

/** A DataFrame (or records) with shape, dtypes and the first `rows` rows. */
export function table(
  frame: pl.DataFrame | readonly Record<string, unknown>[],
  rows = 10,
): Displayable {
  const df = Array.isArray(frame) ? recordsFrame(frame) : frame as pl.DataFrame;
  const head = df.head(rows).toRecords();
  const dtypes = df.dtypes.map((d) => String(d).replace(/^DataType\((.*)\)$/, "$1"));
  const caption = `shape: (${df.height}, ${df.width})` +
    (df.height > rows ? `, first ${rows} rows` : "");
  const html = [
    `<p><code>${caption}</code></p>`,
    "<table>",
    `<thead><tr>${df.columns.map((c) => `<th>${escape(c)}</th>`).join("")}</tr>`,
    `<tr>${dtypes.map((d) => `<td><i>${escape(d)}</i></td>`).join("")}</tr></thead>`,
    "<tbody>",
    ...head.map((r) =>
      `<tr>${df.columns.map((c) => `<td>${escape(format(r[c]))}</td>`).join("")}</tr>`
    ),
    "</tbody></table>",
  ].join("\n");
  const widths = df.columns.map((c, i) =>
    Math.max(c.length, dtypes[i].length, ...head.map((r) => format(r[c]).length))
  );
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  const text = [
    caption,
    line(df.columns),
    line(dtypes),
    ...head.map((r) => line(df.columns.map((c) => format(r[c])))),
  ].join("\n");
  return { [DISPLAY]: () => ({ "text/html": html, "text/plain": text }) };
}
