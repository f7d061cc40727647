/**
 * Turning a classifier's logit into a probability a person can act on, and measuring whether it
 * is one. A penalised logistic regression ranks well but its probabilities shrink towards the
 * base rate (the penalty) and drift with the class balance of the training window; the action
 * policy multiplies value by risk, so the risk has to mean "this share of such users churn".
 */
import type { ReliabilityBin } from "./artefacts.js";
import { sigmoid, softplus } from "./logistic.js";

export interface PlattCalibration {
  /** P = σ(a · logit + b). */
  readonly a: number;
  readonly b: number;
}

export const IDENTITY_CALIBRATION: PlattCalibration = { a: 1, b: 0 };

export function calibrate(calibration: PlattCalibration, logit: number): number {
  return sigmoid(calibration.a * logit + calibration.b);
}

/**
 * Platt scaling (Platt 1999): fits a and b by Newton's method on the logits of held-out rows.
 * The targets are Platt's smoothed ones, (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) instead of 1 and 0,
 * which keeps a and b finite when the logits separate the classes perfectly.
 */
export function fitPlatt(
  logits: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  maxIterations = 100,
): PlattCalibration {
  const n = logits.length;
  if (labels.length !== n) throw new RangeError(`${n} logits but ${labels.length} labels`);
  if (n === 0) throw new RangeError("Platt scaling needs at least one row");
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(logits[i] as number)) throw new RangeError(`logit ${i} is not finite`);
    if (labels[i] === true || labels[i] === 1) positives += 1;
  }
  const negatives = n - positives;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  const target = (i: number) => (labels[i] === true || labels[i] === 1 ? high : low);
  // A whisper of curvature on a: with all logits equal, a is not identified and stays at 0.
  const ridge = 1e-9 * n;
  const objective = (a: number, b: number) => {
    let total = -0.5 * ridge * a * a;
    for (let i = 0; i < n; i++) {
      const eta = a * (logits[i] as number) + b;
      total += target(i) * eta - softplus(eta);
    }
    return total;
  };

  let a = 0;
  let b = Math.log((positives + 1) / (negatives + 1));
  let current = objective(a, b);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let ga = -ridge * a;
    let gb = 0;
    let haa = ridge;
    let hab = 0;
    let hbb = 0;
    for (let i = 0; i < n; i++) {
      const s = logits[i] as number;
      const p = sigmoid(a * s + b);
      const residual = target(i) - p;
      const curvature = p * (1 - p);
      ga += residual * s;
      gb += residual;
      haa += curvature * s * s;
      hab += curvature * s;
      hbb += curvature;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    const decrement = ga * da + gb * db;
    if (decrement / 2 <= 1e-13 * (1 + Math.abs(current))) break;
    let t = 1;
    let moved = false;
    for (let halvings = 0; halvings < 60; halvings++) {
      const value = objective(a + t * da, b + t * db);
      if (value >= current + 1e-4 * t * decrement) {
        a += t * da;
        b += t * db;
        current = value;
        moved = true;
        break;
      }
      t /= 2;
    }
    if (!moved) break;
  }
  return { a, b };
}

/**
 * Predicted against observed in `bins` equal-width probability bins ([0, 0.1), … [0.9, 1]).
 * Empty bins stay in the list (count 0, null means) so that every model reports the same bins.
 */
export function reliabilityBins(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
  bins = 10,
): ReliabilityBin[] {
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    const bin = Math.min(Math.max(Math.floor(p * bins), 0), bins - 1);
    count[bin] = (count[bin] as number) + 1;
    predicted[bin] = (predicted[bin] as number) + p;
    if (labels[i] === true || labels[i] === 1) observed[bin] = (observed[bin] as number) + 1;
  }
  return Array.from({ length: bins }, (_, bin) => {
    const c = count[bin] as number;
    return {
      lower: bin / bins,
      upper: (bin + 1) / bins,
      count: c,
      meanPredicted: c > 0 ? (predicted[bin] as number) / c : null,
      observed: c > 0 ? (observed[bin] as number) / c : null,
    };
  });
}

/** Σ count/n · |mean predicted − observed| over the bins: 0 for a perfectly calibrated model. */
export function expectedCalibrationError(bins: readonly ReliabilityBin[]): number {
  let total = 0;
  let error = 0;
  for (const bin of bins) {
    total += bin.count;
    if (bin.count > 0)
      error += bin.count * Math.abs((bin.meanPredicted ?? 0) - (bin.observed ?? 0));
  }
  return total > 0 ? error / total : 0;
}

/** Mean squared error of the probabilities against 0/1 outcomes. */
export function brierScore(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
): number {
  const n = probabilities.length;
  if (n === 0) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] === true || labels[i] === 1 ? 1 : 0;
    total += ((probabilities[i] as number) - y) ** 2;
  }
  return total / n;
}

/** Probabilities this close to 0 or 1 are clipped: one confident miss must not make it ∞. */
const LOG_LOSS_EPSILON = 1e-15;

/** Mean negative log-likelihood of the 0/1 outcomes (natural log). */
export function logLoss(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<boolean | number>,
): number {
  const n = probabilities.length;
  if (n === 0) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(
      Math.max(probabilities[i] as number, LOG_LOSS_EPSILON),
      1 - LOG_LOSS_EPSILON,
    );
    total -= labels[i] === true || labels[i] === 1 ? Math.log(p) : Math.log1p(-p);
  }
  return total / n;
}
