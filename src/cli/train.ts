/**
 * `deno task train`: fit a preset, cross-validate it, export models/<name>.onnx and its card.
 * @module
 */

import { join } from "node:path";
import { train } from "../train.ts";
import { PROJECT_ROOT } from "../util/fs.ts";
import { badUsage, defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { OUTER_CV_OPTIONS, PRESET_OPTION, SEED_OPTION } from "./shared_options.ts";

export const command = defineCommand({
  task: "deno task train",
  summary: `
Obtains and verifies the Titanic data, estimates how well the procedure does on unseen
passengers, fits the model on every training row and writes the ONNX model and its JSON
model card (atomically). The same data and seed give byte-identical files.

The default preset is selected: every candidate of the selection space is scored by 5 x 2 CV
and the cheapest within one standard error of the best wins. Its estimate is nested CV: the
whole selection runs again inside each outer training fold. A fixed preset gets plain CV.
Either way the majority class, "women survive" and each fixed preset are scored on the same
outer folds and compared by their paired differences.`,
  options: {
    preset: PRESET_OPTION,
    seed: SEED_OPTION,
    ...OUTER_CV_OPTIONS,
    output: {
      type: "string",
      arg: "FILE",
      default: join(PROJECT_ROOT, "models", "titanic.onnx"),
      shownDefault: "models/titanic.onnx",
      help: "ONNX file to write; the card goes next to it (FILE with .onnx replaced by .json, " +
        "or .json appended)",
    },
  },
  notes: [
    "Data: TITANIC_DATA_DIR (folder with train.csv/test.csv) or TITANIC_DATA_URL (download " +
    "base); files are cached in data/raw/ after their SHA-256 is checked.",
  ],
});

async function main({ values }: ParsedOf<typeof command>) {
  const options = { ...values, log: (m: string) => console.log(m) };
  // The folds' bound depends on the data: a RangeError from train is a usage error.
  const result = await train(options).catch((err) =>
    err instanceof RangeError ? badUsage(err.message) : Promise.reject(err)
  );
  console.log(
    `timing: estimate ${result.timings.estimateMs.toFixed(0)} ms, ` +
      `selection and final fit ${result.timings.fitMs.toFixed(0)} ms`,
  );
}

if (import.meta.main) await runCommand(command, main);
