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
const LANCZOS_C0 = 0.9999999999999971;
const LANCZOS = [
  57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202,
  3.399464998481189e-5, 4.652362892704858e-5, -9.837447530487956e-5, 1.580887032249125e-4,
  -2.1026444172410488e-4, 2.1743961811521265e-4, -1.643181065367639e-4, 8.441822398385275e-5,
  -2.6190838401581408e-5, 3.6899182659531625e-6,
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

/** The sign of Γ(x); 0 at the poles, where 1/Γ(x) = 0. */
function gammaSign(x: number): number {
  if (x > 0) return 1;
  if (Number.isInteger(x)) return 0;
  return Math.floor(x) % 2 === 0 ? 1 : -1;
}

/** sign·e^{log} + sign'·e^{log'} in the same form. */
function addScaled(p: ScaledValue, q: ScaledValue): ScaledValue {
  if (p.sign === 0) return q;
  if (q.sign === 0) return p;
  const max = Math.max(p.log, q.log);
  const v = p.sign * Math.exp(p.log - max) + q.sign * Math.exp(q.log - max);
  if (v === 0) return { sign: 0, log: Number.NEGATIVE_INFINITY };
  return { sign: Math.sign(v), log: max + Math.log(Math.abs(v)) };
}

/** Γ(c)Γ(g)/(Γ(h)Γ(k)) · F, in sign-and-log form; 0 when h or k is a pole. */
function gammaRatioTimes(c: number, g: number, h: number, k: number, f: ScaledValue): ScaledValue {
  const sign = gammaSign(c) * gammaSign(g) * gammaSign(h) * gammaSign(k) * f.sign;
  if (sign === 0) return { sign: 0, log: Number.NEGATIVE_INFINITY };
  return { sign, log: logGamma(c) + logGamma(g) - logGamma(h) - logGamma(k) + f.log };
}

/**
 * Abramowitz & Stegun 15.3.6, for d = c − a − b not an integer: 2F1(a, b; c; z) =
 *   Γ(c)Γ(d)/(Γ(c−a)Γ(c−b)) · 2F1(a, b; 1−d; 1−z)
 *   + (1−z)^d · Γ(c)Γ(−d)/(Γ(a)Γ(b)) · 2F1(c−a, c−b; 1+d; 1−z),
 * both series at 1 − z, so they converge fast when z is near 1.
 */
function reflected(a: number, b: number, c: number, z: number): ScaledValue {
  const d = c - a - b;
  const w = 1 - z;
  const first = gammaRatioTimes(c, d, c - a, c - b, gaussSeries(a, b, 1 - d, w));
  const second = gammaRatioTimes(c, -d, a, b, gaussSeries(c - a, c - b, 1 + d, w));
  return addScaled(first, { sign: second.sign, log: second.log + d * Math.log1p(-z) });
}

/** Above this argument 2F1 is summed at 1 − z (A&S 15.3.6) instead of at z. */
export const HYP2F1_REFLECT_ABOVE = 0.99;
/** Half-spacing of the interpolation nodes in d when c − a − b is (nearly) an integer. */
const NEAR_INTEGER = 2.5e-4;

/**
 * 2F1 for 0 < z < 1: the Gauss series up to HYP2F1_REFLECT_ABOVE, then A&S 15.3.6. Where
 * d = c − a − b is within 1e-3 of an integer m, 15.3.6 cancels (Γ(d) or Γ(−d) has a pole at m);
 * there the value is the cubic through 15.3.6 at d = m ± 1e-3, m ± 2e-3 (b moved accordingly):
 * 2F1 is analytic in b, so this costs about 1e-12·∂⁴F/∂d⁴ relative, next to ~1e-13 of rounding.
 */
function positiveArgument(a: number, b: number, c: number, z: number): ScaledValue {
  if (z <= HYP2F1_REFLECT_ABOVE) {
    // Euler: 2F1(a, b; c; z) = (1 − z)^{c−a−b} 2F1(c − a, c − b; c; z). When it makes the upper
    // parameters smaller the terms peak sooner and fall faster (for the Pareto/NBD's
    // 2F1(a, b; a + 1; z) the ratio of terms is at most z); still every term positive.
    const ca = c - a;
    const cb = c - b;
    if (ca >= 0 && cb >= 0 && c > 0 && ca * cb < a * b) {
      const inner = gaussSeries(ca, cb, c, z);
      return { sign: inner.sign, log: inner.log + (ca - b) * Math.log1p(-z) };
    }
    return gaussSeries(a, b, c, z);
  }
  if (Number.isInteger(a) && a <= 0) return gaussSeries(a, b, c, z);
  if (Number.isInteger(b) && b <= 0) return gaussSeries(a, b, c, z);
  const d = c - a - b;
  const m = Math.round(d);
  if (Math.abs(d - m) > NEAR_INTEGER) return reflected(a, b, c, z);
  const offsets = [-2 * NEAR_INTEGER, -NEAR_INTEGER, NEAR_INTEGER, 2 * NEAR_INTEGER];
  const values = offsets.map((h) => reflected(a, c - a - (m + h), c, z));
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v.sign !== 0 && v.log > max) max = v.log;
  if (!Number.isFinite(max)) return { sign: 1, log: Number.NaN };
  const target = d - m;
  let sum = 0;
  offsets.forEach((hj, j) => {
    let weight = 1;
    offsets.forEach((hk, k) => {
      if (k !== j) weight *= (target - hk) / (hj - hk);
    });
    const v = values[j] as ScaledValue;
    sum += weight * v.sign * Math.exp(v.log - max);
  });
  if (sum === 0) return { sign: 0, log: Number.NEGATIVE_INFINITY };
  return { sign: Math.sign(sum), log: max + Math.log(Math.abs(sum)) };
}

/**
 * 2F1(a, b; c; z) as sign and log |value|, for real z < 1. Negative z goes through Pfaff's
 * transformation 2F1(a, b; c; z) = (1 − z)^{−a} 2F1(a, c − b; c; z / (z − 1)), so the function
 * is always evaluated at an argument in [0, 1): by the Gauss series (every term positive when
 * a, b, c > 0, so no cancellation; after Euler's transformation when that converges faster) up
 * to HYP2F1_REFLECT_ABOVE = 0.99, and by the 1 − z transformation beyond. NaN for
 * z ≥ 1, for c a pole (0, −1, −2, …) and when a series has not converged within
 * HYP2F1_MAX_TERMS terms.
 */
export function hyp2f1Scaled(a: number, b: number, c: number, z: number): ScaledValue {
  if (!(z < 1) || Number.isNaN(a + b + c)) return { sign: 1, log: Number.NaN };
  if (Number.isInteger(c) && c <= 0) return { sign: 1, log: Number.NaN };
  if (z === 0) return { sign: 1, log: 0 };
  if (z > 0) return positiveArgument(a, b, c, z);
  const w = z / (z - 1);
  const log1mz = Math.log1p(-z);
  // Of the two Pfaff forms, prefer one whose new upper parameter stays non-negative.
  const useFirst = c - b >= 0 || c - a < 0;
  const inner = useFirst ? positiveArgument(a, c - b, c, w) : positiveArgument(c - a, b, c, w);
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

/** Gauss–Legendre nodes (positive half) and weights, 8 points: exact for degree ≤ 15. */
const GL8_NODES = [
  0.1834346424956498, 0.525532409916329, 0.7966664774136267, 0.9602898564975363,
] as const;
const GL8_WEIGHTS = [
  0.362683783378362, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
] as const;

/**
 * log ∫_a^b e^{logF(τ)} dτ by 8-point Gauss–Legendre, summed in log space: for short intervals
 * over which the integrand changes little, where it is accurate to rounding.
 */
export function logIntegralGaussLegendre(
  logF: (tau: number) => number,
  a: number,
  b: number,
): number {
  if (!(b > a)) return Number.NEGATIVE_INFINITY;
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  const terms: number[] = [];
  GL8_NODES.forEach((node, i) => {
    const logW = Math.log(GL8_WEIGHTS[i] as number);
    terms.push(logW + logF(mid - half * node), logW + logF(mid + half * node));
  });
  return Math.log(half) + logSumExp(terms);
}
