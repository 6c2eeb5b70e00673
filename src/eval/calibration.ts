/**
 * Reliability (calibration) diagram data: predictions grouped into equal-width probability
 * bins, with the mean prediction and the observed survival rate of each bin.
 * @module
 */

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observed: number;
}

/** Bins of P(class 1) in [0, 1]; empty bins are left out. Also the expected calibration error. */
export function reliability(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  bins = 10,
): { bins: ReliabilityBin[]; expectedCalibrationError: number } {
  const sumP = new Float64Array(bins), sumY = new Float64Array(bins);
  const count = new Int32Array(bins);
  for (let i = 0; i < y.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i] * bins));
    sumP[b] += p[i];
    sumY[b] += y[i];
    count[b]++;
  }
  const out: ReliabilityBin[] = [];
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    if (count[b] === 0) continue;
    const meanPredicted = sumP[b] / count[b], observed = sumY[b] / count[b];
    ece += (count[b] / y.length) * Math.abs(meanPredicted - observed);
    out.push({ lower: b / bins, upper: (b + 1) / bins, count: count[b], meanPredicted, observed });
  }
  return { bins: out, expectedCalibrationError: ece };
}
