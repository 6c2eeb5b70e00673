/**
 * Training end to end: data -> cross-validation -> fit on all rows -> one ONNX file and its
 * model card, both written atomically. Same data and seed give byte-identical files.
 * @module
 */

import { basename } from "node:path";
import * as ort from "onnxruntime-node";
import { encodeInputs, inputSpec, type ModelInputs } from "./codec/inputs.ts";
import { obtainDataset, TEST_FILE, TRAIN_FILE } from "./data/dataset.ts";
import { loadTitanicCsv, type TitanicData } from "./data/load.ts";
import { crossValidate, type CvReport } from "./eval/cv.ts";
import { accuracy } from "./eval/metrics.ts";
import { driftBaseline } from "./monitor/baseline.ts";
import type { CardInput, ModelCard } from "./inference/card.ts";
import { IR_VERSION, opsetsOf } from "./onnx/builder.ts";
import { OneHotEncoder } from "./pipeline/onehot.ts";
import { type Pipeline, PRODUCER } from "./pipeline/pipeline.ts";
import { preset as findPreset } from "./pipeline/presets.ts";
import { PROJECT_ROOT, sha256Hex, writeFileAtomic } from "./util/fs.ts";

export interface TrainOptions {
  preset: string;
  seed: number;
  folds: number;
  repeats: number;
  /** Path of the .onnx file; the card goes next to it as .json. */
  output: string;
  log?: (message: string) => void;
}

export interface TrainResult {
  pipeline: Pipeline;
  cv: CvReport;
  card: ModelCard;
  onnx: Uint8Array;
  onnxPath: string;
  cardPath: string;
  timings: { cvMs: number; fitMs: number };
}

/** Loads the verified train and test files. */
export async function loadDataset(
  log: (m: string) => void = () => {},
): Promise<{ train: TitanicData; test: TitanicData }> {
  const paths = await obtainDataset({ log });
  return {
    train: loadTitanicCsv(paths.train, { labelled: true }),
    test: loadTitanicCsv(paths.test),
  };
}

/** The npm packages that shape the model file or run it. */
const MODEL_LIBRARIES = ["nodejs-polars", "onnxruntime-node", "onnx-proto"];

/** Versions of the libraries that shape the model file, read from deno.json's import map. */
export async function libraryVersions(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`));
  const versions: Record<string, string> = { deno: Deno.version.deno };
  for (const spec of Object.values(config.imports as Record<string, string>)) {
    const match = /^npm:(@?[^@]+)@(.+)$/.exec(spec);
    if (match && MODEL_LIBRARIES.includes(match[1])) versions[match[1]] = match[2];
  }
  versions["onnxruntime (native)"] = ort.env.versions.common ?? "";
  versions[PRODUCER.name] = PRODUCER.version;
  return versions;
}

function cardInputs(pipeline: Pipeline): CardInput[] {
  return pipeline.inputs().map((name) => {
    const spec = inputSpec(name);
    const encoder = pipeline.steps.find(
      (s): s is OneHotEncoder => s instanceof OneHotEncoder && s.input === name,
    );
    return {
      ...spec,
      shape: ["N", 1],
      missing: spec.type === "float32" ? "NaN" : '""',
      ...(encoder ? { categories: encoder.categories() } : {}),
    };
  });
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const spread = (s: { mean: number; std: number }) => ({ mean: round(s.mean), std: round(s.std) });

/** Trains a preset and writes its ONNX file and model card. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const log = options.log ?? (() => {});
  const preset = findPreset(options.preset);
  const { train } = await loadDataset(log);
  const y = train.labels!;
  log(`train.csv: ${train.columns.length} rows, ${y.reduce((a, b) => a + b, 0)} survived`);

  const t0 = performance.now();
  const cv = crossValidate(() => preset.build(options.seed), train.columns, y, {
    folds: options.folds,
    repeats: options.repeats,
    seed: options.seed,
    onFold: (r, f, m) =>
      log(
        `  cv repeat ${r + 1} fold ${f + 1}: accuracy ${(m.accuracy * 100).toFixed(2)} %, ` +
          `AUC ${m.rocAuc.toFixed(4)}, log loss ${m.logLoss.toFixed(4)}`,
      ),
  });
  const cvMs = performance.now() - t0;
  log(
    `cross-validation (${options.folds} folds x ${options.repeats}): accuracy ` +
      `${(cv.accuracy.mean * 100).toFixed(2)} % +- ${(cv.accuracy.std * 100).toFixed(2)}, ` +
      `AUC ${cv.rocAuc.mean.toFixed(4)}, log loss ${cv.logLoss.mean.toFixed(4)}`,
  );

  const t1 = performance.now();
  const pipeline = preset.build(options.seed);
  const inputs: ModelInputs = encodeInputs(train.columns, pipeline.inputs());
  pipeline.fit(inputs, y);
  const fitMs = performance.now() - t1;
  const trainingAccuracy = accuracy(y, pipeline.predict(inputs));
  log(
    `fitted on all ${y.length} rows (training accuracy ${(trainingAccuracy * 100).toFixed(2)} %)`,
  );

  const onnx = pipeline.toOnnx(`Titanic survival, preset "${preset.name}": ${preset.description}`);
  const onnxPath = options.output;
  const cardPath = onnxPath.replace(/\.onnx$/, "") + ".json";
  const card: ModelCard = {
    name: basename(onnxPath).replace(/\.onnx$/, ""),
    preset: preset.name,
    description: preset.description,
    seed: options.seed,
    pipeline: pipeline.describe(),
    data: {
      train: { file: TRAIN_FILE.name, sha256: TRAIN_FILE.sha256, rows: TRAIN_FILE.rows },
      test: { file: TEST_FILE.name, sha256: TEST_FILE.sha256, rows: TEST_FILE.rows },
    },
    metrics: {
      crossValidation: {
        folds: cv.folds,
        repeats: cv.repeats,
        seed: cv.seed,
        stratified: true,
        accuracy: spread(cv.accuracy),
        rocAuc: spread(cv.rocAuc),
        logLoss: spread(cv.logLoss),
        confusionMatrix: cv.confusionMatrix,
      },
      trainingAccuracy: round(trainingAccuracy),
    },
    inputs: cardInputs(pipeline),
    outputs: [
      { name: "label", type: "int64", shape: ["N"] },
      { name: "probabilities", type: "float32", shape: ["N", 2] },
    ],
    versions: await libraryVersions(),
    // Training inputs and P(survived) summarized, for `deno task drift` (src/monitor/).
    baseline: driftBaseline(inputs, pipeline.predictProba(inputs)),
    onnx: {
      file: basename(onnxPath),
      sha256: await sha256Hex(onnx),
      bytes: onnx.length,
      irVersion: IR_VERSION,
      opsets: opsetsOf(onnx),
    },
  };
  await writeFileAtomic(onnxPath, onnx);
  await writeFileAtomic(cardPath, JSON.stringify(card, null, 2) + "\n");
  log(`wrote ${onnxPath} (${onnx.length} bytes, SHA-256 ${card.onnx.sha256}) and ${cardPath}`);
  return { pipeline, cv, card, onnx, onnxPath, cardPath, timings: { cvMs, fitMs } };
}
