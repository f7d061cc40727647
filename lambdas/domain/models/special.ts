/**
 * Special functions for the buy-till-you-die models, in double precision and without
 * dependencies: log-gamma, digamma, log-beta, the Gauss hypergeometric function 2F1 and the
 * log-space helpers (log-sum-exp, log(1 − e^x), log(1 + e^x)) that keep likelihoods finite.
 */

const LN_SQRT_2PI = 0.9189385332046728;
const LN_PI = 1.1447298858494002;

/**
 * Lanczos coefficients for g = 671/128 with 14 terms (Godfrey's set as published in Numerical
 * Recipes, 3rd ed., §6.1): relative error below 1e-15 for x > 0.
 */
const LANCZOS_G = 5.2421875;
const LANCZOS_C0 = 0.999999999999997092;
const LANCZOS = [
  57.1562356658629235, -59.5979603554754912, 14.1360979747417471, -0.491913816097620199,
  0.339946499848118887e-4, 0.465236289270485756e-4, -0.983744753048795646e-4,
  0.158088703224912494e-3, -0.210264441724104883e-3, 0.217439618115212643e-3,
  -0.164318106536763890e-3, 0.844182239838527433e-4, -0.261908384015814087e-4,
  0.368991826595316234e-5,
] as const;

/** log |Γ(x)|; +∞ at the poles 0, −1, −2, …; NaN for NaN. */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) {
    if (Number.isInteger(x)) return Number.POSITIVE_INFINITY;
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return LN_PI - Math.log(Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  if (x === Number.POSITIVE_INFINITY) return x;
  let series = LANCZOS_C0;
  let y = x;
  for (const c of LANCZOS) {
    y += 1;
    series += c / y;
  }
  const t = x + LANCZOS_G;
  return (x + 0.5) * Math.log(t) - t + LN_SQRT_2PI + Math.log(series / x);
}

/** log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * ψ(x) = d/dx log Γ(x): the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic
 * series through x^-14 (next term below 5e-17); reflection for x < 0.
 */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) {
    if (Number.isInteger(x)) return Number.NaN;
    // ψ(1 − x) − ψ(x) = π cot(πx)
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  if (x === Number.POSITIVE_INFINITY) return x;
  let result = 0;
  let y = x;
  while (y < 10) {
    result -= 1 / y;
    y += 1;
  }
  const f = 1 / (y * y);
  const tail =
    f *
    (1 / 12 -
      f *
        (1 / 120 -
          f * (1 / 252 - f * (1 / 240 - f * (1 / 132 - f * (691 / 32760 - f * (1 / 12)))))));
  return result + Math.log(y) - 0.5 / y - tail;
}

/** log(e^a + e^b) without overflow; −∞ stays −∞. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log Σ e^{v_i}; −∞ for an empty list. */
export function logSumExp(values: ArrayLike<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > max) max = v;
  }
  if (max === Number.NEGATIVE_INFINITY || !Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp((values[i] as number) - max);
  return max + Math.log(sum);
}

/** log(1 − e^x) for x ≤ 0, accurate at both ends (Mächler 2012); −∞ at x = 0. */
export function log1mExp(x: number): number {
  if (x > 0) return Number.NaN;
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(1 + e^x) (softplus), accurate for any x. */
export function log1pExp(x: number): number {
  if (x > 0) return x + Math.log1p(Math.exp(-x));
  return Math.log1p(Math.exp(x));
}

/**
 * (e^{d·y} − 1) / d, with its limit y at d = 0; accurate for small |d·y|. The building block of
 * expressions like (1 − u^{s−1}) / (s − 1) that are 0/0 at s = 1.
 */
export function expm1Ratio(d: number, y: number): number {
  const dy = d * y;
  if (Math.abs(dy) < 1e-8) return y * (1 + dy / 2 + (dy * dy) / 6);
  return Math.expm1(dy) / d;
}

/** Largest number of series terms summed before a 2F1 evaluation gives up (returns NaN). */
export const HYP2F1_MAX_TERMS = 1_000_000;
/** 2^900: partial sums are rescaled by this power of two (exactly) to keep them finite. */
const RESCALE = 2 ** 900;
const LN_RESCALE = 900 * Math.LN2;
const SERIES_EPS = 1e-17;

interface ScaledValue {
  /** The value is sign · e^{log}. */
  readonly sign: number;
  readonly log: number;
}

/**
 * The Gauss series Σ (a)_k (b)_k / ((c)_k k!) z^k for 0 ≤ z < 1, summed until the remaining
 * tail is below 1e-17 of the sum (bounded by a geometric series with the largest ratio ahead),
 * with partial sums rescaled by powers of two so large values do not overflow.
 */
function gaussSeries(a: number, b: number, c: number, z: number): ScaledValue {
  let term = 1;
  let sum = 1;
  let logScale = 0;
  let smallTails = 0;
  for (let k = 0; k < HYP2F1_MAX_TERMS; k++) {
    const denominator = (c + k) * (k + 1);
    if (denominator === 0) return { sign: 1, log: Number.NaN }; // c a non-positive integer
    term *= (((a + k) * (b + k)) / denominator) * z;
    if (term === 0) return scaled(sum, logScale); // terminating series: a or b a non-positive integer
    sum += term;
    if (Math.abs(sum) > RESCALE) {
      sum /= RESCALE;
      term /= RESCALE;
      logScale += LN_RESCALE;
    }
    const next = Math.abs((((a + k + 1) * (b + k + 1)) / ((c + k + 1) * (k + 2))) * z);
    const ratio = Math.max(next, z);
    if (ratio < 1 && Math.abs(term) * ratio <= SERIES_EPS * (1 - ratio) * Math.abs(sum)) {
      smallTails += 1;
      if (smallTails >= 2) return scaled(sum, logScale);
    } else {
      smallTails = 0;
    }
  }
  return { sign: 1, log: Number.NaN };
}

function scaled(sum: number, logScale: number): ScaledValue {
  if (sum === 0) return { sign: 0, log: Number.NEGATIVE_INFINITY };
  return { sign: Math.sign(sum), log: Math.log(Math.abs(sum)) + logScale };
}

/**
 * 2F1(a, b; c; z) as sign and log |value|, for real z < 1. Negative z goes through Pfaff's
 * transformation 2F1(a, b; c; z) = (1 − z)^{−a} 2F1(a, c − b; c; z / (z − 1)), so the series is
 * always summed at an argument in [0, 1); when a, b, c > 0 every term is positive and the sum
 * has no cancellation. NaN for z ≥ 1, for c a pole (0, −1, −2, …) and when the series has not
 * converged within HYP2F1_MAX_TERMS terms (z extremely close to 1).
 */
export function hyp2f1Scaled(a: number, b: number, c: number, z: number): ScaledValue {
  if (!(z < 1) || Number.isNaN(a + b + c)) return { sign: 1, log: Number.NaN };
  if (z === 0) return { sign: 1, log: 0 };
  if (z > 0) return gaussSeries(a, b, c, z);
  const w = z / (z - 1);
  const log1mz = Math.log1p(-z);
  // Of the two Pfaff forms, prefer one whose new upper parameter stays non-negative.
  const useFirst = c - b >= 0 || c - a < 0;
  const inner = useFirst ? gaussSeries(a, c - b, c, w) : gaussSeries(c - a, b, c, w);
  return { sign: inner.sign, log: inner.log - (useFirst ? a : b) * log1mz };
}

/** 2F1(a, b; c; z) for real z < 1 (see hyp2f1Scaled). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const { sign, log } = hyp2f1Scaled(a, b, c, z);
  return sign === 0 ? 0 : sign * Math.exp(log);
}

/** log 2F1(a, b; c; z); NaN when the value is not positive (see hyp2f1Scaled). */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  const { sign, log } = hyp2f1Scaled(a, b, c, z);
  return sign > 0 ? log : Number.NaN;
}

/**
 * [1 − (1 − z)^A · 2F1(A, B; C; z)] / (C − B) for 0 ≤ z < 1: the bracket of the BG/NBD and
 * MBG/NBD expectations, where C − B = a − 1 and the textbook form is 0/0 at a = 1.
 *
 * When C ≥ A and C > 0, Euler's transformation (1 − z)^A 2F1(A, B; C; z) =
 * (1 − z)^{C−B} 2F1(C − A, C − B; C; z) and 2F1(C − A, d; C; z) = 1 + d·S with
 * S = Σ_{k≥1} (C − A)_k (d + 1)_{k−1} / ((C)_k k!) z^k give the bracket as
 * −expm1(d·log(1 − z))/d − (1 − z)^d·S: every term positive, smooth through d = 0, and the
 * series converges faster than the original. Otherwise the textbook form is used (all its terms
 * are positive; it loses relative accuracy only as a → 1).
 */
export function expectationBracket(A: number, B: number, C: number, z: number): number {
  const d = C - B;
  const log1mz = Math.log1p(-z);
  if (C - A >= 0 && C > 0 && d > -1) {
    const head = -expm1Ratio(d, log1mz);
    let term = 1;
    let sum = 0;
    let smallTails = 0;
    for (let k = 0; k < HYP2F1_MAX_TERMS; k++) {
      // term_k+1 = term_k · (C − A + k)(d + 1 + k − 1)/((C + k)(k + 1)) · z, with (d+1)_{-1} := 1
      const upper = k === 0 ? C - A : (C - A + k) * (d + k);
      term *= (upper / ((C + k) * (k + 1))) * z;
      if (term === 0) break;
      sum += term;
      const next = (((C - A + k + 1) * (d + k + 1)) / ((C + k + 1) * (k + 2))) * z;
      const ratio = Math.max(next, z);
      if (ratio < 1 && term * ratio <= SERIES_EPS * (1 - ratio) * sum) {
        smallTails += 1;
        if (smallTails >= 2) break;
      } else {
        smallTails = 0;
      }
      if (k === HYP2F1_MAX_TERMS - 1) return Number.NaN;
    }
    return head - Math.exp(d * log1mz) * sum;
  }
  const f = hyp2f1Scaled(A, B, C, z);
  if (f.sign > 0) return -Math.expm1(A * log1mz + f.log) / d;
  return (1 - f.sign * Math.exp(A * log1mz + f.log)) / d;
}
