/** Synthetic data for the learners' tests: two informative features, one noise, 5 % flipped. */

import { type Matrix, matrix } from "./matrix.ts";
import { Random } from "./random.ts";

/** Rows with label `rule(a, b)` (a, b uniform in [0, 10)), 5 % of labels flipped. */
export function syntheticData(
  rows: number,
  seed: number,
  rule: (a: number, b: number) => boolean = (a, b) => a + b > 10,
): { x: Matrix; y: Uint8Array } {
  const random = new Random(seed);
  const a = new Float32Array(rows), b = new Float32Array(rows), noise = new Float32Array(rows);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    a[i] = Math.fround(random.nextFloat() * 10);
    b[i] = Math.fround(random.nextFloat() * 10);
    noise[i] = Math.fround(random.nextFloat());
    y[i] = rule(a[i], b[i]) ? 1 : 0;
    if (random.nextFloat() < 0.05) y[i] ^= 1;
  }
  return { x: matrix([a, b, noise], ["a", "b", "noise"]), y };
}
