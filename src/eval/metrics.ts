/**
 * Binary classification metrics with scikit-learn's definitions.
 * @module
 */

/** Fraction of correct labels. */
export function accuracy(y: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === predicted[i]) correct++;
  return correct / y.length;
}

/** Area under the ROC curve (Mann-Whitney U, ties counted half). */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => score[a] - score[b]);
  let positives = 0, rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && score[order[j + 1]] === score[order[i]]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k]]) {
        positives++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const negatives = y.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(y: ArrayLike<number>, p1: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(Math.max(p1[i], 1e-15), 1 - 1e-15);
    total -= y[i] ? Math.log(p) : Math.log(1 - p);
  }
  return total / y.length;
}

/** [[true negatives, false positives], [false negatives, true positives]]. */
export function confusionMatrix(
  y: ArrayLike<number>,
  predicted: ArrayLike<number>,
): [[number, number], [number, number]] {
  const m: [[number, number], [number, number]] = [[0, 0], [0, 0]];
  for (let i = 0; i < y.length; i++) m[y[i] ? 1 : 0][predicted[i] ? 1 : 0]++;
  return m;
}

/** Mean and population standard deviation (numpy's default, as scikit-learn reports). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/** ROC curve points (false and true positive rates), one per distinct score, highest first. */
export function rocCurve(
  y: ArrayLike<number>,
  score: ArrayLike<number>,
): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => score[b] - score[a]);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] ? 1 : 0;
  const negatives = y.length - positives;
  const fpr = [0], tpr = [0], thresholds = [Infinity];
  let tp = 0, fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (y[order[k]]) tp++;
    else fp++;
    if (k + 1 === order.length || score[order[k + 1]] !== score[order[k]]) {
      fpr.push(fp / negatives);
      tpr.push(tp / positives);
      thresholds.push(score[order[k]]);
    }
  }
  return { fpr, tpr, thresholds };
}
