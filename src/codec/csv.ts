/**
 * A small RFC 4180 CSV reader for request bodies (the server has no polars): quoted fields,
 * doubled quotes, commas and line breaks inside quotes, LF or CRLF line ends.
 * @module
 */

/** A CSV body that cannot be read; `line` is 1-based. */
export class CsvError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
    /** The row (blank lines not counted) it is in, when known; rows before it in `before`. */
    readonly row?: number,
    readonly before?: CsvCells,
  ) {
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
 * A CSV text's cells as offsets into it, row by row: read without a string per cell, so that a
 * reader takes only the cells it needs as text (and numbers straight from the characters).
 */
export class CsvCells {
  /** Rows (blank lines are not rows). */
  rows = 0;
  /** Cells in all. */
  count = 0;
  #starts: Int32Array;
  #ends: Int32Array;
  #rowEnds: Int32Array;
  #rowLines: Int32Array;

  constructor(readonly text: string) {
    // Every cell but a row's last ends in a comma: a small guess, grown by doubling.
    const guess = Math.max(16, text.length >> 2);
    this.#starts = new Int32Array(guess);
    this.#ends = new Int32Array(guess);
    this.#rowEnds = new Int32Array(Math.max(4, guess >> 3));
    this.#rowLines = new Int32Array(this.#rowEnds.length);
  }

  /** The line (1-based, as an editor counts them) row r starts on. */
  line(r: number): number {
    return this.#rowLines[r];
  }

  /** Adds a cell text[start, end); `escaped` when it holds doubled quotes. */
  push(start: number, end: number, escaped: boolean): void {
    if (this.count === this.#starts.length) {
      this.#starts = grown(this.#starts);
      this.#ends = grown(this.#ends);
    }
    this.#starts[this.count] = escaped ? ~start : start;
    this.#ends[this.count++] = end;
  }

  /** Ends the row at the last cell pushed; it started on `line`. */
  endRow(line: number): void {
    if (this.rows === this.#rowEnds.length) {
      this.#rowEnds = grown(this.#rowEnds);
      this.#rowLines = grown(this.#rowLines);
    }
    this.#rowLines[this.rows] = line;
    this.#rowEnds[this.rows++] = this.count;
  }

  /** The index of row r's first cell. */
  rowStart(r: number): number {
    return r === 0 ? 0 : this.#rowEnds[r - 1];
  }

  /** How many cells row r has. */
  width(r: number): number {
    return this.#rowEnds[r] - this.rowStart(r);
  }

  /** Cell k's text, doubled quotes undone. */
  cellText(k: number): string {
    const start = this.#starts[k];
    if (start >= 0) return this.text.slice(start, this.#ends[k]);
    return this.text.slice(~start, this.#ends[k]).replaceAll('""', '"');
  }

  /** Where cell k's characters start in the text, or -1 when they hold doubled quotes. */
  plainStart(k: number): number {
    const start = this.#starts[k];
    return start >= 0 ? start : -1;
  }

  /** Where cell k's characters end in the text. */
  end(k: number): number {
    return this.#ends[k];
  }

  /** Row r's cells as text. */
  rowTexts(r: number): string[] {
    const row: string[] = [];
    for (let k = this.rowStart(r), end = this.#rowEnds[r]; k < end; k++) row.push(this.cellText(k));
    return row;
  }
}

function grown(array: Int32Array): Int32Array {
  const next = new Int32Array(array.length * 2);
  next.set(array);
  return next;
}

/**
 * Reads CSV text into cells; blank lines are skipped. A field at a time: an unquoted field is
 * found by one scan, a quoted one by one indexOf per quote (a character at a time cost a
 * 1000-line body more than onnxruntime's batch).
 */
export function scanCsv(text: string): CsvCells {
  const cells = new CsvCells(text);
  const n = text.length;
  let rowFirst = 0; // the index of the row's first cell
  let line = 1;
  let started = false; // the row has a comma or a quote: not a blank line
  let rowLine = 1; // the line the row being read starts on
  let i = 0;
  const fail = (at: number, problem: string) => new CsvError(at, problem, cells.rows, cells);
  for (;;) {
    let start: number, end: number;
    let escaped = false;
    if (!started && cells.count === rowFirst) rowLine = line;
    if (i < n && text.charCodeAt(i) === QUOTE) {
      const quoteLine = line;
      started = true;
      start = i + 1;
      let from = start;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw fail(quoteLine, "a quoted field is never closed");
        line += lineFeeds(text, from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          escaped = true;
          from = q + 2;
        } else {
          end = q;
          i = q + 1;
          break;
        }
      }
      const next = text.charCodeAt(i);
      if (i < n && next !== COMMA && next !== LF && next !== CR) {
        throw fail(line, "unexpected character after a closing quote");
      }
    } else {
      start = i;
      end = i;
      for (; end < n; end++) {
        const c = text.charCodeAt(end);
        if (c === COMMA || c === LF || c === CR) break;
        if (c === QUOTE) throw fail(line, "a quote inside an unquoted field");
      }
      i = end;
    }
    if (i < n && text.charCodeAt(i) === COMMA) {
      cells.push(start, end, escaped);
      started = true;
      i++;
      continue;
    }
    if (started || cells.count > rowFirst || end > start) {
      cells.push(start, end, escaped);
      cells.endRow(rowLine);
      rowFirst = cells.count;
    }
    if (i >= n) return cells;
    started = false;
    if (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF) i++;
    i++;
    line++;
  }
}

/** Parses CSV text into rows of fields; blank lines are skipped. */
export function parseCsv(text: string): string[][] {
  const cells = scanCsv(text);
  return Array.from({ length: cells.rows }, (_, r) => cells.rowTexts(r));
}

/** Formats one CSV field, quoting when needed. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
