/**
 * `deno task evaluate`: stratified k-fold report for one preset or all of them, with fit time,
 * model size and onnxruntime inference time, and optionally calibration and permutation
 * importance.
 * @module
 */

import { encodeInputs } from "../codec/inputs.ts";
import { reliability } from "../eval/calibration.ts";
import { crossValidate, type CvReport } from "../eval/cv.ts";
import { crossValidatedImportance } from "../eval/importance.ts";
import { createSession, runSession } from "../inference/model.ts";
import { DEFAULT_SEED, preset, PRESETS } from "../pipeline/presets.ts";
import { loadDataset } from "../train.ts";
import { intOption, parseCli, runMain, stringOption } from "./args.ts";
import type { TitanicData } from "../data/load.ts";
import { writeFileAtomic } from "../util/fs.ts";

const USAGE = `
deno task evaluate [options]

Cross-validates a preset on train.csv with stratified, shuffled, seeded k-fold and prints
accuracy (mean +- std over folds), ROC AUC, log loss, the confusion matrix of the
out-of-fold predictions, the time of one fit on all rows, the ONNX model's size and its
onnxruntime inference time per row.

Options:
  --preset NAME   ${Object.keys(PRESETS).join(", ")}, or "all" for a comparison (default: default)
  --folds K       folds (default: 5)
  --repeats R     repeats with reshuffled folds, e.g. 5 for 5 x 5 CV (default: 1)
  --seed N        seed of the folds and the model (default: ${DEFAULT_SEED})
  --details       also a reliability diagram (out-of-fold) and permutation importance of
                  every input (on held-out folds)
  --output FILE   also write the figures as JSON (written atomically), e.g. for notebook 03
  -h, --help      show this help
`;

const pct = (x: number) => (x * 100).toFixed(2);

interface Costs {
  fitMs: number;
  onnxBytes: number;
  microsPerRow: number;
}

/** Fits on all rows, exports, and times onnxruntime on every training row. */
async function costs(name: string, seed: number, train: TitanicData): Promise<Costs> {
  const t0 = performance.now();
  const pipeline = PRESETS[name].build(seed);
  const inputs = encodeInputs(train.columns, pipeline.inputs());
  pipeline.fit(inputs, train.labels!);
  const fitMs = performance.now() - t0;
  const onnx = pipeline.toOnnx();
  const session = await createSession(onnx);
  for (let i = 0; i < 5; i++) await runSession(session, inputs);
  const runs = 30;
  const t1 = performance.now();
  for (let i = 0; i < runs; i++) await runSession(session, inputs);
  const microsPerRow = ((performance.now() - t1) * 1000) / (runs * train.columns.length);
  await session.release();
  return { fitMs, onnxBytes: onnx.length, microsPerRow };
}

function report(name: string, r: CvReport, ms: number, c: Costs): string {
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
    `  time       ${ms.toFixed(0)} ms for ${r.folds * r.repeats} fits; one fit on all rows ` +
    `${c.fitMs.toFixed(0)} ms`,
    `  model      ${(c.onnxBytes / 1024).toFixed(0)} KiB ONNX, ` +
    `${c.microsPerRow.toFixed(2)} µs per row in onnxruntime (batch of 891)`,
  ].join("\n");
}

await runMain(async () => {
  const { values } = parseCli(Deno.args, {
    preset: { type: "string" },
    folds: { type: "string" },
    repeats: { type: "string" },
    seed: { type: "string" },
    details: { type: "boolean" },
    output: { type: "string" },
  }, USAGE);
  const chosen = stringOption(values.preset) ?? "default";
  const names = chosen === "all" ? Object.keys(PRESETS) : [preset(chosen).name];
  const folds = intOption("folds", values.folds, 5);
  const repeats = intOption("repeats", values.repeats, 1);
  const seed = intOption("seed", values.seed, DEFAULT_SEED);
  const { train } = await loadDataset((m) => console.error(m));
  const y = train.labels!;
  const rows: string[] = [];
  const summary: Record<string, unknown>[] = [];
  for (const name of names) {
    const t0 = performance.now();
    const r = crossValidate(() => PRESETS[name].build(seed), train.columns, y, {
      folds,
      repeats,
      seed,
    });
    const ms = performance.now() - t0;
    const c = await costs(name, seed, train);
    console.log(report(name, r, ms, c));
    summary.push({
      preset: name,
      accuracy: r.accuracy,
      rocAuc: r.rocAuc,
      logLoss: r.logLoss,
      fitMs: Math.round(c.fitMs),
      onnxBytes: c.onnxBytes,
      microsecondsPerRow: Math.round(c.microsPerRow * 100) / 100,
    });
    rows.push(
      `| ${name} | ${pct(r.accuracy.mean)} ± ${pct(r.accuracy.std)} | ` +
        `${r.rocAuc.mean.toFixed(4)} | ${r.logLoss.mean.toFixed(4)} | ${c.fitMs.toFixed(0)} ms | ` +
        `${(c.onnxBytes / 1024).toFixed(0)} KiB | ${c.microsPerRow.toFixed(2)} µs |`,
    );
    if (values.details) {
      const cal = reliability(y, r.outOfFold, 10);
      console.log(
        `  reliability (out-of-fold; expected calibration error ` +
          `${cal.expectedCalibrationError.toFixed(4)})`,
      );
      console.log("    bin         n   mean predicted  observed");
      for (const b of cal.bins) {
        console.log(
          `    ${b.lower.toFixed(1)}-${b.upper.toFixed(1)}  ${String(b.count).padStart(4)}` +
            `   ${b.meanPredicted.toFixed(3).padStart(14)}  ${b.observed.toFixed(3).padStart(8)}`,
        );
      }
      console.log("  permutation importance (accuracy drop on held-out folds)");
      for (
        const imp of crossValidatedImportance(() => PRESETS[name].build(seed), train.columns, y, {
          folds,
          seed,
        })
      ) {
        console.log(
          `    ${imp.input.padEnd(10)} ${pct(imp.mean).padStart(6)} % +- ${pct(imp.std)}`,
        );
      }
    }
  }
  const output = stringOption(values.output);
  if (output) {
    const report = {
      folds,
      repeats,
      seed,
      machine: `${navigator.hardwareConcurrency} CPUs`,
      presets: summary,
    };
    await writeFileAtomic(output, JSON.stringify(report, null, 2) + "\n");
    console.error(`wrote ${output}`);
  }
  if (names.length > 1) {
    console.log(
      `\n| preset | CV accuracy % | ROC AUC | log loss | fit | ONNX size | inference per row |`,
    );
    console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
    for (const row of rows) console.log(row);
  }
});
