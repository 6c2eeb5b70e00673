/**
 * Plotly figure builders for the notebooks' recurring charts. They only shape data into
 * figures; {@link plot} renders them.
 * @module
 */

import type { ReliabilityBin } from "../eval/calibration.ts";
import type { Importance } from "../eval/importance.ts";
import { rocCurve } from "../eval/metrics.ts";
import type { Figure } from "./display.ts";
import type { RateGroup } from "./explore.ts";

const axis = (title: string, extra: Record<string, unknown> = {}) => ({
  title: { text: title },
  ...extra,
});

/** Bars of one series (values as polars' toArray gives them). */
export function bars(
  x: readonly unknown[],
  y: readonly unknown[],
  title: string,
  axes: { x: string; y: string },
  extra: Record<string, unknown> = {},
): Figure {
  return {
    data: [{
      type: "bar",
      x,
      y,
      text: y.map((v) => Number(v).toFixed(2)),
      textposition: "auto",
      ...extra,
    }],
    layout: {
      title: { text: title },
      xaxis: axis(axes.x, { type: "category" }),
      yaxis: axis(axes.y),
    },
  };
}

/** Groups smaller than this are drawn pale: their rate is little more than a guess. */
const SMALL_GROUP = 10;

/**
 * Survival rate per group as bars with their 95 % interval, each group's passenger count under
 * its label, so a tall bar of two passengers reads as what it is.
 */
export function rateBars(
  groups: readonly RateGroup[],
  title: string,
  xTitle: string,
): Figure {
  const small = (g: RateGroup) => g.passengers < SMALL_GROUP;
  const note = groups.some(small)
    ? `<br><sup>pale: fewer than ${SMALL_GROUP} passengers</sup>`
    : "";
  return {
    data: [{
      type: "bar",
      x: groups.map((g) => `${g.label}<br>n=${g.passengers}`),
      y: groups.map((g) => g.rate),
      marker: { color: groups.map((g) => small(g) ? "#aec7e8" : "#1f77b4") },
      error_y: {
        type: "data",
        symmetric: false,
        array: groups.map((g) => g.high - g.rate),
        arrayminus: groups.map((g) => g.rate - g.low),
        color: "#444",
      },
      hovertext: groups.map((g) => `${g.survived} of ${g.passengers} survived`),
    }],
    layout: {
      title: { text: title + note },
      xaxis: axis(xTitle, { type: "category" }),
      yaxis: axis("survival rate (whiskers: 95 % interval)", { range: [0, 1.05] }),
    },
  };
}

/** Overlaid histograms, one per group. */
export function histograms(
  groups: readonly { name: string; values: readonly number[] }[],
  title: string,
  xTitle: string,
  binSize: number,
): Figure {
  return {
    data: groups.map((g) => ({
      type: "histogram",
      name: g.name,
      x: g.values,
      opacity: 0.6,
      xbins: { size: binSize },
    })),
    layout: {
      title: { text: title },
      barmode: "overlay",
      xaxis: axis(xTitle),
      yaxis: axis("passengers"),
    },
  };
}

/** A heatmap with the values written in the cells. */
export function heatmap(
  z: readonly (readonly number[])[],
  x: readonly string[],
  y: readonly string[],
  title: string,
  extra: Record<string, unknown> = {},
): Figure {
  return {
    data: [{
      type: "heatmap",
      z,
      x,
      y,
      colorscale: "Blues",
      reversescale: true,
      text: z.map((row) => row.map((v) => v.toFixed(2))),
      texttemplate: "%{text}",
      ...extra,
    }],
    layout: {
      title: { text: title },
      xaxis: { type: "category" },
      yaxis: { type: "category", autorange: "reversed" },
    },
  };
}

/** ROC curves, one per named score vector, with their AUC in the legend. */
export function rocFigure(
  y: ArrayLike<number>,
  scores: Record<string, ArrayLike<number>>,
  auc: Record<string, number>,
): Figure {
  return {
    data: [
      ...Object.entries(scores).map(([name, s]) => {
        const { fpr, tpr } = rocCurve(y, s);
        return {
          type: "scatter",
          mode: "lines",
          name: `${name} (AUC ${auc[name].toFixed(3)})`,
          x: fpr,
          y: tpr,
        };
      }),
      {
        type: "scatter",
        mode: "lines",
        name: "chance",
        x: [0, 1],
        y: [0, 1],
        line: { dash: "dot", color: "grey" },
      },
    ],
    layout: {
      title: { text: "ROC curve (out-of-fold predictions)" },
      xaxis: axis("false positive rate"),
      yaxis: axis("true positive rate"),
    },
  };
}

/** Reliability diagram: observed survival rate against mean predicted probability per bin. */
export function reliabilityFigure(bins: readonly ReliabilityBin[], title: string): Figure {
  return {
    data: [
      {
        type: "scatter",
        mode: "lines+markers",
        name: "model",
        x: bins.map((b) => b.meanPredicted),
        y: bins.map((b) => b.observed),
        text: bins.map((b) => `${b.count} passengers`),
        marker: { size: bins.map((b) => 6 + Math.sqrt(b.count)) },
      },
      {
        type: "scatter",
        mode: "lines",
        name: "perfect",
        x: [0, 1],
        y: [0, 1],
        line: { dash: "dot", color: "grey" },
      },
    ],
    layout: {
      title: { text: title },
      xaxis: axis("mean predicted P(survived)", { range: [0, 1] }),
      yaxis: axis("observed survival rate", { range: [0, 1] }),
    },
  };
}

/** Horizontal bars of importances (largest at the top). */
export function importanceFigure(
  items: readonly Importance[],
  title: string,
  xTitle: string,
): Figure {
  const sorted = [...items].sort((a, b) => a.mean - b.mean);
  return {
    data: [{
      type: "bar",
      orientation: "h",
      x: sorted.map((i) => i.mean),
      y: sorted.map((i) => i.input),
      error_x: { type: "data", array: sorted.map((i) => i.std), visible: true },
    }],
    layout: { title: { text: title }, xaxis: axis(xTitle), yaxis: { type: "category" } },
  };
}
