/**
 * `deno task evaluate`: the estimate behind a preset (nested CV of the selection for the
 * default, plain CV for a fixed preset), with the baselines and fixed presets on the same
 * folds, the cost of the chosen model, and optionally calibration and permutation importance.
 * @module
 */

import { reliability } from "../eval/calibration.ts";
import { modelCosts } from "../eval/costs.ts";
import { crossValidatedImportance } from "../eval/importance.ts";
import {
  comparatorsFor,
  INNER_CV,
  nestedCrossValidate,
  type NestedReport,
  select,
} from "../eval/nested.ts";
import { SELECTION_RULE, selectionSpace } from "../eval/search.ts";
import { DEFAULT_PRESET, PRESETS } from "../pipeline/presets.ts";
import { loadDataset } from "../data/titanic.ts";
import { checkFoldsFit } from "../train.ts";
import { badUsage, defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { OUTER_CV_OPTIONS, PRESET_OPTION, SEED_OPTION } from "./shared_options.ts";
import { writeFileAtomic } from "../util/fs.ts";

export const command = defineCommand({
  task: "deno task evaluate",
  summary: `
Estimates how well a preset does on passengers it has never seen, on train.csv only. The
default preset is selected (every candidate of the selection space scored by 5 x 2 CV, the
cheapest within one standard error of the best chosen), so its estimate is nested CV: the
whole selection runs inside each outer training fold, and only the outer test folds score.
A fixed preset gets plain stratified CV. Printed: accuracy, ROC AUC and log loss (mean +- std
over outer folds), the selection's choices and selection score, the majority class, "women
survive" and every fixed preset on the same folds with the paired difference, and the chosen
model's fit time, ONNX size and onnxruntime time per row.`,
  options: {
    preset: PRESET_OPTION,
    ...OUTER_CV_OPTIONS,
    seed: SEED_OPTION,
    details: {
      type: "boolean",
      help: "also a reliability diagram (out-of-fold) and permutation importance of every " +
        "input (on held-out folds) for the model the preset fits",
    },
    output: {
      type: "string",
      arg: "FILE",
      help: "also write the figures as JSON (written atomically), e.g. for notebook 03",
    },
  },
});

const pct = (x: number) => (x * 100).toFixed(2);

function report(name: string, r: NestedReport, nested: boolean, ms: number): string {
  const lines = [
    `preset ${name}: ${nested ? "nested " : ""}${r.folds}-fold stratified CV x ${r.repeats}` +
    (nested
      ? ` (selection inside each outer training fold by ${r.innerFolds} x ` +
        `${r.innerRepeats} CV)`
      : "") +
    `, seed ${r.seed}, ${(ms / 1000).toFixed(1)} s`,
    `  accuracy   ${pct(r.accuracy.mean)} % +- ${pct(r.accuracy.std)}   <- the estimate`,
    `  ROC AUC    ${r.rocAuc.mean.toFixed(4)} +- ${r.rocAuc.std.toFixed(4)}`,
    `  log loss   ${r.logLoss.mean.toFixed(4)} +- ${r.logLoss.std.toFixed(4)}`,
  ];
  if (nested) {
    lines.push(
      `  selection score (the inner winners' own CV: optimistic) ${pct(r.selectionScore.mean)} %`,
      `  chosen in the outer folds:`,
      ...Object.entries(r.choices).sort(([, a], [, b]) => b - a).map(([c, n]) =>
        `    ${String(n).padStart(3)} x ${c}`
      ),
    );
  }
  lines.push(
    `  on the same ${r.perFold.length} outer folds (paired difference = this - that):`,
    `    ${"".padEnd(20)} accuracy %       difference (points)   folds better/equal/worse`,
    ...r.comparisons.map((c) =>
      `    ${c.name.padEnd(20)} ${pct(c.accuracy.mean).padStart(6)} +- ${
        pct(c.accuracy.std).padEnd(5)
      }  ${(c.difference.mean >= 0 ? "+" : "") + pct(c.difference.mean)} +- ${
        pct(c.difference.std).padEnd(10)
      } ${c.wins}/${c.ties}/${c.losses}`
    ),
  );
  return lines.join("\n");
}

async function main({ values }: ParsedOf<typeof command>) {
  const { preset: name, folds, repeats, seed } = values;
  const { train } = await loadDataset((m) => console.error(m));
  const y = train.labels!;
  try {
    checkFoldsFit(folds, y);
  } catch (err) {
    badUsage((err as Error).message);
  }
  const nested = name === DEFAULT_PRESET;
  const space = nested ? selectionSpace() : [PRESETS[name].candidate];
  const t0 = performance.now();
  const r = nestedCrossValidate(space, train.columns, y, {
    folds,
    repeats,
    ...INNER_CV,
    seed,
    comparators: comparatorsFor(seed),
  });
  console.log(report(name, r, nested, performance.now() - t0));

  const selection = nested ? select(space, train.columns, y, { ...INNER_CV, seed }) : undefined;
  const chosen = selection?.chosen.candidate ?? space[0];
  if (selection) {
    console.log(`  selection on all ${y.length} rows (${SELECTION_RULE}):`);
    for (const s of selection.results) {
      console.log(
        `    ${s.candidate === chosen ? "->" : "  "} ${pct(s.report.accuracy.mean)} % +- ` +
          `${pct(s.report.accuracy.std)}  cost ${
            s.cost.toFixed(0).padStart(5)
          }  ${s.candidate.name}`,
      );
    }
  }
  const c = await modelCosts(chosen, seed, train);
  console.log(
    `  model      ${chosen.name}: one fit on all rows ${c.fitMs.toFixed(0)} ms, ` +
      `${(c.onnxBytes / 1024).toFixed(0)} KiB ONNX, ${c.microsPerRow.toFixed(2)} µs per row ` +
      `in onnxruntime (batch of ${y.length})`,
  );

  let details: Record<string, unknown> = {};
  if (values.details) {
    const cal = reliability(y, r.outOfFold.proba, 10);
    console.log(
      `  reliability (out-of-fold, first repeat; expected calibration error ` +
        `${cal.expectedCalibrationError.toFixed(4)})`,
    );
    console.log("    bin         n   mean predicted  observed");
    for (const b of cal.bins) {
      console.log(
        `    ${b.lower.toFixed(1)}-${b.upper.toFixed(1)}  ${String(b.count).padStart(4)}` +
          `   ${b.meanPredicted.toFixed(3).padStart(14)}  ${b.observed.toFixed(3).padStart(8)}`,
      );
    }
    const importance = crossValidatedImportance(() => chosen.build(seed), train.columns, y, {
      folds,
      seed,
    });
    console.log("  permutation importance (accuracy drop on held-out folds)");
    for (const imp of importance) {
      console.log(`    ${imp.input.padEnd(10)} ${pct(imp.mean).padStart(6)} % +- ${pct(imp.std)}`);
    }
    details = { reliability: cal, importance };
  }
  const output = values.output;
  if (output) {
    const json = {
      preset: name,
      method: nested ? "nested cross-validation" : "cross-validation",
      folds,
      repeats,
      ...(nested ? INNER_CV : {}),
      seed,
      machine: `${navigator.hardwareConcurrency} CPUs`,
      accuracy: r.accuracy,
      rocAuc: r.rocAuc,
      logLoss: r.logLoss,
      selectionScore: nested ? r.selectionScore : undefined,
      choices: r.choices,
      perFold: r.perFold,
      comparisons: r.comparisons,
      selection: selection
        ? {
          rule: SELECTION_RULE,
          chosen: chosen.name,
          candidates: selection.results.map((s) => ({
            name: s.candidate.name,
            accuracy: s.report.accuracy,
            cost: s.cost,
          })),
        }
        : undefined,
      model: { name: chosen.name, onnxBytes: c.onnxBytes },
      outOfFold: {
        proba: Array.from(r.outOfFold.proba, (p) => Math.round(p * 1e6) / 1e6),
        labels: Array.from(r.outOfFold.labels),
        chosen: r.outOfFold.chosen,
      },
      ...details,
    };
    await writeFileAtomic(output, JSON.stringify(json, null, 2) + "\n");
    console.error(`wrote ${output}`);
  }
}

if (import.meta.main) await runCommand(command, main);
