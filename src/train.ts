/**
 * Training end to end: data -> the estimate (nested cross-validation of the selection for the
 * default preset, plain CV for a fixed one, with baselines on the same folds) -> the
 * selection on all rows (default preset) -> fit on all rows -> one ONNX file and its model
 * card, both written atomically. Same data and seed give byte-identical files.
 * @module
 */

import { basename } from "node:path";
import "./inference/telemetry_off.ts"; // before onnxruntime loads
import * as ort from "onnxruntime-node";
// The import map that pinned the libraries, read with the module (not from disk at run time).
import config from "../deno.json" with { type: "json" };
import { encodeInputs, inputSpec, type ModelInputs } from "./codec/inputs.ts";
import { TEST_FILE, TRAIN_FILE } from "./data/dataset.ts";
import { loadDataset } from "./data/titanic.ts";
import { accuracy } from "./eval/metrics.ts";
import {
  comparatorsFor,
  INNER_CV,
  nestedCrossValidate,
  type NestedReport,
  select,
} from "./eval/nested.ts";
import { type Candidate, SELECTION_RULE, selectionSpace } from "./eval/search.ts";
import { type CardInput, cardPathFor, type ModelCard } from "./inference/card.ts";
import { driftBaseline } from "./monitor/baseline.ts";
import { heldOutProbabilities } from "./monitor/held_out.ts";
import { IR_VERSION, opsetsOf } from "./onnx/builder.ts";
import { type Pipeline, PRODUCER } from "./pipeline/pipeline.ts";
import { checkPresetName, DEFAULT_PRESET, PRESETS } from "./pipeline/presets.ts";
import { sha256Hex, writeFileAtomic } from "./util/fs.ts";

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
  estimate: NestedReport;
  card: ModelCard;
  onnx: Uint8Array;
  onnxPath: string;
  cardPath: string;
  timings: { estimateMs: number; fitMs: number };
}

/** The npm packages that shape the model file or run it. */
const MODEL_LIBRARIES = ["nodejs-polars", "onnxruntime-node", "onnx-proto"];

/** Versions of the libraries that shape the model file, read from deno.json's import map. */
export function libraryVersions(): Record<string, string> {
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
    const categories = pipeline.transformers.map((s) => s.knownCategories?.(name))
      .find((c) => c !== undefined);
    return {
      ...spec,
      shape: ["N", 1],
      missing: spec.type === "float32" ? "NaN" : '""',
      ...(categories ? { categories } : {}),
    };
  });
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const spread = (s: { mean: number; std: number }) => ({ mean: round(s.mean), std: round(s.std) });
const pct = (x: number) => (x * 100).toFixed(2);

/** Refuses more folds than the smaller class has rows (every fold needs both classes). */
export function checkFoldsFit(folds: number, y: Uint8Array): void {
  const positives = y.reduce((a, b) => a + b, 0);
  const most = Math.min(positives, y.length - positives);
  if (folds > most) {
    throw new RangeError(
      `--folds must be at most ${most} for these ${y.length} rows (each fold needs both ` +
        `classes; got ${folds})`,
    );
  }
}

/** Refuses options that cannot give an estimate, naming the option, before any work. */
export function checkTrainOptions(options: Pick<TrainOptions, "folds" | "repeats" | "preset">) {
  checkPresetName(options.preset);
  if (!Number.isInteger(options.folds) || options.folds < 2) {
    throw new RangeError(`--folds must be a whole number of at least 2 (got ${options.folds})`);
  }
  if (!Number.isInteger(options.repeats) || options.repeats < 1 || options.repeats > 100) {
    throw new RangeError(`--repeats must be a whole number from 1 to 100 (got ${options.repeats})`);
  }
}

/** The candidates the estimate and the fit choose from: the whole space, or one preset. */
function spaceOf(preset: string): Candidate[] {
  return preset === DEFAULT_PRESET ? selectionSpace() : [PRESETS[preset].candidate];
}

/** Trains a preset and writes its ONNX file and model card. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  checkTrainOptions(options);
  const log = options.log ?? (() => {});
  const { train, test } = await loadDataset(log);
  const y = train.labels!;
  const rows = y.length;
  checkFoldsFit(options.folds, y);
  log(`train.csv: ${rows} rows, ${y.reduce((a, b) => a + b, 0)} survived`);
  const space = spaceOf(options.preset);
  const nested = space.length > 1;

  const t0 = performance.now();
  const estimate = nestedCrossValidate(space, train.columns, y, {
    folds: options.folds,
    repeats: options.repeats,
    ...INNER_CV,
    seed: options.seed,
    comparators: comparatorsFor(options.seed),
    onFold: (f) =>
      log(
        `  outer repeat ${f.repeat + 1} fold ${f.fold + 1}: ${pct(f.accuracy)} % with ` +
          `${f.chosen}` + (nested ? ` (selection score ${pct(f.selectionScore)} %)` : ""),
      ),
  });
  const estimateMs = performance.now() - t0;
  const method = nested ? "nested cross-validation" : "cross-validation";
  log(
    `${method} (${options.folds} folds x ${options.repeats}): accuracy ` +
      `${pct(estimate.accuracy.mean)} % +- ${pct(estimate.accuracy.std)}, ` +
      `AUC ${estimate.rocAuc.mean.toFixed(4)}, log loss ${estimate.logLoss.mean.toFixed(4)}`,
  );
  for (const c of estimate.comparisons) {
    log(
      `  vs ${c.name}: ${pct(c.accuracy.mean)} %, paired difference ` +
        `${pct(c.difference.mean)} +- ${pct(c.difference.std)} points ` +
        `(${c.wins} folds better, ${c.ties} equal, ${c.losses} worse)`,
    );
  }

  const t1 = performance.now();
  const selection = nested
    ? select(space, train.columns, y, { ...INNER_CV, seed: options.seed })
    : undefined;
  const chosen = selection?.chosen.candidate ?? space[0];
  if (selection) log(`selection on all ${rows} rows: ${chosen.name}`);
  const pipeline = chosen.build(options.seed);
  const inputs: ModelInputs = encodeInputs(train.columns, pipeline.inputs());
  pipeline.fit(inputs, y);
  const fitMs = performance.now() - t1;
  const trainingAccuracy = accuracy(y, pipeline.predict(inputs));
  log(`fitted on all ${rows} rows (training accuracy ${pct(trainingAccuracy)} %)`);

  const description = options.preset === DEFAULT_PRESET
    ? `the selection's choice: ${chosen.name}`
    : PRESETS[options.preset].description;
  const onnx = pipeline.toOnnx(`Titanic survival, preset "${options.preset}": ${description}`);
  const onnxPath = options.output;
  const cardPath = cardPathFor(onnxPath);
  const card: ModelCard = {
    name: basename(onnxPath).replace(/\.onnx$/, ""),
    preset: options.preset,
    description,
    seed: options.seed,
    pipeline: pipeline.describe(),
    data: {
      train: { file: TRAIN_FILE.name, sha256: TRAIN_FILE.sha256, rows },
      test: { file: TEST_FILE.name, sha256: TEST_FILE.sha256, rows: test.columns.length },
    },
    metrics: {
      estimate: {
        method,
        folds: estimate.folds,
        repeats: estimate.repeats,
        ...(nested ? { innerFolds: estimate.innerFolds, innerRepeats: estimate.innerRepeats } : {}),
        seed: estimate.seed,
        stratified: true,
        accuracy: spread(estimate.accuracy),
        rocAuc: spread(estimate.rocAuc),
        logLoss: spread(estimate.logLoss),
        choices: estimate.choices,
      },
      comparisons: estimate.comparisons.map((c) => ({
        ...c,
        accuracy: spread(c.accuracy),
        difference: spread(c.difference),
      })),
      ...(selection
        ? {
          selection: {
            rule: SELECTION_RULE,
            folds: INNER_CV.innerFolds,
            repeats: INNER_CV.innerRepeats,
            chosen: chosen.name,
            candidates: selection.results.map((r) => ({
              name: r.candidate.name,
              accuracy: spread(r.report.accuracy),
              cost: round(r.cost),
            })),
          },
        }
        : {}),
      trainingAccuracy: round(trainingAccuracy),
    },
    inputs: cardInputs(pipeline),
    outputs: [
      { name: "label", type: "int64", shape: ["N"] },
      { name: "probabilities", type: "float32", shape: ["N", 2] },
      // The features the trees see, for explanations (src/inference/explainer.ts).
      { name: "features", type: "float32", shape: ["N", pipeline.featureNames.length] },
    ],
    versions: libraryVersions(),
    // Training inputs and held-out P(survived) summarized, for `deno task drift` (src/monitor/).
    baseline: driftBaseline(
      inputs,
      heldOutProbabilities(() => chosen.build(options.seed), train.columns, y, options.seed),
    ),
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
  return { pipeline, estimate, card, onnx, onnxPath, cardPath, timings: { estimateMs, fitMs } };
}
