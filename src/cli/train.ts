/**
 * `deno task train`: fit a preset, cross-validate it, export models/<name>.onnx and its card.
 * @module
 */

import { join } from "node:path";
import { DEFAULT_SEED, PRESETS } from "../pipeline/presets.ts";
import { train } from "../train.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { intOption, parseCli, runMain, stringOption } from "./args.ts";

const USAGE = `
deno task train [options]

Obtains and verifies the Titanic data, cross-validates the pipeline, fits it on every
training row and writes the ONNX model and its JSON model card (atomically). The same data
and seed give byte-identical files.

Options:
  --preset NAME   pipeline to train: ${Object.keys(PRESETS).join(", ")} (default: default)
  --seed N        random seed for the folds and the model (default: ${DEFAULT_SEED})
  --folds K       cross-validation folds (default: 5)
  --repeats R     cross-validation repeats (default: 5, i.e. 5 x 5 CV)
  --output FILE   ONNX file to write; the card goes next to it as .json
                  (default: models/titanic.onnx)
  -h, --help      show this help

Data: TITANIC_DATA_DIR (folder with train.csv/test.csv) or TITANIC_DATA_URL (download base);
files are cached in data/raw/ after their SHA-256 is checked.
`;

await runMain(async () => {
  const { values } = parseCli(Deno.args, {
    preset: { type: "string" },
    seed: { type: "string" },
    folds: { type: "string" },
    repeats: { type: "string" },
    output: { type: "string" },
  }, USAGE);
  const result = await train({
    preset: stringOption(values.preset) ?? "default",
    seed: intOption("seed", values.seed, DEFAULT_SEED),
    folds: intOption("folds", values.folds, 5),
    repeats: intOption("repeats", values.repeats, 5),
    output: stringOption(values.output) ?? join(PROJECT_ROOT, "models", "titanic.onnx"),
    log: (m) => console.log(m),
  });
  console.log(
    `timing: cross-validation ${result.timings.cvMs.toFixed(0)} ms, ` +
      `final fit ${result.timings.fitMs.toFixed(0)} ms`,
  );
});
