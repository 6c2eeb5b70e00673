/**
 * `deno task train`: fit a preset, cross-validate it, export models/<name>.onnx and its card.
 * @module
 */

import { join } from "node:path";
import { DEFAULT_PRESET, DEFAULT_SEED, PRESET_NAMES } from "../pipeline/presets.ts";
import { checkTrainOptions, train } from "../train.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { fail, intOption, parseCli, runMain, stringOption } from "./args.ts";

const USAGE = `
deno task train [options]

Obtains and verifies the Titanic data, estimates how well the procedure does on unseen
passengers, fits the model on every training row and writes the ONNX model and its JSON
model card (atomically). The same data and seed give byte-identical files.

The default preset is selected: every candidate of the selection space is scored by 5 x 2 CV
and the cheapest within one standard error of the best wins. Its estimate is nested CV: the
whole selection runs again inside each outer training fold. A fixed preset gets plain CV.
Either way the majority class, "women survive" and each fixed preset are scored on the same
outer folds and compared by their paired differences.

Options:
  --preset NAME   pipeline to train: ${PRESET_NAMES.join(", ")} (default: ${DEFAULT_PRESET})
  --seed N        random seed for the folds and the model (default: ${DEFAULT_SEED})
  --folds K       outer cross-validation folds, 2 or more (default: 5)
  --repeats R     outer repeats, 1 to 100 (default: 3, i.e. 5 x 3)
  --output FILE   ONNX file to write; the card goes next to it (FILE with .onnx replaced
                  by .json, or .json appended) (default: models/titanic.onnx)
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
  const options = {
    preset: stringOption(values.preset) ?? DEFAULT_PRESET,
    seed: intOption("seed", values.seed, DEFAULT_SEED),
    folds: intOption("folds", values.folds, 5),
    repeats: intOption("repeats", values.repeats, 3),
    output: stringOption(values.output) ?? join(PROJECT_ROOT, "models", "titanic.onnx"),
    log: (m: string) => console.log(m),
  };
  try {
    checkTrainOptions(options);
  } catch (err) {
    fail((err as Error).message.replace(/^unknown preset/, "--preset: unknown preset"));
  }
  const result = await train(options).catch((err) =>
    err instanceof RangeError ? fail(err.message) : Promise.reject(err)
  );
  console.log(
    `timing: estimate ${result.timings.estimateMs.toFixed(0)} ms, ` +
      `selection and final fit ${result.timings.fitMs.toFixed(0)} ms`,
  );
});
