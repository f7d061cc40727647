/**
 * What every model fit returns, and the log-space driver they share: parameters are optimised
 * as logarithms, so they stay positive without constraints, and a fit that does not converge
 * says so — callers keep the previous model version.
 */
import { minimize, type Objective } from "./optimize.js";

export interface FitResult<P> {
  /** The estimates (for a failed fit: the last iterate, for diagnosis only). */
  readonly params: P;
  /** Total log-likelihood at `params`. */
  readonly logLikelihood: number;
  readonly converged: boolean;
  /** Why the optimiser stopped, in words (also when it converged). */
  readonly reason: string;
  /** BFGS iterations. */
  readonly iterations: number;
  /** Objective evaluations, each with its gradient. */
  readonly evaluations: number;
  /** max |∂LL/∂log θ_i| at `params`. */
  readonly gradientNorm: number;
  /** Customers (rows) the fit used. */
  readonly customers: number;
}

export interface FitOptions<P> {
  /** Starting point; default every parameter 1. */
  readonly start?: Partial<P>;
  /** Default 200. */
  readonly maxIterations?: number;
  /** Converged when max |∂LL/∂log θ| ≤ this · max(1, |LL|). Default 1e-9. */
  readonly gradientTolerance?: number;
}

/**
 * A parameter whose logarithm leaves ±LOG_BOUND (1e-8 … 1e8) has run off to the edge of the
 * parameter space: the data do not identify the model (say, nobody ever bought twice), and the
 * fit fails rather than returning meaningless numbers.
 */
export const LOG_BOUND = Math.log(1e8);

/**
 * Fits by BFGS over log-parameters. `negativeLogLikelihood(logParams, gradient)` returns −LL and
 * writes ∂(−LL)/∂ log θ.
 */
export function fitLogSpace<P extends Record<keyof P, number>>(
  names: readonly (keyof P & string)[],
  negativeLogLikelihood: Objective,
  customers: number,
  options: FitOptions<P> = {},
): FitResult<P> {
  const toParams = (logs: ArrayLike<number>): P =>
    Object.fromEntries(names.map((name, i) => [name, Math.exp(logs[i] as number)])) as P;
  const start = names.map((name) => {
    const value = options.start?.[name] ?? 1;
    return Math.log(value);
  });
  if (customers === 0) {
    return {
      params: toParams(start),
      logLikelihood: Number.NaN,
      converged: false,
      reason: "no customers to fit",
      iterations: 0,
      evaluations: 0,
      gradientNorm: Number.NaN,
      customers,
    };
  }
  if (start.some((value) => !Number.isFinite(value))) {
    return {
      params: toParams(start),
      logLikelihood: Number.NaN,
      converged: false,
      reason: "every starting value must be a positive finite number",
      iterations: 0,
      evaluations: 0,
      gradientNorm: Number.NaN,
      customers,
    };
  }
  const run = minimize(negativeLogLikelihood, start, {
    maxIterations: options.maxIterations ?? 200,
    gradientTolerance: options.gradientTolerance ?? 1e-9,
    bound: LOG_BOUND,
    names: names.map((name) => `log ${name}`),
  });
  return {
    params: toParams(run.x),
    logLikelihood: -run.f,
    converged: run.converged,
    reason: run.reason,
    iterations: run.iterations,
    evaluations: run.evaluations,
    gradientNorm: run.gradientNorm,
    customers,
  };
}
