/** The common face of the purchase (transaction) models, for code that works with any of them. */
import type { CbsData, Customer } from "./data.js";
import type { FitOptions, FitResult } from "./fit.js";

export interface PurchaseModel<P> {
  readonly name: "bg-nbd" | "mbg-nbd" | "pareto-nbd";
  readonly parameterNames: readonly (keyof P & string)[];
  /** log L(params | x, t_x, T) of one customer. */
  logLikelihood(params: P, customer: Customer): number;
  /** Σ log L over the data. */
  datasetLogLikelihood(params: P, data: CbsData): number;
  /** Maximum likelihood over log-parameters; check `converged` before using the result. */
  fit(data: CbsData, options?: FitOptions<P>): FitResult<P>;
  /** P(the customer is still alive at T | x, t_x, T). */
  pAlive(params: P, customer: Customer): number;
  /** E[X(t)]: purchases in (0, t] of a customer acquired at time 0. */
  expectedPurchases(params: P, t: number): number;
  /** E[Y(t) | x, t_x, T]: purchases in (T, T + t] of a customer with this history. */
  conditionalExpectedPurchases(params: P, customer: Customer, t: number): number;
}
