/**
 * `deno task evaluate`: stratified k-fold report for one preset or all of them.
 * @module
 */

import { crossValidate, type CvReport } from "../eval/cv.ts";
import { DEFAULT_SEED, preset, PRESETS } from "../pipeline/presets.ts";
import { loadDataset } from "../train.ts";
import { intOption, parseCli, runMain, stringOption } from "./args.ts";

const USAGE = `
deno task evaluate [options]

Cross-validates a preset on train.csv with stratified, shuffled, seeded k-fold and prints
accuracy (mean +- std over folds), ROC AUC, log loss, the confusion matrix of the
out-of-fold predictions and the time taken.

Options:
  --preset NAME   ${Object.keys(PRESETS).join(", ")}, or "all" for a comparison (default: default)
  --folds K       folds (default: 5)
  --repeats R     repeats with reshuffled folds, e.g. 5 for 5 x 5 CV (default: 1)
  --seed N        seed of the folds and the model (default: ${DEFAULT_SEED})
  -h, --help      show this help
`;

const pct = (x: number) => (x * 100).toFixed(2);

function report(name: string, r: CvReport, ms: number): string {
  const [[tn, fp], [fn, tp]] = r.confusionMatrix;
  return [
    `preset ${name}: ${r.folds}-fold stratified CV x ${r.repeats}, seed ${r.seed}`,
    `  accuracy   ${pct(r.accuracy.mean)} % +- ${pct(r.accuracy.std)}`,
    `  ROC AUC    ${r.rocAuc.mean.toFixed(4)} +- ${r.rocAuc.std.toFixed(4)}`,
    `  log loss   ${r.logLoss.mean.toFixed(4)} +- ${r.logLoss.std.toFixed(4)}`,
    `  confusion (out-of-fold, rows = truth, columns = predicted)`,
    `               died  survived`,
    `    died     ${String(tn).padStart(6)} ${String(fp).padStart(9)}`,
    `    survived ${String(fn).padStart(6)} ${String(tp).padStart(9)}`,
    `  time       ${ms.toFixed(0)} ms for ${r.folds * r.repeats} fits`,
  ].join("\n");
}

await runMain(async () => {
  const { values } = parseCli(Deno.args, {
    preset: { type: "string" },
    folds: { type: "string" },
    repeats: { type: "string" },
    seed: { type: "string" },
  }, USAGE);
  const chosen = stringOption(values.preset) ?? "default";
  const names = chosen === "all" ? Object.keys(PRESETS) : [preset(chosen).name];
  const folds = intOption("folds", values.folds, 5);
  const repeats = intOption("repeats", values.repeats, 1);
  const seed = intOption("seed", values.seed, DEFAULT_SEED);
  const { train } = await loadDataset((m) => console.error(m));
  for (const name of names) {
    const t0 = performance.now();
    const r = crossValidate(() => PRESETS[name].build(seed), train.columns, train.labels!, {
      folds,
      repeats,
      seed,
    });
    console.log(report(name, r, performance.now() - t0));
  }
});
