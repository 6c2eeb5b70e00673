/**
 * The learners' view of data: float32 feature columns (what the ONNX graph computes) and
 * their exact histogram bins (every distinct value is its own bin, so split search over bins
 * equals an exhaustive search over thresholds).
 * @module
 */

/** Column-major float32 features. */
export interface Matrix {
  readonly rows: number;
  readonly columns: readonly Float32Array[];
  readonly names: readonly string[];
}

/** Features coded by the rank of their value among the distinct values of the column. */
export interface BinnedMatrix {
  readonly rows: number;
  /** codes[f][row] = index of the row's value in values[f]. */
  readonly codes: readonly Uint16Array[];
  /** Sorted distinct float32 values of each column. */
  readonly values: readonly Float32Array[];
  /** The most bins of any column (at least 1): the size of a split search's histograms. */
  readonly maxBins: number;
}

/** Bins a column may have: codes are Uint16. */
export const MAX_BINS = 65536;

/** Builds a matrix, checking that every column has `rows` values and none is NaN. */
export function matrix(columns: readonly Float32Array[], names: readonly string[]): Matrix {
  if (columns.length !== names.length) throw new Error("one name per column is needed");
  const rows = columns.length ? columns[0].length : 0;
  columns.forEach((c, f) => {
    if (c.length !== rows) throw new Error(`column ${names[f]} has ${c.length} rows, not ${rows}`);
    if (c.some(Number.isNaN)) throw new Error(`column ${names[f]} holds NaN: impute it first`);
  });
  return { rows, columns, names };
}

/** Codes every column by its distinct values (at most {@link MAX_BINS} per column). */
export function binMatrix(x: Matrix): BinnedMatrix {
  const codes: Uint16Array[] = [];
  const values: Float32Array[] = [];
  for (const column of x.columns) {
    const distinct = Float32Array.from(new Set(column)).sort();
    if (distinct.length > MAX_BINS) {
      throw new Error(`more than ${MAX_BINS} distinct values in a column`);
    }
    const index = new Map<number, number>();
    distinct.forEach((v, i) => index.set(v, i));
    const code = new Uint16Array(x.rows);
    for (let r = 0; r < x.rows; r++) code[r] = index.get(column[r])!;
    codes.push(code);
    values.push(distinct);
  }
  return { rows: x.rows, codes, values, maxBins: Math.max(1, ...values.map((v) => v.length)) };
}

/**
 * A float32 threshold t with lo <= t < hi: the float32 midpoint, or lo when the midpoint
 * rounds up to hi (adjacent values). The graph compares x <= t in float32, as training does.
 */
export function splitThreshold(lo: number, hi: number): number {
  const mid = Math.fround(lo / 2 + hi / 2);
  return mid >= lo && mid < hi ? mid : lo;
}

/**
 * Reorders samples[start, end) so that rows whose code in `codes` is <= `bin` come first;
 * returns where the right part starts.
 */
export function partition(
  samples: Int32Array,
  start: number,
  end: number,
  codes: Uint16Array,
  bin: number,
): number {
  let mid = start;
  for (let s = start; s < end; s++) {
    const i = samples[s];
    if (codes[i] <= bin) {
      samples[s] = samples[mid];
      samples[mid++] = i;
    }
  }
  return mid;
}
