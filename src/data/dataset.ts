/**
 * Obtains the Titanic CSVs: from the git-ignored cache, else from the directory named by
 * `TITANIC_DATA_DIR`, else by download from `TITANIC_DATA_URL`; every copy is checked
 * against the known SHA-256 before it is used or cached.
 * @module
 */

import { join } from "node:path";
import { exists, PROJECT_ROOT, sha256Hex, writeFileAtomic } from "../util/fs.ts";

/** One of the two Kaggle files, with the checksum of the official copy. */
export interface DataFile {
  name: "train.csv" | "test.csv";
  sha256: string;
  rows: number;
}

export const TRAIN_FILE: DataFile = {
  name: "train.csv",
  sha256: "7d118fef8b6ccf7f81111877bc388536f7b1e498a655e3d649d19aaa010e9f6f",
  rows: 891,
};
export const TEST_FILE: DataFile = {
  name: "test.csv",
  sha256: "56023b9948236f3c7a1c9448fcf418b283e109ef177fa8c7e069158dd7dd52b2",
  rows: 418,
};
export const DATA_FILES: readonly DataFile[] = [TRAIN_FILE, TEST_FILE];

/** Public copy of the Kaggle files; override with `TITANIC_DATA_URL`. */
export const DEFAULT_DATA_URL =
  "https://raw.githubusercontent.com/agconti/kaggle-titanic/master/data";

/** Where the files come from; every field defaults from the environment. */
export interface DataSource {
  /** Cache folder (default `data/raw` in the project, or `TITANIC_CACHE_DIR`). */
  cacheDir?: string;
  /** Folder holding train.csv and test.csv (default `TITANIC_DATA_DIR`). */
  dataDir?: string;
  /** Base URL the files are downloaded from (default `TITANIC_DATA_URL`). */
  baseUrl?: string;
  /** Progress messages; silent by default. */
  log?: (message: string) => void;
}

/** A file whose bytes do not match the expected checksum. */
export class ChecksumError extends Error {
  constructor(
    readonly file: string,
    readonly origin: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${file} from ${origin} has SHA-256 ${actual}, expected ${expected}: ` +
        `refusing a file that is not the official Kaggle copy`,
    );
    this.name = "ChecksumError";
  }
}

/** No source could provide the file. */
export class DataUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataUnavailableError";
  }
}

function env(name: string): string | undefined {
  const value = Deno.env.get(name);
  return value === undefined || value === "" ? undefined : value;
}

function resolveSource(source: DataSource): Required<Omit<DataSource, "dataDir">> & {
  dataDir?: string;
} {
  return {
    cacheDir: source.cacheDir ?? env("TITANIC_CACHE_DIR") ?? join(PROJECT_ROOT, "data", "raw"),
    // An explicit download URL wins over a folder that only the environment names.
    dataDir: source.dataDir ?? (source.baseUrl ? undefined : env("TITANIC_DATA_DIR")),
    baseUrl: (source.baseUrl ?? env("TITANIC_DATA_URL") ?? DEFAULT_DATA_URL).replace(/\/$/, ""),
    log: source.log ?? (() => {}),
  };
}

async function verified(file: DataFile, bytes: Uint8Array, origin: string): Promise<Uint8Array> {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) throw new ChecksumError(file.name, origin, file.sha256, actual);
  return bytes;
}

async function download(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new DataUnavailableError(`cannot download ${url}: ${(err as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DataUnavailableError(`cannot download ${url}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Returns the path of a verified local copy of `file`, fetching and caching it when needed.
 * Throws {@link ChecksumError} when a source holds different bytes.
 */
export async function obtainFile(file: DataFile, source: DataSource = {}): Promise<string> {
  const src = resolveSource(source);
  const cached = join(src.cacheDir, file.name);
  if (await exists(cached)) {
    const bytes = await Deno.readFile(cached);
    if ((await sha256Hex(bytes)) === file.sha256) return cached;
    src.log(`${cached} does not match its checksum: fetching it again`);
  }
  let bytes: Uint8Array;
  if (src.dataDir) {
    const from = join(src.dataDir, file.name);
    try {
      bytes = await Deno.readFile(from);
    } catch (err) {
      throw new DataUnavailableError(
        `TITANIC_DATA_DIR=${src.dataDir} has no readable ${file.name}: ${(err as Error).message}`,
      );
    }
    await verified(file, bytes, from);
    src.log(`copied ${from} (SHA-256 verified)`);
  } else {
    const url = `${src.baseUrl}/${file.name}`;
    src.log(`downloading ${url}`);
    bytes = await verified(file, await download(url), url);
    src.log(`downloaded ${file.name} (SHA-256 verified)`);
  }
  await writeFileAtomic(cached, bytes);
  return cached;
}

/** Verified local paths of train.csv and test.csv. */
export async function obtainDataset(
  source: DataSource = {},
): Promise<{ train: string; test: string }> {
  return {
    train: await obtainFile(TRAIN_FILE, source),
    test: await obtainFile(TEST_FILE, source),
  };
}
