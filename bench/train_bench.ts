/**
 * Training speed: `deno task bench`. Figures go to the README; no test asserts on time. The data
 * is read once, by the first benchmark, outside the timed part (nothing happens at import).
 * @module
 */

import { encodeInputs } from "../src/codec/inputs.ts";
import { obtainDataset } from "../src/data/dataset.ts";
import { loadTitanicCsv, type TitanicData } from "../src/data/load.ts";
import { crossValidate } from "../src/eval/cv.ts";
import { PRESETS } from "../src/pipeline/presets.ts";

let data: Promise<{ path: string; train: TitanicData }> | undefined;

/** train.csv, obtained and parsed on first use. */
function trainingData() {
  data ??= obtainDataset().then(({ train }) => ({
    path: train,
    train: loadTitanicCsv(train, { labelled: true }),
  }));
  return data;
}

/** A benchmark timing `body` only, after the data is there. */
function bench(
  name: string,
  options: { group?: string; baseline?: boolean },
  body: (d: Awaited<ReturnType<typeof trainingData>>) => void,
) {
  Deno.bench({
    name,
    ...options,
    async fn(b) {
      const d = await trainingData();
      b.start();
      body(d);
      b.end();
    },
  });
}

for (const name of Object.keys(PRESETS)) {
  bench(`${name}: fit on 891 rows`, { group: name, baseline: true }, ({ train }) => {
    const pipeline = PRESETS[name].build(42);
    pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), train.labels!);
  });
  bench(`${name}: 5-fold CV + final fit`, { group: name }, ({ train }) => {
    const y = train.labels!;
    crossValidate(() => PRESETS[name].build(42), train.columns, y, { folds: 5, seed: 42 });
    const pipeline = PRESETS[name].build(42);
    pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), y);
  });
}

bench("load and validate train.csv with polars", {}, ({ path }) => {
  loadTitanicCsv(path, { labelled: true });
});
