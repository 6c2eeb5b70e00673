/**
 * `deno task predict`: score a CSV of passengers with the exported ONNX model.
 * @module
 */

import { encodeInputs, type ModelInputs } from "../codec/inputs.ts";
import { loadTitanicCsv } from "../data/load.ts";
import { OnnxModel, type Predictions } from "../inference/model.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { badUsage, defineCommand, type ParsedOf, runCommand } from "../util/command.ts";
import { MODEL_FILE_OPTION } from "./shared_options.ts";

export const command = defineCommand({
  task: "deno task predict",
  usage: "--input FILE [options]",
  summary: `
Scores every row of a passenger CSV (Kaggle layout; Survived is ignored if present) through
onnxruntime with the same ONNX file and input codec the server uses.`,
  options: {
    input: {
      type: "string",
      arg: "FILE",
      required: true,
      help: "CSV with a header row and at least Pclass and Sex",
    },
    output: {
      type: "string",
      arg: "FILE",
      help: "where to write the result (default: standard output)",
    },
    proba: { type: "boolean", help: "add a Probability column (P(survived))" },
    explain: {
      type: "boolean",
      help: "add Probability, then the TreeSHAP explanation: space (probability or log-odds), " +
        "base_value and one column per raw input (base_value + those columns = the " +
        "probability, or its log-odds for boosting)",
    },
    model: MODEL_FILE_OPTION,
  },
  notes: [
    "Output: the Kaggle submission format, PassengerId,Survived (PassengerId is the row " +
    "number, from 1, when the input has none).",
  ],
});

async function main({ values }: ParsedOf<typeof command>) {
  const { input, model: modelPath, output } = values;
  const model = await OnnxModel.load(modelPath);
  const data = loadTitanicCsv(input, { allColumns: false });
  const inputs = encodeInputs(data.columns, model.inputNames);
  const ids = data.columns.numbers.PassengerId;
  const idOf = (i: number) => (Number.isNaN(ids[i]) ? i + 1 : ids[i]);
  const lines = values.explain
    ? await explainedLines(model, inputs, idOf)
    : plainLines(await model.predict(inputs), idOf, values.proba);
  const text = lines.join("\n") + "\n";
  if (output) {
    await writeFileAtomic(output, text);
    console.error(`wrote ${lines.length - 1} predictions to ${output}`);
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
}

if (import.meta.main) await runCommand(command, main);

function plainLines(out: Predictions, idOf: (i: number) => number, proba: boolean): string[] {
  const lines = [proba ? "PassengerId,Survived,Probability" : "PassengerId,Survived"];
  out.labels.forEach((label, i) => {
    const p = out.probabilities[i].toFixed(6);
    lines.push(proba ? `${idOf(i)},${label},${p}` : `${idOf(i)},${label}`);
  });
  return lines;
}

/** Predictions with their explanation columns, from the model file's trees and covers. */
async function explainedLines(
  model: OnnxModel,
  inputs: ModelInputs,
  idOf: (i: number) => number,
): Promise<string[]> {
  if (!model.explainer) {
    badUsage("this model file carries no TreeSHAP covers (it predates explanations): retrain it");
  }
  const out = await model.predictWithFeatures(inputs);
  const e = model.explainer.explain(out.features, out.labels.length);
  const g = e.groups.length;
  const lines = [
    ["PassengerId", "Survived", "Probability", "space", "base_value", ...e.groups].join(","),
  ];
  out.labels.forEach((label, i) => {
    const contributions = Array.from(e.values.subarray(i * g, (i + 1) * g), (v) => v.toFixed(6));
    lines.push(
      [
        idOf(i),
        label,
        out.probabilities[i].toFixed(6),
        e.space,
        e.base.toFixed(6),
        ...contributions,
      ]
        .join(","),
    );
  });
  return lines;
}
