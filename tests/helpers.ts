/** Shared test fixtures: the verified dataset (via TITANIC_DATA_DIR) and temp folders. */

import { obtainDataset } from "../src/data/dataset.ts";
import { loadTitanicCsv, type TitanicData } from "../src/data/load.ts";

export const SHARED_DATA = Deno.env.get("TITANIC_DATA_DIR") ??
  new URL("../../shared/data/titanic", import.meta.url).pathname;

let cached: Promise<{ train: TitanicData; test: TitanicData }> | undefined;

/** train.csv and test.csv, loaded once per test process. */
export function dataset(): Promise<{ train: TitanicData; test: TitanicData }> {
  cached ??= (async () => {
    const paths = await obtainDataset({ dataDir: SHARED_DATA });
    return {
      train: loadTitanicCsv(paths.train, { labelled: true }),
      test: loadTitanicCsv(paths.test),
    };
  })();
  return cached;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "titanic-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `deno task -q ARGS` from the project root, as a user runs it, with the shared data. */
export async function denoTask(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", ...args],
    cwd: new URL("../", import.meta.url).pathname,
    env: { TITANIC_DATA_DIR: SHARED_DATA, NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** An nbformat 4.5 notebook of Deno code cells, unexecuted. */
export function codeNotebook(cells: string[]) {
  return {
    cells: cells.map((source, i) => ({
      cell_type: "code",
      id: `c${i}`,
      execution_count: null,
      metadata: {},
      outputs: [],
      source,
    })),
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}
