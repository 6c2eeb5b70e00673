/**
 * A small RFC 4180 CSV reader for request bodies (the server has no polars): quoted fields,
 * doubled quotes, commas and line breaks inside quotes, LF or CRLF line ends.
 * @module
 */

/** A CSV body that cannot be read; `line` is 1-based. */
export class CsvError extends Error {
  constructor(readonly line: number, readonly problem: string) {
    super(`CSV line ${line}: ${problem}`);
    this.name = "CsvError";
  }
}

/** Parses CSV text into rows of fields; blank lines are skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  let fieldStarted = false;
  const endRow = () => {
    if (fieldStarted || row.length > 0 || field !== "") {
      row.push(field);
      rows.push(row);
    }
    row = [];
    field = "";
    fieldStarted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          const next = text[i + 1];
          if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
            throw new CsvError(line, "unexpected character after a closing quote");
          }
        }
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== "") throw new CsvError(line, "a quote inside an unquoted field");
      quoted = true;
      quoteLine = line;
      fieldStarted = true;
    } else if (c === ",") {
      row.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
    } else {
      field += c;
    }
  }
  if (quoted) throw new CsvError(quoteLine, "a quoted field is never closed");
  endRow();
  return rows;
}

/** Formats one CSV field, quoting when needed. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
