/**
 * Several requests' batches scored in one onnxruntime run. A run has a fixed cost (about
 * 45 µs here) on top of about 4.5 µs per row, so a single-record request pays mostly for the
 * run: when requests queue up at a scoring Worker, scoring them together gives that back.
 * Trees score each row on its own, so the rows' answers are the same as scored apart
 * (micro_batch_test.ts holds this on every row of train.csv and test.csv).
 * @module
 */

import type { ModelBatch } from "../src/codec/batch.ts";
import type { ModelInputs } from "../src/codec/inputs.ts";
import type { Predictions } from "../src/inference/model.ts";

/** The rows of `batches`, in order, as one batch. */
export function concatBatches(batches: readonly ModelBatch[]): ModelBatch {
  if (batches.length === 1) return batches[0];
  const length = batches.reduce((sum, b) => sum + b.length, 0);
  const ids = new Float64Array(length);
  const inputs: ModelInputs = {};
  for (const name of Object.keys(batches[0].inputs)) {
    const first = batches[0].inputs[name];
    if (first instanceof Float32Array) {
      const column = new Float32Array(length);
      let at = 0;
      for (const b of batches) {
        column.set(b.inputs[name] as Float32Array, at);
        at += b.length;
      }
      inputs[name] = column;
    } else {
      inputs[name] = batches.flatMap((b) => b.inputs[name] as string[]);
    }
  }
  let at = 0;
  for (const b of batches) {
    ids.set(b.ids, at);
    at += b.length;
  }
  return { length, ids, inputs };
}

/** `out`'s rows split back into runs of `lengths` rows (views, not copies). */
export function splitPredictions(out: Predictions, lengths: readonly number[]): Predictions[] {
  let at = 0;
  return lengths.map((n) => {
    const part = {
      labels: out.labels.subarray(at, at + n),
      probabilities: out.probabilities.subarray(at, at + n),
    };
    at += n;
    return part;
  });
}
