/**
 * Training speed: `deno task bench`. Figures go to the README; no test asserts on time.
 */

import { encodeInputs } from "./codec/inputs.ts";
import { obtainDataset } from "./data/dataset.ts";
import { loadTitanicCsv } from "./data/load.ts";
import { crossValidate } from "./eval/cv.ts";
import { PRESETS } from "./pipeline/presets.ts";

const paths = await obtainDataset();
const train = loadTitanicCsv(paths.train, { labelled: true });
const y = train.labels!;

for (const name of Object.keys(PRESETS)) {
  Deno.bench(`${name}: fit on 891 rows`, { group: name, baseline: true }, () => {
    const pipeline = PRESETS[name].build(42);
    pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), y);
  });
  Deno.bench(`${name}: 5-fold CV + final fit`, { group: name }, () => {
    crossValidate(() => PRESETS[name].build(42), train.columns, y, { folds: 5, seed: 42 });
    const pipeline = PRESETS[name].build(42);
    pipeline.fit(encodeInputs(train.columns, pipeline.inputs()), y);
  });
}

Deno.bench("load and validate train.csv with polars", () => {
  loadTitanicCsv(paths.train, { labelled: true });
});
