/**
 * JSON request bodies read straight into a {@link BatchBuilder}: a scanner over the text that
 * knows the passenger fields, so that a record's values go into the columns as they are read,
 * without JSON.parse building an object per record and a second pass reading it back.
 *
 * It is a fast path and nothing more: every body it does not take in full (bad JSON, a bad
 * value, a shape it does not read, a duplicate key, a key with escapes) makes it return
 * `false`, and the caller reads the body with JSON.parse instead, which gives the answer or the
 * error exactly as before. What it does accept it checks as strictly as JSON.parse (RFC 8259
 * grammar), which the tests compare against JSON.parse on generated and mutated bodies.
 * @module
 */

import { type BatchBuilder, FIELD_INDEX, fieldPositions } from "./batch.ts";
import { PASSENGER_FIELDS } from "./schema.ts";

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58, MINUS = 45, PLUS = 43, DOT = 46;
const OPEN_OBJECT = 123, CLOSE_OBJECT = 125, OPEN_ARRAY = 91, CLOSE_ARRAY = 93;
const ZERO = 48, NINE = 57, SPACE = 32, TAB = 9, LF = 10, CR = 13, LOWER_E = 101, UPPER_E = 69;

/** Thrown inside the scanner when it leaves the body to JSON.parse. */
const LEAVE = new Error("left to JSON.parse");

/** The body shapes a JSON object may take (container/payload.ts): the keys that pick one. */
const SHAPE_KEYS = ["instances", "dataframe_records", "dataframe_split", "inputs"];

/** Exact powers of ten: an integer mantissa under 2^53 over one of them is correctly rounded. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Field indices by key length, for matching keys in place without making key strings. */
const BY_LENGTH: number[][] = [];
for (const [name, f] of FIELD_INDEX) (BY_LENGTH[name.length] ??= []).push(f);
const NAMES = PASSENGER_FIELDS.map((f) => f.name);
const FIELD_COUNT = NAMES.length;

class Scanner {
  p = 0;
  readonly n: number;
  /** The raw values of the record being read, in schema order; reused for every record. */
  readonly values: unknown[] = new Array(FIELD_COUNT).fill(undefined);
  /** JSON lines: a line feed ends a record instead of being whitespace. */
  lines = false;

  constructor(readonly t: string, readonly out: BatchBuilder) {
    this.n = t.length;
  }

  ws(): void {
    const t = this.t;
    let p = this.p;
    for (; p < this.n; p++) {
      const c = t.charCodeAt(p);
      if (c !== SPACE && c !== TAB && c !== CR && (c !== LF || this.lines)) break;
    }
    this.p = p;
  }

  /** Skips whitespace and the character `c`, which must come next. */
  expect(c: number): void {
    this.ws();
    if (this.t.charCodeAt(this.p) !== c) throw LEAVE;
    this.p++;
  }

  /** Position of the closing quote of a key starting at p (on its opening quote); no escapes. */
  keyEnd(): number {
    const t = this.t;
    if (t.charCodeAt(this.p) !== QUOTE) throw LEAVE;
    for (let q = this.p + 1; q < this.n; q++) {
      const c = t.charCodeAt(q);
      if (c === QUOTE) return q;
      if (c === BACKSLASH || c < SPACE) throw LEAVE;
    }
    throw LEAVE;
  }

  /** The schema field whose name is t[from, to), or -1. */
  fieldAt(from: number, to: number): number {
    const candidates = BY_LENGTH[to - from];
    if (candidates) {
      for (const f of candidates) if (this.t.startsWith(NAMES[f], from)) return f;
    }
    return -1;
  }

  isKey(from: number, to: number, name: string): boolean {
    return to - from === name.length && this.t.startsWith(name, from);
  }

  isShapeKey(from: number, to: number): boolean {
    return SHAPE_KEYS.some((k) => this.isKey(from, to, k));
  }

  /** A string value (p on its opening quote). */
  string(): string {
    const t = this.t;
    const from = this.p + 1;
    let escaped = false;
    for (let q = from; q < this.n; q++) {
      const c = t.charCodeAt(q);
      if (c === QUOTE) {
        this.p = q + 1;
        if (!escaped) return t.slice(from, q);
        try {
          return JSON.parse(t.slice(from - 1, q + 1)); // escapes: rare, and checked by the engine
        } catch {
          throw LEAVE;
        }
      }
      if (c === BACKSLASH) {
        escaped = true;
        q++;
      } else if (c < SPACE) throw LEAVE;
    }
    throw LEAVE;
  }

  /** Digits from p; how many. */
  digits(): number {
    const t = this.t;
    const from = this.p;
    let p = from;
    for (; p < this.n; p++) {
      const c = t.charCodeAt(p);
      if (c < ZERO || c > NINE) break;
    }
    this.p = p;
    return p - from;
  }

  /** A number (RFC 8259 grammar), its value as JSON.parse gives it. */
  number(): number {
    const t = this.t;
    const from = this.p;
    const negative = t.charCodeAt(from) === MINUS;
    if (negative) this.p++;
    const intFrom = this.p;
    const intDigits = this.digits();
    if (intDigits === 0 || (intDigits > 1 && t.charCodeAt(intFrom) === ZERO)) throw LEAVE;
    let fracDigits = 0;
    if (t.charCodeAt(this.p) === DOT) {
      this.p++;
      fracDigits = this.digits();
      if (fracDigits === 0) throw LEAVE;
    }
    let exponent = false;
    const e = t.charCodeAt(this.p);
    if (e === LOWER_E || e === UPPER_E) {
      exponent = true;
      this.p++;
      const sign = t.charCodeAt(this.p);
      if (sign === PLUS || sign === MINUS) this.p++;
      if (this.digits() === 0) throw LEAVE;
    }
    if (exponent || intDigits + fracDigits > 15) return Number(t.slice(from, this.p));
    // Up to 15 digits: the mantissa is an exact integer and 10^k exact, so one division
    // rounds correctly, as the engine's own conversion does.
    let mantissa = 0;
    for (let k = intFrom; k < this.p; k++) {
      const c = t.charCodeAt(k);
      if (c !== DOT) mantissa = mantissa * 10 + (c - ZERO);
    }
    const value = fracDigits ? mantissa / POW10[fracDigits] : mantissa;
    return negative ? -value : value;
  }

  literal(word: string, value: unknown): unknown {
    if (!this.t.startsWith(word, this.p)) throw LEAVE;
    this.p += word.length;
    return value;
  }

  /** A value given to a field: a string, number, boolean or null (anything else is left). */
  scalar(): unknown {
    const c = this.t.charCodeAt(this.p);
    if (c === QUOTE) return this.string();
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.number();
    if (c === 116) return this.literal("true", true);
    if (c === 102) return this.literal("false", false);
    if (c === 110) return this.literal("null", null);
    throw LEAVE;
  }

  /** Checks and passes over any JSON value (the value of a key outside the schema). */
  skip(): void {
    this.ws();
    const c = this.t.charCodeAt(this.p);
    if (c === OPEN_OBJECT) {
      this.p++;
      this.ws();
      if (this.t.charCodeAt(this.p) === CLOSE_OBJECT) {
        this.p++;
        return;
      }
      for (;;) {
        this.ws();
        if (this.t.charCodeAt(this.p) !== QUOTE) throw LEAVE;
        this.string();
        this.expect(COLON);
        this.skip();
        if (this.separator(CLOSE_OBJECT)) return;
      }
    }
    if (c === OPEN_ARRAY) {
      this.items(() => this.skip());
      return;
    }
    this.scalar();
  }

  /** After an item: true at the closing `close`, false after a comma. */
  separator(close: number): boolean {
    this.ws();
    const c = this.t.charCodeAt(this.p++);
    if (c === close) return true;
    if (c !== COMMA) throw LEAVE;
    return false;
  }

  /** An array (p at or before its `[`), `item` called at each item's first character. */
  items(item: () => void): number {
    this.expect(OPEN_ARRAY);
    this.ws();
    if (this.t.charCodeAt(this.p) === CLOSE_ARRAY) {
      this.p++;
      return 0;
    }
    let count = 0;
    do {
      this.ws();
      item();
      count++;
    } while (!this.separator(CLOSE_ARRAY));
    return count;
  }

  /**
   * One passenger object (p on its `{`) into the builder. Keys outside the schema are checked
   * and passed over; `topLevel`: the body itself is the record, so a shape key is left to
   * JSON.parse's reading.
   */
  record(topLevel = false): void {
    const t = this.t;
    const values = this.values;
    if (t.charCodeAt(this.p) !== OPEN_OBJECT) throw LEAVE; // not an object: an error
    this.p++;
    values.fill(undefined);
    let seen = 0;
    this.ws();
    if (t.charCodeAt(this.p) === CLOSE_OBJECT) this.p++;
    else {
      do {
        this.ws();
        const end = this.keyEnd();
        const f = this.fieldAt(this.p + 1, end);
        if (topLevel && f < 0 && this.isShapeKey(this.p + 1, end)) throw LEAVE;
        this.p = end + 1;
        this.expect(COLON);
        this.ws();
        if (f < 0) this.skip();
        else {
          if (seen & (1 << f)) throw LEAVE; // a repeated key: the last one counts
          seen |= 1 << f;
          values[f] = this.scalar();
        }
      } while (!this.separator(CLOSE_OBJECT));
    }
    this.out.push(values);
  }

  /** A list of passenger objects. */
  records(): void {
    this.items(() => this.record());
  }

  /** `{"columns": [...], "data": [[...], ...]}`, columns first. */
  split(): void {
    this.expect(OPEN_OBJECT);
    let position: number[] | undefined; // schema field of each column, or -1
    let width = 0;
    let data = false;
    do {
      this.ws();
      const end = this.keyEnd();
      const from = this.p + 1;
      this.p = end + 1;
      this.expect(COLON);
      if (this.isKey(from, end, "columns")) {
        if (position) throw LEAVE;
        const names: string[] = [];
        this.items(() => {
          if (this.t.charCodeAt(this.p) !== QUOTE) throw LEAVE;
          names.push(this.string());
        });
        position = fieldPositions(names);
        if (!position) throw LEAVE;
        width = names.length;
      } else if (this.isKey(from, end, "data")) {
        if (!position || data) throw LEAVE;
        data = true;
        const at = position;
        this.items(() => {
          this.values.fill(undefined);
          const cells = this.items(() => {
            const column = this.cell++;
            const f = at[column];
            if (f === undefined) throw LEAVE; // a row longer than the columns
            if (f < 0) this.skip();
            else this.values[f] = this.scalar();
          });
          this.cell = 0;
          if (cells !== width) throw LEAVE;
          this.out.push(this.values);
        });
      } else this.skip();
    } while (!this.separator(CLOSE_OBJECT));
    if (!data) throw LEAVE;
  }

  /** Column position within the current row of `split`. */
  cell = 0;

  /** The whole body. */
  body(): void {
    this.ws();
    const c = this.t.charCodeAt(this.p);
    if (c === OPEN_ARRAY) this.records();
    else if (c === OPEN_OBJECT) this.shaped();
    else throw LEAVE;
    this.ws();
    if (this.p !== this.n) throw LEAVE;
  }

  /** An object body: one of the shapes, keyed by its first key, or a single record. */
  shaped(): void {
    const start = this.p;
    this.p++;
    this.ws();
    const end = this.keyEnd();
    const from = this.p + 1;
    if (!this.isShapeKey(from, end)) {
      this.p = start;
      this.record(true);
      return;
    }
    this.p = end + 1;
    this.expect(COLON);
    this.ws();
    if (this.isKey(from, end, "dataframe_split")) this.split();
    else if (this.t.charCodeAt(this.p) === OPEN_ARRAY) this.records();
    else if (this.isKey(from, end, "inputs") && this.t.charCodeAt(this.p) === OPEN_OBJECT) {
      if (this.columnar()) return;
      this.record(); // "inputs": one record
    } else throw LEAVE;
    // Further keys are passed over, but another shape key would change the reading.
    while (!this.separator(CLOSE_OBJECT)) {
      this.ws();
      const keyEnd = this.keyEnd();
      if (this.isShapeKey(this.p + 1, keyEnd)) throw LEAVE;
      this.p = keyEnd + 1;
      this.expect(COLON);
      this.skip();
    }
  }

  /**
   * `"inputs": {"Pclass": [1, 3], "Sex": [...]}` (p on its `{`): read when its first value is a
   * list (then every value must be a list of one length); false, p unmoved, otherwise.
   */
  columnar(): boolean {
    const start = this.p;
    this.p++;
    this.ws();
    const firstEnd = this.keyEnd();
    this.p = firstEnd + 1;
    this.expect(COLON);
    this.ws();
    const isList = this.t.charCodeAt(this.p) === OPEN_ARRAY;
    this.p = start;
    if (!isList) return false;
    this.p++;
    const columns: unknown[][] = [];
    let length = -1;
    do {
      this.ws();
      const end = this.keyEnd();
      const name = this.t.slice(this.p + 1, end).trim();
      const f = FIELD_INDEX.get(name) ?? -1;
      this.p = end + 1;
      this.expect(COLON);
      this.ws();
      if (f >= 0 && columns[f]) throw LEAVE; // two keys for one field
      const column: unknown[] = [];
      const count = this.items(() => {
        if (f < 0) this.skip();
        else column.push(this.scalar());
      });
      if (length >= 0 && count !== length) throw LEAVE;
      length = count;
      if (f >= 0) columns[f] = column;
    } while (!this.separator(CLOSE_OBJECT));
    if (PASSENGER_FIELDS.some((field, f) => field.required && !columns[f])) throw LEAVE;
    for (let i = 0; i < length; i++) {
      for (let f = 0; f < FIELD_COUNT; f++) this.values[f] = columns[f]?.[i];
      this.out.push(this.values);
    }
    return true;
  }

  /** JSON lines: one object per line, blank lines passed over. */
  jsonLines(): void {
    this.lines = true;
    for (;;) {
      this.ws();
      if (this.p >= this.n) return;
      const c = this.t.charCodeAt(this.p);
      if (c !== LF) {
        this.record();
        this.ws();
        if (this.p >= this.n) return;
        if (this.t.charCodeAt(this.p) !== LF) throw LEAVE;
      }
      this.p++;
    }
  }
}

/** Runs `scan`; false when it left the body (the builder then holds a partial batch). */
function attempt(text: string, out: BatchBuilder, scan: (s: Scanner) => void): boolean {
  try {
    scan(new Scanner(text, out));
    return true;
  } catch {
    return false; // LEAVE, a FieldError, or a stack overflow on deep nesting: JSON.parse decides
  }
}

/** Reads an application/json body into `out`; false when the caller must use JSON.parse. */
export const jsonBodyInto = (text: string, out: BatchBuilder): boolean =>
  attempt(text, out, (s) => s.body());

/** Reads an application/jsonlines body into `out`; false when the caller must use JSON.parse. */
export const jsonLinesInto = (text: string, out: BatchBuilder): boolean =>
  attempt(text, out, (s) => s.jsonLines());
