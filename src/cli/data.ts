/**
 * `deno task data`: obtain and verify the Titanic CSVs into the cache, and say where they are.
 * @module
 */

import { DATA_FILES, DEFAULT_DATA_URL, obtainDataset } from "../data/dataset.ts";
import { defineCommand, runCommand } from "../util/command.ts";

export const command = defineCommand({
  task: "deno task data",
  usage: "",
  summary: `
Obtains train.csv and test.csv, verifies their SHA-256 and caches them in data/raw/
(git-ignored). Sources, in order: the cache; the folder in TITANIC_DATA_DIR; a download from
TITANIC_DATA_URL (default ${DEFAULT_DATA_URL}). TITANIC_CACHE_DIR moves the cache.`,
  options: {},
});

async function main() {
  const paths = await obtainDataset({ log: (m) => console.log(m) });
  for (const file of DATA_FILES) {
    const path = file.name === "train.csv" ? paths.train : paths.test;
    console.log(`${file.name}: ${path} (${file.rows} rows, SHA-256 ${file.sha256})`);
  }
}

if (import.meta.main) await runCommand(command, main);
