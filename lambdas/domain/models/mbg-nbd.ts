/**
 * MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD in which the customer may also drop out
 * right after the first purchase, so a customer with no repeat purchase has P(alive) < 1 —
 * which makes its P(alive) usable as a churn ranking on its own, unlike BG/NBD's.
 */
import * as core from "./beta-geometric.js";
import type { CbsData, Customer } from "./data.js";
import type { FitOptions, FitResult } from "./fit.js";
import type { PurchaseModel } from "./model.js";

export type MbgNbdParams = core.BetaGeometricParams;

export function mbgNbdLogLikelihood(params: MbgNbdParams, customer: Customer): number {
  return core.logLikelihood(params, 1, customer);
}

export function mbgNbdDatasetLogLikelihood(
  params: MbgNbdParams,
  data: CbsData,
  gradient?: Float64Array,
): number {
  return core.datasetLogLikelihood(params, 1, data, gradient);
}

export function fitMbgNbd(
  data: CbsData,
  options?: FitOptions<MbgNbdParams>,
): FitResult<MbgNbdParams> {
  return core.fit(1, data, options);
}

/** 1/(1 + a/(b + x) · ((α + T)/(α + t_x))^{r+x}), also for x = 0. */
export function mbgNbdPAlive(params: MbgNbdParams, customer: Customer): number {
  return core.pAlive(params, 1, customer);
}

export function mbgNbdExpectedPurchases(params: MbgNbdParams, t: number): number {
  return core.expectedPurchases(params, 1, t);
}

export function mbgNbdConditionalExpectedPurchases(
  params: MbgNbdParams,
  customer: Customer,
  t: number,
): number {
  return core.conditionalExpectedPurchases(params, 1, customer, t);
}

/** P(X(t) = n) for a customer acquired at time 0. */
export function mbgNbdProbabilityOfPurchases(params: MbgNbdParams, t: number, n: number): number {
  return core.probabilityOfPurchases(params, 1, t, n);
}

export const mbgNbd: PurchaseModel<MbgNbdParams> = {
  name: "mbg-nbd",
  parameterNames: core.BETA_GEOMETRIC_NAMES,
  logLikelihood: mbgNbdLogLikelihood,
  datasetLogLikelihood: (params, data) => mbgNbdDatasetLogLikelihood(params, data),
  fit: fitMbgNbd,
  pAlive: mbgNbdPAlive,
  expectedPurchases: mbgNbdExpectedPurchases,
  conditionalExpectedPurchases: mbgNbdConditionalExpectedPurchases,
};
