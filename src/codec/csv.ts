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

const QUOTE = 34, COMMA = 44, LF = 10, CR = 13;

/** Line feeds in text[from, to): lines inside a quoted field count for the next error's line. */
function lineFeeds(text: string, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === LF) n++;
  return n;
}

/**
 * Parses CSV text into rows of fields; blank lines are skipped. A field at a time: unquoted
 * fields are one slice of the text, quoted ones one slice per doubled quote (a character at a
 * time cost a 1000-line body more than onnxruntime's batch).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let row: string[] = [];
  let line = 1;
  let started = false; // the row has a comma or a quote: not a blank line
  let i = 0;
  for (;;) {
    let field: string;
    if (i < n && text.charCodeAt(i) === QUOTE) {
      const quoteLine = line;
      started = true;
      field = "";
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new CsvError(quoteLine, "a quoted field is never closed");
        line += lineFeeds(text, from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          field += text.slice(from, q + 1);
          from = q + 2;
        } else {
          field += text.slice(from, q);
          i = q + 1;
          break;
        }
      }
      const next = text.charCodeAt(i);
      if (i < n && next !== COMMA && next !== LF && next !== CR) {
        throw new CsvError(line, "unexpected character after a closing quote");
      }
    } else {
      let end = i;
      for (; end < n; end++) {
        const c = text.charCodeAt(end);
        if (c === COMMA || c === LF || c === CR) break;
        if (c === QUOTE) throw new CsvError(line, "a quote inside an unquoted field");
      }
      field = text.slice(i, end);
      i = end;
    }
    if (i < n && text.charCodeAt(i) === COMMA) {
      row.push(field);
      started = true;
      i++;
      continue;
    }
    if (started || row.length > 0 || field !== "") {
      row.push(field);
      rows.push(row);
    }
    if (i >= n) return rows;
    row = [];
    started = false;
    if (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF) i++;
    i++;
    line++;
  }
}

/** Formats one CSV field, quoting when needed. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
