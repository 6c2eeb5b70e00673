/**
 * `deno task search`: the hyper-parameter search behind the presets.
 * @module
 */

import { choose, runSearch, searchSpace, SELECTION_RULE } from "../eval/search.ts";
import { FEATURE_SETS } from "../pipeline/features.ts";
import { loadDataset } from "../data/titanic.ts";
import { defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { OUTER_CV_OPTIONS, SEED_OPTION } from "./shared_options.ts";

export const command = defineCommand({
  task: "deno task search",
  summary: `
Scores a grid of random forests and gradient-boosted models by repeated stratified k-fold
cross-validation on train.csv (the test rows are never used), prints them best first, and names
the choice: the cheapest to run (trees kept x depth) within one standard error of the best.

This is for exploring: its scores are selection scores (optimistic for the winner); the
estimate that holds is \`deno task evaluate\` (nested CV of the default's selection).`,
  options: {
    features: {
      type: "choice",
      choices: Object.keys(FEATURE_SETS),
      default: "engineered",
      help: "feature set",
    },
    folds: { ...OUTER_CV_OPTIONS.folds, help: "folds" },
    repeats: { ...OUTER_CV_OPTIONS.repeats, default: 5, help: "repeats" },
    seed: SEED_OPTION,
    top: { type: "integer", min: 1, shownDefault: "all", help: "rows to print" },
  },
});

async function main({ values }: ParsedOf<typeof command>) {
  const { features, folds, repeats, seed } = values;
  const { train } = await loadDataset((m) => console.error(m));
  const candidates = searchSpace(features);
  console.error(`scoring ${candidates.length} candidates...`);
  const results = runSearch(candidates, train.columns, train.labels!, {
    folds,
    repeats,
    seed,
    onResult: (r) => console.error(`  ${r.candidate.name}`),
  });
  const top = values.top ?? results.length;
  console.log("rank  accuracy %      AUC     log loss  time    cost  candidate");
  results.slice(0, top).forEach((r, i) => {
    const a = r.report.accuracy;
    console.log(
      `${String(i + 1).padStart(4)}  ${(a.mean * 100).toFixed(2)} ± ${(a.std * 100).toFixed(2)}  ` +
        `${r.report.rocAuc.mean.toFixed(4)}  ${r.report.logLoss.mean.toFixed(4)}  ` +
        `${r.seconds.toFixed(1).padStart(4)}s  ${r.cost.toFixed(0).padStart(5)}  ` +
        `${r.candidate.name} ${JSON.stringify(r.candidate.params)}`,
    );
  });
  const chosen = choose(results);
  console.log(
    `\nchosen (${SELECTION_RULE}): ${chosen.candidate.name}, ${
      (chosen.report.accuracy.mean * 100).toFixed(2)
    } %`,
  );
}

if (import.meta.main) await runCommand(command, main);
