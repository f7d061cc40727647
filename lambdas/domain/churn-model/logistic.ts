/**
 * L2-regularised logistic regression by Newton's method (IRLS) on standardised features.
 *
 * Newton rather than gradient descent: with ~30 features the Hessian is tiny, a fit takes a
 * handful of passes over the rows, and the result is the exact penalised optimum, the same on
 * every run and machine (no learning rate, no shuffling). The penalty (l2/2)·‖w‖² on the
 * standardised weights makes the objective strictly concave, so even perfectly separable data
 * gives finite weights; the intercept is not penalised, so the model reproduces the base rate.
 */

export interface LogisticOptions {
  /** Penalty λ in (λ/2)·‖w‖², against the (weighted) total log-likelihood. Default 1. */
  readonly l2?: number;
  /** Per-row weights (≥ 0); default 1 each. */
  readonly weights?: ArrayLike<number>;
  /** Newton iterations; default 50 (it usually needs under 10). */
  readonly maxIterations?: number;
  /** Stop when the Newton decrement is ≤ tolerance · (1 + |objective|). Default 1e-12. */
  readonly tolerance?: number;
}

export interface LogisticModel {
  /** Standardisation: z = (x − mean) / scale; a constant column has scale 1. */
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** Coefficients on z. */
  readonly weights: Float64Array;
  readonly intercept: number;
  readonly l2: number;
  readonly converged: boolean;
  readonly iterations: number;
  /** Penalised log-likelihood at the result. */
  readonly objective: number;
}

/** A column whose spread is below this (relative to its size) is constant, not a signal. */
const CONSTANT_RELATIVE_SPREAD = 1e-12;

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * In-place Cholesky factorisation A = L·Lᵀ of a symmetric n×n matrix (row-major; the lower
 * triangle is read and overwritten with L). False when A is not positive definite.
 */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let diagonal = a[j * n + j] as number;
    for (let k = 0; k < j; k++) diagonal -= (a[j * n + k] as number) ** 2;
    if (!(diagonal > 0)) return false;
    const root = Math.sqrt(diagonal);
    a[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (a[i * n + k] as number) * (a[j * n + k] as number);
      a[i * n + j] = sum / root;
    }
  }
  return true;
}

/** Solves L·Lᵀ·x = b in place of b, given the factor from `cholesky`. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * n + k] as number) * (b[k] as number);
    b[i] = sum / (l[i * n + i] as number);
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = b[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (l[k * n + i] as number) * (b[k] as number);
    b[i] = sum / (l[i * n + i] as number);
  }
  return b;
}

function label(value: boolean | number | undefined): number {
  return value === true || value === 1 ? 1 : 0;
}

/** The model's logit for raw (unstandardised) features. */
export function logisticLogit(
  model: Pick<LogisticModel, "mean" | "scale" | "weights" | "intercept">,
  row: ArrayLike<number>,
): number {
  let eta = model.intercept;
  for (let j = 0; j < model.weights.length; j++) {
    eta +=
      ((model.weights[j] as number) * ((row[j] as number) - (model.mean[j] as number))) /
      (model.scale[j] as number);
  }
  return eta;
}

/**
 * Fits on `rows` (each of the same length d) and 0/1 labels. Throws a RangeError on empty
 * input, ragged rows, non-finite values or bad weights; reports non-convergence in the result.
 */
export function fitLogistic(
  rows: readonly ArrayLike<number>[],
  labels: ArrayLike<boolean | number>,
  options: LogisticOptions = {},
): LogisticModel {
  const n = rows.length;
  if (n === 0) throw new RangeError("logistic regression needs at least one row");
  if (labels.length !== n) throw new RangeError(`${n} rows but ${labels.length} labels`);
  const l2 = options.l2 ?? 1;
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new RangeError(`l2 must be ≥ 0, got ${l2}`);
  const rowWeights = options.weights;
  if (rowWeights !== undefined && rowWeights.length !== n) {
    throw new RangeError(`${n} rows but ${rowWeights.length} row weights`);
  }
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-12;
  const d = (rows[0] as ArrayLike<number>).length;
  const weightOf = (i: number) => (rowWeights === undefined ? 1 : (rowWeights[i] as number));

  // Weighted mean and standard deviation per column (two passes: exact for large offsets).
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  let totalWeight = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i] as ArrayLike<number>;
    if (row.length !== d) throw new RangeError(`row ${i} has ${row.length} values, row 0 has ${d}`);
    const v = weightOf(i);
    if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`row ${i}: weight ${v} is not ≥ 0`);
    totalWeight += v;
    for (let j = 0; j < d; j++) {
      const x = row[j] as number;
      if (!Number.isFinite(x)) throw new RangeError(`row ${i}, column ${j}: ${x} is not finite`);
      mean[j] = (mean[j] as number) + v * x;
    }
  }
  if (!(totalWeight > 0)) throw new RangeError("the row weights sum to zero");
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / totalWeight;
  for (let i = 0; i < n; i++) {
    const row = rows[i] as ArrayLike<number>;
    const v = weightOf(i);
    for (let j = 0; j < d; j++) {
      scale[j] = (scale[j] as number) + v * ((row[j] as number) - (mean[j] as number)) ** 2;
    }
  }
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt((scale[j] as number) / totalWeight);
    scale[j] = sd > CONSTANT_RELATIVE_SPREAD * Math.max(1, Math.abs(mean[j] as number)) ? sd : 1;
  }

  // Parameters β = (intercept, w_1 … w_d); z̃ = (1, z_1 … z_d).
  const p = d + 1;
  const beta = new Float64Array(p);
  const trial = new Float64Array(p);
  const gradient = new Float64Array(p);
  const hessian = new Float64Array(p * p);
  const z = new Float64Array(p);
  z[0] = 1;

  const standardise = (row: ArrayLike<number>) => {
    for (let j = 0; j < d; j++) {
      z[j + 1] = ((row[j] as number) - (mean[j] as number)) / (scale[j] as number);
    }
  };
  const linear = (b: Float64Array) => {
    let eta = 0;
    for (let j = 0; j < p; j++) eta += (b[j] as number) * (z[j] as number);
    return eta;
  };
  const objective = (b: Float64Array): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      standardise(rows[i] as ArrayLike<number>);
      const eta = linear(b);
      total += weightOf(i) * (label(labels[i]) * eta - softplus(eta));
    }
    let penalty = 0;
    for (let j = 1; j < p; j++) penalty += (b[j] as number) ** 2;
    return total - 0.5 * l2 * penalty;
  };

  // Start at the base rate: the penalised optimum of the intercept-only model.
  let positiveWeight = 0;
  for (let i = 0; i < n; i++) positiveWeight += weightOf(i) * label(labels[i]);
  const base = Math.min(Math.max(positiveWeight / totalWeight, 1e-6), 1 - 1e-6);
  beta[0] = Math.log(base / (1 - base));

  let current = objective(beta);
  let converged = false;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations += 1;
    gradient.fill(0);
    hessian.fill(0);
    for (let i = 0; i < n; i++) {
      standardise(rows[i] as ArrayLike<number>);
      const v = weightOf(i);
      const probability = sigmoid(linear(beta));
      const residual = v * (label(labels[i]) - probability);
      const curvature = v * probability * (1 - probability);
      for (let j = 0; j < p; j++) {
        const zj = z[j] as number;
        gradient[j] = (gradient[j] as number) + residual * zj;
        const cz = curvature * zj;
        for (let k = 0; k <= j; k++)
          hessian[j * p + k] = (hessian[j * p + k] as number) + cz * (z[k] as number);
      }
    }
    for (let j = 1; j < p; j++) {
      gradient[j] = (gradient[j] as number) - l2 * (beta[j] as number);
      hessian[j * p + j] = (hessian[j * p + j] as number) + l2;
    }
    // Newton direction H⁻¹g; a tiny ridge rescues a curvature that rounding made singular.
    const step = Float64Array.from(gradient);
    let jitter = 0;
    const factor = new Float64Array(p * p);
    for (;;) {
      factor.set(hessian);
      for (let j = 0; j < p; j++) factor[j * p + j] = (factor[j * p + j] as number) + jitter;
      if (cholesky(factor, p)) break;
      jitter = jitter === 0 ? 1e-10 * (1 + totalWeight) : jitter * 100;
      if (jitter > 1e6 * (1 + totalWeight))
        throw new Error("logistic regression: singular Hessian");
    }
    choleskySolve(factor, p, step);
    let decrement = 0;
    for (let j = 0; j < p; j++) decrement += (gradient[j] as number) * (step[j] as number);
    if (decrement / 2 <= tolerance * (1 + Math.abs(current))) {
      converged = true;
      break;
    }
    // Backtracking keeps every step an ascent, so the iteration cannot cycle or blow up.
    let t = 1;
    let accepted = false;
    for (let halvings = 0; halvings < 60; halvings++) {
      for (let j = 0; j < p; j++) trial[j] = (beta[j] as number) + t * (step[j] as number);
      const value = objective(trial);
      if (value >= current + 1e-4 * t * decrement) {
        beta.set(trial);
        current = value;
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) {
      // No step improves by a representable amount: at the optimum unless the step was large.
      converged = decrement / 2 <= 1e-6 * (1 + Math.abs(current));
      break;
    }
  }

  return {
    mean,
    scale,
    weights: beta.slice(1),
    intercept: beta[0] as number,
    l2,
    converged,
    iterations,
    objective: current,
  };
}
