/**
 * The Titanic data as the tasks use it: both files obtained and verified (dataset.ts), then
 * loaded and validated with polars (load.ts).
 * @module
 */

import { obtainDataset } from "./dataset.ts";
import { loadTitanicCsv, type TitanicData } from "./load.ts";

/** Loads the verified train (labelled) and test files. */
export async function loadDataset(
  log: (m: string) => void = () => {},
): Promise<{ train: TitanicData; test: TitanicData }> {
  const paths = await obtainDataset({ log });
  return {
    train: loadTitanicCsv(paths.train, { labelled: true }),
    test: loadTitanicCsv(paths.test),
  };
}
