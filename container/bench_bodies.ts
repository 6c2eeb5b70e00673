/**
 * Real passengers for the benchmarks: the rows of Kaggle's test.csv then train.csv (label
 * dropped), read with the codec the server uses, as raw columns and as request bodies of every
 * media type. The CSVs come from TITANIC_DATA_DIR or data/raw/ (never committed); without them
 * the three example passengers are repeated.
 * @module
 */

import { columnsFromRecords, columnsFromRows, type RawColumns } from "../src/codec/columns.ts";
import { csvField, parseCsv } from "../src/codec/csv.ts";
import { PASSENGER_FIELDS } from "../src/codec/schema.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A passenger as a JSON record: numbers as numbers, missing values left out. */
export type PassengerRecord = Record<string, string | number>;

function recordsOf(columns: RawColumns): PassengerRecord[] {
  return Array.from({ length: columns.length }, (_, i) => {
    const record: PassengerRecord = {};
    for (const field of PASSENGER_FIELDS) {
      if (field.kind === "string") {
        const v = columns.strings[field.name][i];
        if (v !== "") record[field.name] = v;
      } else {
        const v = columns.numbers[field.name][i];
        if (!Number.isNaN(v)) record[field.name] = v;
      }
    }
    return record;
  });
}

async function readCsv(dir: string, file: string): Promise<RawColumns | undefined> {
  try {
    const [header, ...rows] = parseCsv(await Deno.readTextFile(`${dir}/${file}`));
    return columnsFromRows(header, rows);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** The benchmark's passengers and where they came from. */
export async function benchPassengers(): Promise<{ records: PassengerRecord[]; source: string }> {
  const dir = Deno.env.get("TITANIC_DATA_DIR") ?? `${ROOT}data/raw`;
  const test = await readCsv(dir, "test.csv");
  const train = await readCsv(dir, "train.csv");
  if (test && train) {
    return {
      records: [...recordsOf(test), ...recordsOf(train)],
      source: `${dir}/test.csv and train.csv`,
    };
  }
  const examples = JSON.parse(
    await Deno.readTextFile(`${ROOT}container/examples/passengers.json`),
  ).instances as PassengerRecord[];
  return {
    records: examples,
    source: "container/examples/passengers.json (set TITANIC_DATA_DIR for real rows)",
  };
}

/** `n` passengers, cycling through `records`, PassengerId renumbered 0..n-1. */
export function take(records: readonly PassengerRecord[], n: number): PassengerRecord[] {
  return Array.from({ length: n }, (_, i) => ({ ...records[i % records.length], PassengerId: i }));
}

/** The same passengers as raw columns (what the server builds from a body). */
export const columnsOf = (records: readonly PassengerRecord[]): RawColumns =>
  columnsFromRecords(records);

const csvCell = (v: string | number | undefined) => (v === undefined ? "" : csvField(v));

/** Request bodies of each media type for `records`. */
export function bodies(records: readonly PassengerRecord[]): Record<string, string> {
  const names = PASSENGER_FIELDS.map((f) => f.name);
  return {
    "application/json": JSON.stringify(records),
    "text/csv": [names, ...records.map((r) => names.map((n) => csvCell(r[n])))]
      .map((row) => row.join(",")).join("\n") + "\n",
    "application/jsonlines": records.map((r) => JSON.stringify(r)).join("\n") + "\n",
  };
}
