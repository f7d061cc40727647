/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): Poisson purchases
 * at rate λ ~ Gamma(r, α) while alive; after each repeat purchase the customer drops out with
 * probability p ~ Beta(a, b). A customer with no repeat purchase is certainly alive.
 */
import * as core from "./beta-geometric.js";
import type { CbsData, Customer } from "./data.js";
import type { FitOptions, FitResult } from "./fit.js";
import type { PurchaseModel } from "./model.js";

export type BgNbdParams = core.BetaGeometricParams;

export function bgNbdLogLikelihood(params: BgNbdParams, customer: Customer): number {
  return core.logLikelihood(params, 0, customer);
}

export function bgNbdDatasetLogLikelihood(
  params: BgNbdParams,
  data: CbsData,
  gradient?: Float64Array,
): number {
  return core.datasetLogLikelihood(params, 0, data, gradient);
}

export function fitBgNbd(data: CbsData, options?: FitOptions<BgNbdParams>): FitResult<BgNbdParams> {
  return core.fit(0, data, options);
}

/** 1/(1 + a/(b + x − 1) · ((α + T)/(α + t_x))^{r+x}) for x > 0; exactly 1 for x = 0. */
export function bgNbdPAlive(params: BgNbdParams, customer: Customer): number {
  return core.pAlive(params, 0, customer);
}

export function bgNbdExpectedPurchases(params: BgNbdParams, t: number): number {
  return core.expectedPurchases(params, 0, t);
}

export function bgNbdConditionalExpectedPurchases(
  params: BgNbdParams,
  customer: Customer,
  t: number,
): number {
  return core.conditionalExpectedPurchases(params, 0, customer, t);
}

/** P(X(t) = n) for a customer acquired at time 0; n = 0 gives (α/(α + t))^r. */
export function bgNbdProbabilityOfPurchases(params: BgNbdParams, t: number, n: number): number {
  return core.probabilityOfPurchases(params, 0, t, n);
}

export const bgNbd: PurchaseModel<BgNbdParams> = {
  name: "bg-nbd",
  parameterNames: core.BETA_GEOMETRIC_NAMES,
  logLikelihood: bgNbdLogLikelihood,
  datasetLogLikelihood: (params, data) => bgNbdDatasetLogLikelihood(params, data),
  fit: fitBgNbd,
  pAlive: bgNbdPAlive,
  expectedPurchases: bgNbdExpectedPurchases,
  conditionalExpectedPurchases: bgNbdConditionalExpectedPurchases,
};
