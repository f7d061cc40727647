/**
 * Fits the buy-till-you-die models once per training run and turns them into per-user signals
 * for the churn classifier: P(alive) from Pareto/NBD and MBG/NBD (BG/NBD's is 1 for everyone
 * without a repeat purchase, so it ranks churn badly; it is fitted and stored for reports only)
 * and the expected purchases in the horizon.
 */
import { btydInputs } from "../btyd.js";
import { localDayNumber } from "../calendar.js";
import type { UserFeatures } from "../features.js";
import {
  type Customer,
  cbsData,
  type FitResult,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  mbgNbdPAlive,
  type ParetoNbdParams,
  paretoNbdPAlive,
  type SpendRow,
  spendData,
} from "../models/index.js";
import { expm1Ratio } from "../models/special.js";
import { type BtydArtefact, btydArtefactSchema, isDayKey } from "./artefacts.js";

const DAYS_PER_WEEK = 7;

export interface BtydFitSummary {
  readonly converged: boolean;
  readonly reason: string;
  readonly iterations: number;
  readonly logLikelihood: number;
  readonly customers: number;
}

export interface BtydFitReport {
  readonly bgNbd: BtydFitSummary;
  readonly mbgNbd: BtydFitSummary;
  readonly paretoNbd: BtydFitSummary;
  /** null when no spend rows were given. */
  readonly gammaGamma: BtydFitSummary | null;
}

export interface BtydFit {
  readonly artefact: BtydArtefact;
  /** Every fitted model converged; otherwise keep the previous artefact and read the report. */
  readonly converged: boolean;
  readonly report: BtydFitReport;
}

function summary<P>(fit: FitResult<P>): BtydFitSummary {
  return {
    converged: fit.converged,
    reason: fit.reason,
    iterations: fit.iterations,
    logLikelihood: fit.logLikelihood,
    customers: fit.customers,
  };
}

function stored<P>(fit: FitResult<P>) {
  return {
    params: fit.params,
    logLikelihood: Number.isFinite(fit.logLikelihood) ? fit.logLikelihood : null,
    converged: fit.converged,
  };
}

/**
 * Fits BG/NBD, MBG/NBD and Pareto/NBD on CBS rows in weeks (see `btydInputs`), and Gamma-Gamma
 * when spend rows are given. Bad rows throw a RangeError naming the row. A failed fit still
 * yields an artefact (for diagnosis) with `converged: false`.
 */
export function fitBtydArtefact(
  rows: readonly Customer[],
  calibrationEnd: string,
  spend?: readonly SpendRow[],
): BtydFit {
  if (!isDayKey(calibrationEnd)) {
    throw new RangeError(`calibrationEnd must be a date YYYY-MM-DD, got "${calibrationEnd}"`);
  }
  const data = cbsData(rows);
  const bg = fitBgNbd(data);
  const mbg = fitMbgNbd(data);
  const pareto = fitParetoNbd(data);
  const gg = spend === undefined ? undefined : fitGammaGamma(spendData(spend));
  const artefact = btydArtefactSchema.parse({
    kind: "btyd",
    unit: "weeks",
    calibrationEnd,
    customers: data.customers,
    bgNbd: stored(bg),
    mbgNbd: stored(mbg),
    paretoNbd: stored(pareto),
    gammaGamma: gg === undefined ? null : stored(gg),
  });
  return {
    artefact,
    converged: bg.converged && mbg.converged && pareto.converged && (gg?.converged ?? true),
    report: {
      bgNbd: summary(bg),
      mbgNbd: summary(mbg),
      paretoNbd: summary(pareto),
      gammaGamma: gg === undefined ? null : summary(gg),
    },
  };
}

export interface BtydSignals {
  readonly pAliveParetoNbd: number;
  readonly pAliveMbgNbd: number;
  /** Pareto/NBD E[purchase-days in the next horizon | history]. */
  readonly expectedPurchases: number;
  readonly hasPurchased: boolean;
}

/**
 * A user with no purchase by asOf is outside what the purchase models describe (they start at
 * the first purchase): all three signals are 0 and `hasPurchased` false. Zero rather than a
 * guess keeps the classifier honest: its "never purchased" input carries the difference.
 */
export const NO_PURCHASE_SIGNALS: BtydSignals = {
  pAliveParetoNbd: 0,
  pAliveMbgNbd: 0,
  expectedPurchases: 0,
  hasPurchased: false,
};

/**
 * The user's signals as of `asOf` (its local day is the calibration end for this user), with the
 * expected purchases over `horizonDays` converted to the artefact's weeks.
 */
export function btydSignals(
  features: Pick<UserFeatures, "purchaseDays" | "timezone">,
  asOf: Date,
  artefact: BtydArtefact,
  horizonDays: number,
): BtydSignals {
  const today = localDayNumber(asOf.getTime(), features.timezone ?? "UTC");
  const inputs = btydInputs(features, today);
  if (inputs === undefined) return NO_PURCHASE_SIGNALS;
  const customer = { x: inputs.x, tx: inputs.tx, T: inputs.T };
  const pareto = artefact.paretoNbd.params;
  const pAlive = paretoNbdPAlive(pareto, customer);
  return {
    pAliveParetoNbd: pAlive,
    pAliveMbgNbd: mbgNbdPAlive(artefact.mbgNbd.params, customer),
    expectedPurchases: paretoNbdExpectedGivenAlive(
      pareto,
      customer,
      horizonDays / DAYS_PER_WEEK,
      pAlive,
    ),
    hasPurchased: true,
  };
}

/**
 * paretoNbdConditionalExpectedPurchases with P(alive) already at hand: the same expression, term
 * for term, so the same bits, without working out P(alive) (most of the cost) a second time.
 * A test holds the two side by side.
 */
export function paretoNbdExpectedGivenAlive(
  params: ParetoNbdParams,
  customer: Customer,
  t: number,
  pAlive: number,
): number {
  const { r, alpha, s, beta } = params;
  const { x, T } = customer;
  const rate = ((r + x) * (beta + T)) / (alpha + T);
  return rate * -expm1Ratio(s - 1, -Math.log1p(t / (beta + T))) * pAlive;
}
