/**
 * The shared core of BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel &
 * Filiztekin 2007). Both: while alive, purchases are Poisson(λ) with λ ~ Gamma(r, α); after a
 * purchase the customer drops out with probability p, p ~ Beta(a, b). BG/NBD can drop out only
 * after a repeat purchase; MBG/NBD also right after the first purchase (time 0), so a customer
 * with x = 0 is not certainly alive. `shift` is 0 for BG/NBD and 1 for MBG/NBD.
 */
import type { CbsData, Customer } from "./data.js";
import type { FitOptions, FitResult } from "./fit.js";
import { fitLogSpace } from "./fit.js";
import { digamma, expectationBracket, logBeta, logGamma } from "./special.js";

export interface BetaGeometricParams {
  /** Shape of the purchase-rate gamma. */
  readonly r: number;
  /** Scale of the purchase-rate gamma (a time: weeks for CDNOW). */
  readonly alpha: number;
  /** Beta shape of the dropout probability. */
  readonly a: number;
  /** Beta shape of the dropout probability. */
  readonly b: number;
}

export type Shift = 0 | 1;

export const BETA_GEOMETRIC_NAMES = ["r", "alpha", "a", "b"] as const;

/** Whether a customer with x repeat purchases can already have dropped out. */
function canHaveDroppedOut(shift: Shift, x: number): boolean {
  return shift === 1 || x > 0;
}

/**
 * log D, where D = a/(b + x − 1 + shift) · ((α + T)/(α + t_x))^{r+x} is the odds of "dropped out
 * after the last purchase" against "still alive": P(alive) = 1/(1 + D).
 */
function logDropoutOdds(p: BetaGeometricParams, shift: Shift, c: Customer): number {
  return (
    Math.log(p.a) -
    Math.log(p.b + c.x - 1 + shift) +
    (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.tx))
  );
}

/**
 * log L(r, α, a, b | x, t_x, T) =
 *   log Γ(r + x) − log Γ(r) + r log α + log B(a, b + x + shift) − log B(a, b)
 *   − (r + x) log(α + T) + log(1 + [shift = 1 or x > 0] · D)
 */
export function logLikelihood(p: BetaGeometricParams, shift: Shift, c: Customer): number {
  const { r, alpha, a, b } = p;
  const { x, T } = c;
  const base =
    logGamma(r + x) -
    logGamma(r) +
    r * Math.log(alpha) +
    logBeta(a, b + x + shift) -
    logBeta(a, b) -
    (r + x) * Math.log(alpha + T);
  if (!canHaveDroppedOut(shift, x)) return base;
  const logD = logDropoutOdds(p, shift, c);
  return base + (logD > 0 ? logD + Math.log1p(Math.exp(-logD)) : Math.log1p(Math.exp(logD)));
}

/**
 * Σ weight · log L over the data and its gradient with respect to (r, α, a, b), in one pass.
 * Terms that depend on x only are computed once per distinct x.
 */
export function datasetLogLikelihood(
  p: BetaGeometricParams,
  shift: Shift,
  data: CbsData,
  gradient?: Float64Array,
): number {
  const { r, alpha, a, b } = p;
  const levels = data.xLevels;
  const nLevels = levels.length;
  const levelValue = new Float64Array(nLevels);
  const levelDr = new Float64Array(nLevels);
  const levelDa = new Float64Array(nLevels);
  const levelDb = new Float64Array(nLevels);
  const levelLogBx = new Float64Array(nLevels);
  const withGradient = gradient !== undefined;
  for (let j = 0; j < nLevels; j++) {
    const xv = levels[j] as number;
    levelValue[j] = logGamma(r + xv) + logGamma(b + xv + shift) - logGamma(a + b + xv + shift);
    levelLogBx[j] = Math.log(b + xv - 1 + shift);
    if (withGradient) {
      const psiAbx = digamma(a + b + xv + shift);
      levelDr[j] = digamma(r + xv);
      levelDa[j] = -psiAbx;
      levelDb[j] = digamma(b + xv + shift) - psiAbx;
    }
  }
  const logAlpha = Math.log(alpha);
  const logA = Math.log(a);
  let total = 0;
  let dr = 0;
  let dAlpha = 0;
  let da = 0;
  let db = 0;
  let weights = 0;
  const { x, tx, T, weight, xLevel } = data;
  const rows = x.length;
  for (let i = 0; i < rows; i++) {
    const xi = x[i] as number;
    const w = weight[i] as number;
    const j = xLevel[i] as number;
    const rx = r + xi;
    const alphaT = alpha + (T[i] as number);
    const logAlphaT = Math.log(alphaT);
    let value = (levelValue[j] as number) - rx * logAlphaT;
    let odds = 0; // D / (1 + D): the posterior probability of having dropped out
    let logAlphaTx = 0;
    let alphaTx = 1;
    if (shift === 1 || xi > 0) {
      alphaTx = alpha + (tx[i] as number);
      logAlphaTx = Math.log(alphaTx);
      const logD = logA - (levelLogBx[j] as number) + rx * (logAlphaT - logAlphaTx);
      if (logD > 0) {
        const e = Math.exp(-logD);
        value += logD + Math.log1p(e);
        odds = 1 / (1 + e);
      } else {
        const e = Math.exp(logD);
        value += Math.log1p(e);
        odds = e / (1 + e);
      }
    }
    total += w * value;
    weights += w;
    if (withGradient) {
      dr +=
        w * ((levelDr[j] as number) - logAlphaT + (odds > 0 ? odds * (logAlphaT - logAlphaTx) : 0));
      dAlpha += w * (-rx / alphaT + (odds > 0 ? odds * rx * (1 / alphaT - 1 / alphaTx) : 0));
      da += w * ((levelDa[j] as number) + odds / a);
      db += w * (levelDb[j] as number);
      if (odds > 0) db -= (w * odds) / (b + xi - 1 + shift);
    }
  }
  // Terms common to every customer.
  const common = -logGamma(r) + r * logAlpha - logGamma(b) + logGamma(a + b);
  total += weights * common;
  if (gradient !== undefined) {
    const psiAb = digamma(a + b);
    gradient[0] = dr + weights * (-digamma(r) + logAlpha);
    gradient[1] = dAlpha + (weights * r) / alpha;
    gradient[2] = da + weights * psiAb;
    gradient[3] = db + weights * (psiAb - digamma(b));
  }
  return total;
}

export function fit(
  shift: Shift,
  data: CbsData,
  options: FitOptions<BetaGeometricParams> = {},
): FitResult<BetaGeometricParams> {
  const scratch = new Float64Array(4);
  return fitLogSpace<BetaGeometricParams>(
    BETA_GEOMETRIC_NAMES,
    (logs, gradient) => {
      const p = {
        r: Math.exp(logs[0] as number),
        alpha: Math.exp(logs[1] as number),
        a: Math.exp(logs[2] as number),
        b: Math.exp(logs[3] as number),
      };
      const ll = datasetLogLikelihood(p, shift, data, scratch);
      gradient[0] = -(scratch[0] as number) * p.r;
      gradient[1] = -(scratch[1] as number) * p.alpha;
      gradient[2] = -(scratch[2] as number) * p.a;
      gradient[3] = -(scratch[3] as number) * p.b;
      return -ll;
    },
    data.customers,
    options,
  );
}

/** P(alive at T | x, t_x, T) = 1/(1 + D); exactly 1 for BG/NBD when x = 0. */
export function pAlive(p: BetaGeometricParams, shift: Shift, c: Customer): number {
  if (!canHaveDroppedOut(shift, c.x)) return 1;
  const logD = logDropoutOdds(p, shift, c);
  return logD > 0 ? Math.exp(-logD) / (1 + Math.exp(-logD)) : 1 / (1 + Math.exp(logD));
}

/**
 * E[X(t)] for a customer just acquired (first purchase at 0):
 *   BG/NBD  (a + b − 1)/(a − 1) · [1 − (α/(α+t))^r 2F1(r, b; a + b − 1; t/(α+t))]
 *   MBG/NBD       b/(a − 1)     · [1 − (α/(α+t))^r 2F1(r, b + 1; a + b; t/(α+t))]
 */
export function expectedPurchases(p: BetaGeometricParams, shift: Shift, t: number): number {
  if (t === 0) return 0;
  const { r, alpha, a, b } = p;
  const z = t / (alpha + t);
  const bracket = expectationBracket(r, b + shift, a + b - 1 + shift, z);
  return (shift === 1 ? b : a + b - 1) * bracket;
}

/**
 * E[Y(t) | x, t_x, T], purchases in (T, T + t]:
 *   (a + b + x − 1 + shift)/(a − 1) · [1 − ((α+T)/(α+T+t))^{r+x}
 *     · 2F1(r + x, b + x + shift; a + b + x − 1 + shift; t/(α+T+t))] · P(alive).
 */
export function conditionalExpectedPurchases(
  p: BetaGeometricParams,
  shift: Shift,
  c: Customer,
  t: number,
): number {
  if (t === 0) return 0;
  const { r, alpha, a, b } = p;
  const { x, T } = c;
  const C = a + b + x - 1 + shift;
  const z = t / (alpha + T + t);
  return C * expectationBracket(r + x, b + x + shift, C, z) * pAlive(p, shift, c);
}

/**
 * P(X(t) = n) for a customer just acquired:
 *   B(a, b + n + shift)/B(a, b) · NB(n) + [shift = 1 or n > 0] · B(a + 1, b + n − 1 + shift)/B(a, b)
 *   · (1 − Σ_{j<n} NB(j)),  NB(j) = Γ(r + j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j.
 */
export function probabilityOfPurchases(
  p: BetaGeometricParams,
  shift: Shift,
  t: number,
  n: number,
): number {
  if (!Number.isInteger(n) || n < 0) return 0;
  const { r, alpha, a, b } = p;
  const logQ = Math.log(alpha / (alpha + t));
  const logZ = Math.log(t / (alpha + t));
  const logNb = (j: number) =>
    logGamma(r + j) - logGamma(r) - logGamma(j + 1) + r * logQ + (j === 0 ? 0 : j * logZ);
  const lbAb = logBeta(a, b);
  let probability = Math.exp(logBeta(a, b + n + shift) - lbAb + logNb(n));
  if (canHaveDroppedOut(shift, n)) {
    let cdf = 0;
    for (let j = 0; j < n; j++) cdf += Math.exp(logNb(j));
    const tail = Math.max(0, 1 - cdf);
    probability += Math.exp(logBeta(a + 1, b + n - 1 + shift) - lbAb) * tail;
  }
  return probability;
}
