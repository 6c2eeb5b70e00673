/**
 * Plotly figures for TreeSHAP explanations: a waterfall per passenger, a beeswarm-like summary
 * over passengers, and contribution against a feature's value.
 * @module
 */

import type { Figure } from "./display.ts";

const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(3)}`;

/**
 * From the base value to the passenger's output, one step per raw input (largest moves first).
 * `space` names the axis: a probability, or log-odds.
 */
export function waterfallFigure(
  title: string,
  base: number,
  contributions: Readonly<Record<string, number>>,
  space: string,
): Figure {
  const steps = Object.entries(contributions).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const total = base + steps.reduce((a, [, v]) => a + v, 0);
  return {
    data: [{
      type: "waterfall",
      orientation: "v",
      measure: ["absolute", ...steps.map(() => "relative"), "total"],
      x: ["base value", ...steps.map(([name]) => name), "prediction"],
      y: [base, ...steps.map(([, v]) => v), total],
      text: [base.toFixed(3), ...steps.map(([, v]) => signed(v)), total.toFixed(3)],
      textposition: "outside",
      connector: { line: { color: "rgb(150,150,150)" } },
      increasing: { marker: { color: "#2a9d8f" } },
      decreasing: { marker: { color: "#e76f51" } },
      totals: { marker: { color: "#264653" } },
    }],
    layout: {
      title: { text: title },
      xaxis: { type: "category" },
      yaxis: { title: { text: space } },
      showlegend: false,
    },
  };
}

/** A stable pseudo-random jitter in [-0.5, 0.5) from an index (no Math.random: reproducible). */
function jitter(i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

/** Values scaled to [0, 1] between the column's 5th and 95th percentiles (as shap colours). */
function scaled(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.round(q * (sorted.length - 1))];
  let lo = at(0.05), hi = at(0.95);
  if (hi <= lo) [lo, hi] = [sorted[0], sorted[sorted.length - 1]];
  return values.map((v) => (hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5));
}

/**
 * One row of dots per feature (most important on top): x = its SHAP value for a passenger,
 * colour = the feature's value (low blue to high red), rows spread by a fixed jitter.
 */
export function beeswarmFigure(
  title: string,
  features: readonly { name: string; values: readonly number[]; shap: readonly number[] }[],
  space: string,
): Figure {
  const order = [...features].sort((a, b) => meanAbs(a.shap) - meanAbs(b.shap));
  return {
    data: order.map((f, row) => ({
      type: "scatter",
      mode: "markers",
      name: f.name,
      x: f.shap,
      y: f.shap.map((_, i) => row + 0.7 * jitter(i + 1000 * row)),
      marker: {
        size: 4,
        color: scaled(f.values),
        colorscale: "RdBu",
        cmin: 0,
        cmax: 1,
        showscale: row === 0,
        colorbar: {
          title: { text: "feature value" },
          tickvals: [0, 1],
          ticktext: ["low", "high"],
        },
      },
      showlegend: false,
    })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: `SHAP value (${space})` }, zeroline: true },
      yaxis: {
        tickmode: "array",
        tickvals: order.map((_, i) => i),
        ticktext: order.map((f) => f.name),
        range: [-0.7, order.length - 0.3],
      },
    },
  };
}

export function meanAbs(values: readonly number[]): number {
  return values.reduce((a, v) => a + Math.abs(v), 0) / Math.max(1, values.length);
}

/** A feature's SHAP value against its value, one trace per passenger group (e.g. imputed). */
export function dependenceFigure(
  title: string,
  groups: readonly { name: string; x: readonly number[]; y: readonly number[] }[],
  axes: { x: string; y: string; logX?: boolean },
): Figure {
  return {
    data: groups.map((g) => ({
      type: "scatter",
      mode: "markers",
      name: g.name,
      x: g.x,
      y: g.y,
      marker: { size: 5, opacity: 0.7 },
    })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: axes.x }, ...(axes.logX ? { type: "log" } : {}) },
      yaxis: { title: { text: axes.y }, zeroline: true },
    },
  };
}
