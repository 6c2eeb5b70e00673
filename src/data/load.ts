/**
 * Reads a Titanic CSV with nodejs-polars and validates it against the passenger schema:
 * a missing column, a value of the wrong type or an impossible value is a {@link DataError}
 * naming the file, the line and the column.
 * @module
 */

import pl from "nodejs-polars";
import { columnsFromRows, type RawColumns } from "../codec/columns.ts";
import { LABEL_FIELD, PASSENGER_FIELDS, type RawField } from "../codec/schema.ts";
import { FieldError, parseNumber } from "../codec/values.ts";

/** A problem in a data file, located as precisely as possible. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
    readonly column?: string,
  ) {
    const where = [file, line === undefined ? undefined : `line ${line}`].filter(Boolean).join(":");
    super(`${where}: ${column === undefined ? "" : `column "${column}": `}${problem}`);
    this.name = "DataError";
  }
}

/** A validated data file: raw columns and, for train.csv, the labels. */
export interface TitanicData {
  readonly path: string;
  readonly columns: RawColumns;
  /** 0/1 survival, present when the file was loaded with `labelled: true`. */
  readonly labels?: Uint8Array;
}

export interface LoadOptions {
  /** Require and return the `Survived` column. */
  labelled?: boolean;
  /** Require every schema column (true, the Kaggle layout) or only the required ones. */
  allColumns?: boolean;
}

// Line of data row i: the header is line 1 and Titanic fields hold no line breaks.
const lineOf = (row: number) => row + 2;

function readAllStrings(path: string): pl.DataFrame {
  try {
    return pl.readCSV(path, { inferSchemaLength: 0, hasHeader: true });
  } catch (err) {
    throw new DataError(path, `not a readable CSV file: ${(err as Error).message}`);
  }
}

/** Casts every numeric column with polars and reports the first cell that is not a number. */
function castNumbers(path: string, frame: pl.DataFrame, fields: RawField[]): pl.DataFrame {
  const present = fields.filter((f) => frame.columns.includes(f.name));
  if (present.length === 0) return frame;
  const stripped = present.map((f) => pl.col(f.name).str.stripChars(" \t\r\n").alias(f.name));
  const text = frame.withColumns(...stripped).withRowIndex("__row");
  const cast = text.withColumns(
    ...present.map((f) => pl.col(f.name).cast(pl.Float64, false).alias(`__num_${f.name}`)),
  );
  for (const field of present) {
    const bad = cast.filter(
      pl.col(field.name).isNotNull().and(pl.col(field.name).neq(pl.lit("")))
        .and(pl.col(`__num_${field.name}`).isNull()),
    );
    if (bad.height > 0) {
      const first = bad.row(0);
      const row = Number(first[bad.columns.indexOf("__row")]);
      const value = first[bad.columns.indexOf(field.name)];
      throw new DataError(
        path,
        `expected a number, got ${JSON.stringify(value)}`,
        lineOf(row),
        field.name,
      );
    }
  }
  return cast.select(
    ...frame.columns.map((name) =>
      present.some((f) => f.name === name)
        ? pl.col(`__num_${name}`).alias(name)
        : pl.col(name).str.stripChars(" \t\r\n").alias(name)
    ),
  );
}

/** Loads and validates one Titanic CSV file. */
export function loadTitanicCsv(path: string, options: LoadOptions = {}): TitanicData {
  const { labelled = false, allColumns = true } = options;
  const frame = readAllStrings(path);
  const expected = [...PASSENGER_FIELDS, ...(labelled ? [LABEL_FIELD] : [])];
  for (const field of expected) {
    if ((allColumns || field.required) && !frame.columns.includes(field.name)) {
      throw new DataError(path, "column is missing", 1, field.name);
    }
  }
  const numeric = expected.filter((f) => f.kind !== "string");
  const typed = castNumbers(path, frame, numeric);
  const header = typed.columns;
  const rows = typed.rows();
  let columns: RawColumns;
  try {
    columns = columnsFromRows(header, rows);
  } catch (err) {
    if (err instanceof FieldError) {
      const line = err.record === undefined ? 1 : lineOf(err.record);
      throw new DataError(path, err.problem, line, err.field);
    }
    throw err;
  }
  if (!labelled) return { path, columns };
  const at = header.indexOf(LABEL_FIELD.name);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    try {
      labels[i] = parseNumber(LABEL_FIELD, row[at]);
    } catch (err) {
      if (err instanceof FieldError) {
        throw new DataError(path, err.problem, lineOf(i), LABEL_FIELD.name);
      }
      throw err;
    }
  });
  return { path, columns, labels };
}
