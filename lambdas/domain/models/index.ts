/**
 * Buy-till-you-die models: BG/NBD, MBG/NBD and Pareto/NBD for purchases and churn, Gamma-Gamma
 * for spend, and CLV. Pure TypeScript; see docs/models.md for the formulas and numerics.
 */

export {
  type BgNbdParams,
  bgNbd,
  bgNbdConditionalExpectedPurchases,
  bgNbdDatasetLogLikelihood,
  bgNbdExpectedPurchases,
  bgNbdLogLikelihood,
  bgNbdPAlive,
  bgNbdProbabilityOfPurchases,
  fitBgNbd,
} from "./bg-nbd.js";
export { type CbsCsvRow, parseCbsCsv } from "./cbs-csv.js";
export { type ClvOptions, customerLifetimeValue, discountedValue } from "./clv.js";
export { type CbsData, type Customer, cbsData, customerProblem } from "./data.js";
export { type FitOptions, type FitResult, LOG_BOUND } from "./fit.js";
export {
  fitGammaGamma,
  type GammaGammaParams,
  gammaGammaDatasetLogLikelihood,
  gammaGammaExpectedSpend,
  gammaGammaLogLikelihood,
  gammaGammaPopulationMeanSpend,
  type SpendData,
  type SpendRow,
  spendData,
} from "./gamma-gamma.js";
export {
  fitMbgNbd,
  type MbgNbdParams,
  mbgNbd,
  mbgNbdConditionalExpectedPurchases,
  mbgNbdDatasetLogLikelihood,
  mbgNbdExpectedPurchases,
  mbgNbdLogLikelihood,
  mbgNbdPAlive,
  mbgNbdProbabilityOfPurchases,
} from "./mbg-nbd.js";
export type { PurchaseModel } from "./model.js";
export {
  fitParetoNbd,
  type ParetoNbdParams,
  paretoNbd,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdDatasetLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdPAlive,
} from "./pareto-nbd.js";
