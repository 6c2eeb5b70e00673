/**
 * `deno task predict`: score a CSV of passengers with the exported ONNX model.
 * @module
 */

import { join } from "node:path";
import { encodeInputs } from "../codec/inputs.ts";
import { loadTitanicCsv } from "../data/load.ts";
import { OnnxModel } from "../inference/model.ts";
import { PROJECT_ROOT, writeFileAtomic } from "../util/fs.ts";
import { fail, parseCli, runMain, stringOption } from "./args.ts";

const USAGE = `
deno task predict --input FILE [options]

Scores every row of a passenger CSV (Kaggle layout; Survived is ignored if present) through
onnxruntime with the same ONNX file and input codec the server uses.

Options:
  --input FILE    CSV with a header row and at least Pclass and Sex (required)
  --output FILE   where to write the result (default: standard output)
  --proba         add a Probability column (P(survived))
  --model FILE    ONNX model; its card is the .json beside it (default: models/titanic.onnx)
  -h, --help      show this help

Output: the Kaggle submission format, PassengerId,Survived (PassengerId is the row number,
from 1, when the input has none).
`;

await runMain(async () => {
  const { values } = parseCli(Deno.args, {
    input: { type: "string" },
    output: { type: "string" },
    proba: { type: "boolean" },
    model: { type: "string" },
  }, USAGE);
  const input = stringOption(values.input) ?? fail(`--input is required\n\n${USAGE.trim()}`);
  const modelPath = stringOption(values.model) ?? join(PROJECT_ROOT, "models", "titanic.onnx");
  const model = await OnnxModel.load(modelPath);
  const data = loadTitanicCsv(input, { allColumns: false });
  const { labels, probabilities } = await model.predict(
    encodeInputs(data.columns, model.inputNames),
  );
  const ids = data.columns.numbers.PassengerId;
  const lines = [values.proba ? "PassengerId,Survived,Probability" : "PassengerId,Survived"];
  for (let i = 0; i < labels.length; i++) {
    const id = Number.isNaN(ids[i]) ? i + 1 : ids[i];
    lines.push(
      values.proba ? `${id},${labels[i]},${probabilities[i].toFixed(6)}` : `${id},${labels[i]}`,
    );
  }
  const text = lines.join("\n") + "\n";
  const output = stringOption(values.output);
  if (output) {
    await writeFileAtomic(output, text);
    console.error(`wrote ${labels.length} predictions to ${output}`);
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
});
