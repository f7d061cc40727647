/**
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987; likelihood as in Fader & Hardie 2005, "A
 * note on deriving the Pareto/NBD model and related expressions"): Poisson purchases at rate
 * λ ~ Gamma(r, α) while alive; an exponential lifetime with rate μ ~ Gamma(s, β).
 *
 * log L = log Γ(r + x) − log Γ(r) + r log α + s log β
 *         + log( (α + T)^{−(r+x)} (β + T)^{−s}  +  s/(r + s + x) · A₀ ),
 * A₀ = 2F1(r+s+x, b₂; r+s+x+1; |α−β|/(m + t_x)) / (m + t_x)^{r+s+x}
 *    − 2F1(r+s+x, b₂; r+s+x+1; |α−β|/(m + T))   / (m + T)^{r+s+x},
 * with m = max(α, β), b₂ = s + 1 when α ≥ β and r + x otherwise, so the 2F1 argument is in
 * [0, 1) and every series term positive. Everything is summed in log space; the difference in
 * A₀ is taken as log F₁ + log(1 − e^{log F₂ − log F₁}). s/(r+s+x) · A₀ is the integral
 * ∫_{t_x}^{T} s (α+τ)^{−(r+x)} (β+τ)^{−(s+1)} dτ ("dropped out between the last purchase and
 * T"); over an interval too short for the difference to keep its digits it is computed directly
 * by Gauss–Legendre quadrature.
 */
import type { CbsData, Customer } from "./data.js";
import type { FitOptions, FitResult } from "./fit.js";
import { fitLogSpace } from "./fit.js";
import type { PurchaseModel } from "./model.js";
import { centralDifferences } from "./optimize.js";
import {
  expm1Ratio,
  log1mExp,
  logAddExp,
  logGamma,
  logHyp2f1,
  logIntegralGaussLegendre,
} from "./special.js";

export interface ParetoNbdParams {
  /** Shape of the purchase-rate gamma. */
  readonly r: number;
  /** Scale of the purchase-rate gamma (a time). */
  readonly alpha: number;
  /** Shape of the dropout-rate gamma. */
  readonly s: number;
  /** Scale of the dropout-rate gamma (a time). */
  readonly beta: number;
}

const NAMES = ["r", "alpha", "s", "beta"] as const;
/**
 * Below this value of (r + x + s + 1)(T − t_x)/(min(α, β) + t_x) the "died" integral is taken by
 * Gauss–Legendre quadrature (the integrand varies by less than e^0.5 over the interval), above
 * it as the difference of the 2F1 terms (which then cancel by a bounded factor).
 */
const SHORT_INTERVAL = 0.5;
/** Slack, in log space, of the bounds check on the "died" term. */
const BOUND_SLACK = 1e-8;

interface Parts {
  /** log Γ(r+x) − log Γ(r) + r log α + s log β */
  readonly prefix: number;
  /** log of "alive at T": −(r+x) log(α+T) − s log(β+T) */
  readonly alive: number;
  /** log of "died in (t_x, T]": log s − log(r+s+x) + log A₀ (−∞ when t_x = T) */
  readonly died: number;
}

function parts(p: ParetoNbdParams, c: Customer, logGammaRatio: number): Parts {
  const { r, alpha, s, beta } = p;
  const { x, tx, T } = c;
  const rsx = r + s + x;
  const prefix = logGammaRatio + r * Math.log(alpha) + s * Math.log(beta);
  const alive = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  if (tx >= T) return { prefix, alive, died: Number.NEGATIVE_INFINITY };
  const logS = Math.log(s);
  let died: number;
  if ((r + x + s + 1) * (T - tx) < SHORT_INTERVAL * (Math.min(alpha, beta) + tx)) {
    // A short interval: F₁ − F₂ would cancel, while the integrand hardly changes over it.
    died = logIntegralGaussLegendre(
      (tau) => logS - (r + x) * Math.log(alpha + tau) - (s + 1) * Math.log(beta + tau),
      tx,
      T,
    );
  } else {
    const alphaLarger = alpha >= beta;
    const m = alphaLarger ? alpha : beta;
    const b2 = alphaLarger ? s + 1 : r + x;
    const gap = Math.abs(alpha - beta);
    const log1 = logHyp2f1(rsx, b2, rsx + 1, gap / (m + tx)) - rsx * Math.log(m + tx);
    const log2 = logHyp2f1(rsx, b2, rsx + 1, gap / (m + T)) - rsx * Math.log(m + T);
    // A₀ ≥ 0 is an integral over (t_x, T]; rounding may put log2 a hair above log1.
    const logA0 = log2 >= log1 ? Number.NEGATIVE_INFINITY : log1 + log1mExp(log2 - log1);
    died = logS - Math.log(rsx) + logA0;
  }
  // The integral lies between (α + T)^{−(r+x)} and (α + t_x)^{−(r+x)} times
  // ∫ s (β + τ)^{−(s+1)} dτ = (β + t_x)^{−s} − (β + T)^{−s}. Far outside the accuracy of 2F1
  // (~1e-10), a value outside these bounds means the parameters are past what double precision
  // can evaluate (say α ~ 1e8 with β ~ 0.01): NaN, which the optimiser treats as out of bounds.
  const gap = T - tx;
  const spread = -s * Math.log(beta + tx) + log1mExp(-s * Math.log1p(gap / (beta + tx)));
  const upper = spread - (r + x) * Math.log(alpha + tx);
  const lower = upper - (r + x) * Math.log1p(gap / (alpha + tx));
  if (!(died <= upper + BOUND_SLACK && died >= lower - BOUND_SLACK)) {
    return { prefix, alive, died: Number.NaN };
  }
  return { prefix, alive, died };
}

export function paretoNbdLogLikelihood(params: ParetoNbdParams, customer: Customer): number {
  const { r } = params;
  const q = parts(params, customer, logGamma(r + customer.x) - logGamma(r));
  return q.prefix + logAddExp(q.alive, q.died);
}

/** Σ log L over the data; log Γ(r + x) − log Γ(r) once per distinct x. */
export function paretoNbdDatasetLogLikelihood(params: ParetoNbdParams, data: CbsData): number {
  const { r } = params;
  const levels = data.xLevels;
  const lgRatio = new Float64Array(levels.length);
  const lgR = logGamma(r);
  for (let j = 0; j < levels.length; j++) lgRatio[j] = logGamma(r + (levels[j] as number)) - lgR;
  let total = 0;
  const customer = { x: 0, tx: 0, T: 0 };
  for (let i = 0; i < data.x.length; i++) {
    customer.x = data.x[i] as number;
    customer.tx = data.tx[i] as number;
    customer.T = data.T[i] as number;
    const q = parts(params, customer, lgRatio[data.xLevel[i] as number] as number);
    total += (data.weight[i] as number) * (q.prefix + logAddExp(q.alive, q.died));
  }
  return total;
}

/**
 * Maximum likelihood by BFGS over log-parameters; the gradient by central differences (the
 * derivatives of 2F1 in its parameters have no convenient closed form), 9 likelihood
 * evaluations per gradient.
 */
export function fitParetoNbd(
  data: CbsData,
  options?: FitOptions<ParetoNbdParams>,
): FitResult<ParetoNbdParams> {
  const objective = centralDifferences((logs) => {
    const value = paretoNbdDatasetLogLikelihood(
      {
        r: Math.exp(logs[0] as number),
        alpha: Math.exp(logs[1] as number),
        s: Math.exp(logs[2] as number),
        beta: Math.exp(logs[3] as number),
      },
      data,
    );
    return Number.isFinite(value) ? -value : Number.NaN;
  });
  return fitLogSpace<ParetoNbdParams>(NAMES, objective, data.customers, options);
}

/** P(alive at T | x, t_x, T) = (alive term) / (alive term + died term). */
export function paretoNbdPAlive(params: ParetoNbdParams, customer: Customer): number {
  const q = parts(params, customer, 0);
  return Math.exp(q.alive - logAddExp(q.alive, q.died));
}

/**
 * E[X(t)] = rβ/(α(s − 1)) · [1 − (β/(β + t))^{s−1}], as (rβ/α) · log-space ratio, finite at
 * s = 1 (where it is (rβ/α) log(1 + t/β)).
 */
export function paretoNbdExpectedPurchases(params: ParetoNbdParams, t: number): number {
  const { r, alpha, s, beta } = params;
  return ((r * beta) / alpha) * -expm1Ratio(s - 1, -Math.log1p(t / beta));
}

/**
 * E[Y(t) | x, t_x, T] = (r + x)(β + T)/((α + T)(s − 1)) · [1 − ((β + T)/(β + T + t))^{s−1}]
 *                        · P(alive).
 */
export function paretoNbdConditionalExpectedPurchases(
  params: ParetoNbdParams,
  customer: Customer,
  t: number,
): number {
  const { r, alpha, s, beta } = params;
  const { x, T } = customer;
  const rate = ((r + x) * (beta + T)) / (alpha + T);
  return rate * -expm1Ratio(s - 1, -Math.log1p(t / (beta + T))) * paretoNbdPAlive(params, customer);
}

export const paretoNbd: PurchaseModel<ParetoNbdParams> = {
  name: "pareto-nbd",
  parameterNames: NAMES,
  logLikelihood: paretoNbdLogLikelihood,
  datasetLogLikelihood: paretoNbdDatasetLogLikelihood,
  fit: fitParetoNbd,
  pAlive: paretoNbdPAlive,
  expectedPurchases: paretoNbdExpectedPurchases,
  conditionalExpectedPurchases: paretoNbdConditionalExpectedPurchases,
};
