/**
 * `deno task search`: the hyper-parameter search behind the presets.
 * @module
 */

import { choose, runSearch, searchSpace, SELECTION_RULE } from "../eval/search.ts";
import { FEATURE_SETS } from "../pipeline/features.ts";
import { DEFAULT_SEED } from "../pipeline/presets.ts";
import { loadDataset } from "../data/titanic.ts";
import { fail, intOption, parseCli, runMain, stringOption } from "./args.ts";

const USAGE = `
deno task search [options]

Scores a grid of random forests and gradient-boosted models by repeated stratified k-fold
cross-validation on train.csv (the test rows are never used), prints them best first, and names
the choice: the cheapest to run (trees kept x depth) within one standard error of the best.
This is for exploring: its scores are selection scores (optimistic for the winner); the
estimate that holds is \`deno task evaluate\` (nested CV of the default's selection).

Options:
  --features NAME  feature set: ${Object.keys(FEATURE_SETS).join(", ")} (default: engineered)
  --folds K        folds (default: 5)
  --repeats R      repeats (default: 5)
  --seed N         seed of folds and models (default: ${DEFAULT_SEED})
  --top N          rows to print (default: all)
  -h, --help       show this help
`;

await runMain(async () => {
  const { values } = parseCli(Deno.args, {
    features: { type: "string" },
    folds: { type: "string" },
    repeats: { type: "string" },
    seed: { type: "string" },
    top: { type: "string" },
  }, USAGE);
  const features = stringOption(values.features) ?? "engineered";
  if (!FEATURE_SETS[features]) fail(`unknown feature set "${features}"`);
  const { train } = await loadDataset((m) => console.error(m));
  const candidates = searchSpace(features);
  console.error(`scoring ${candidates.length} candidates...`);
  const results = runSearch(candidates, train.columns, train.labels!, {
    folds: intOption("folds", values.folds, 5),
    repeats: intOption("repeats", values.repeats, 5),
    seed: intOption("seed", values.seed, DEFAULT_SEED),
    onResult: (r) => console.error(`  ${r.candidate.name}`),
  });
  const top = intOption("top", values.top, results.length);
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
});
