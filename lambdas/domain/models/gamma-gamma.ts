/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005b, "RFM and CLV: using iso-value curves for
 * customer base analysis"; Colombo & Jiang 1999). A customer's transaction values are
 * Gamma(p, ν) around the customer's mean p/ν, with ν ~ Gamma(q, γ) across customers. Fitted on
 * repeat buyers only: x ≥ 1 repeat transactions with mean value z̄ (the first purchase is left
 * out, as for the purchase models). Assumes spend is independent of purchase frequency.
 *
 * log f(z̄ | x) = log Γ(px + q) − log Γ(px) − log Γ(q) + q log γ + (px − 1) log z̄
 *                + px log x − (px + q) log(γ + x z̄)
 */
import { type FitOptions, type FitResult, fitLogSpace } from "./fit.js";
import { digamma, logGamma } from "./special.js";

export interface GammaGammaParams {
  /** Shape of a customer's transaction values. */
  readonly p: number;
  /** Shape of the gamma over customers' scale ν. */
  readonly q: number;
  /** Rate of the gamma over customers' scale ν (a money amount). */
  readonly gamma: number;
}

export interface SpendRow {
  /** Repeat transactions. */
  readonly x: number;
  /** Mean value of those repeat transactions. */
  readonly zbar: number;
}

export interface SpendData {
  readonly x: Float64Array;
  readonly zbar: Float64Array;
  /** Rows left out because x = 0 (no repeat transaction, no spend information). */
  readonly skipped: number;
}

const NAMES = ["p", "q", "gamma"] as const;

/**
 * Keeps the repeat buyers (x ≥ 1). Throws a RangeError naming the first row with a negative or
 * non-finite x, or a repeat buyer whose z̄ is not positive.
 */
export function spendData(rows: Iterable<SpendRow>): SpendData {
  const x: number[] = [];
  const zbar: number[] = [];
  let skipped = 0;
  let index = 0;
  for (const row of rows) {
    if (!Number.isFinite(row.x) || row.x < 0) {
      throw new RangeError(`spend row ${index}: x = ${row.x} is not a count`);
    }
    if (row.x === 0) {
      skipped += 1;
    } else if (!(Number.isFinite(row.zbar) && row.zbar > 0)) {
      throw new RangeError(`spend row ${index}: zbar = ${row.zbar} must be positive when x > 0`);
    } else {
      x.push(row.x);
      zbar.push(row.zbar);
    }
    index += 1;
  }
  return { x: Float64Array.from(x), zbar: Float64Array.from(zbar), skipped };
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, row: SpendRow): number {
  const { p, q, gamma } = params;
  const { x, zbar } = row;
  const px = p * x;
  return (
    logGamma(px + q) -
    logGamma(px) -
    logGamma(q) +
    q * Math.log(gamma) +
    (px - 1) * Math.log(zbar) +
    px * Math.log(x) -
    (px + q) * Math.log(gamma + x * zbar)
  );
}

/** Σ log f over the data, and its gradient with respect to (p, q, γ) when asked. */
export function gammaGammaDatasetLogLikelihood(
  params: GammaGammaParams,
  data: SpendData,
  gradient?: Float64Array,
): number {
  const { p, q, gamma } = params;
  const n = data.x.length;
  const logGammaQ = logGamma(q);
  const logG = Math.log(gamma);
  let total = 0;
  let dp = 0;
  let dq = 0;
  let dGamma = 0;
  for (let i = 0; i < n; i++) {
    const x = data.x[i] as number;
    const z = data.zbar[i] as number;
    const px = p * x;
    const denominator = gamma + x * z;
    const logDenominator = Math.log(denominator);
    const logZ = Math.log(z);
    const logX = Math.log(x);
    total +=
      logGamma(px + q) - logGamma(px) + (px - 1) * logZ + px * logX - (px + q) * logDenominator;
    if (gradient !== undefined) {
      const psi = digamma(px + q);
      dp += x * (psi - digamma(px) + logZ + logX - logDenominator);
      dq += psi - logDenominator;
      dGamma -= (px + q) / denominator;
    }
  }
  total += n * (q * logG - logGammaQ);
  if (gradient !== undefined) {
    gradient[0] = dp;
    gradient[1] = dq + n * (logG - digamma(q));
    gradient[2] = dGamma + (n * q) / gamma;
  }
  return total;
}

export function fitGammaGamma(
  data: SpendData,
  options?: FitOptions<GammaGammaParams>,
): FitResult<GammaGammaParams> {
  const scratch = new Float64Array(3);
  return fitLogSpace<GammaGammaParams>(
    NAMES,
    (logs, gradient) => {
      const params = {
        p: Math.exp(logs[0] as number),
        q: Math.exp(logs[1] as number),
        gamma: Math.exp(logs[2] as number),
      };
      const ll = gammaGammaDatasetLogLikelihood(params, data, scratch);
      gradient[0] = -(scratch[0] as number) * params.p;
      gradient[1] = -(scratch[1] as number) * params.q;
      gradient[2] = -(scratch[2] as number) * params.gamma;
      return -ll;
    },
    data.x.length,
    options,
  );
}

/** E[Z] = pγ/(q − 1), the mean transaction value of a new customer; ∞ when q ≤ 1. */
export function gammaGammaPopulationMeanSpend(params: GammaGammaParams): number {
  const { p, q, gamma } = params;
  return q > 1 ? (p * gamma) / (q - 1) : Number.POSITIVE_INFINITY;
}

/**
 * E[Z | x, z̄] = p(γ + x z̄)/(px + q − 1): a weighted mean of the population mean pγ/(q − 1)
 * (weight (q − 1)/(px + q − 1)) and the customer's own z̄ (weight px/(px + q − 1)). With x = 0
 * it is the population mean.
 */
export function gammaGammaExpectedSpend(params: GammaGammaParams, row: SpendRow): number {
  const { p, q, gamma } = params;
  if (row.x === 0) return gammaGammaPopulationMeanSpend(params);
  const denominator = p * row.x + q - 1;
  return denominator > 0
    ? (p * (gamma + row.x * row.zbar)) / denominator
    : Number.POSITIVE_INFINITY;
}
