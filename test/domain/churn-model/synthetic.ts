/** Deterministic synthetic data for the churn-model tests: same numbers on every run. */

/** mulberry32: a small seeded generator, enough for test data. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal by Box–Muller. */
export function normal(next: () => number): number {
  const u = Math.max(next(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

export function sigmoidOf(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export interface LogisticSample {
  readonly rows: Float64Array[];
  readonly labels: boolean[];
}

/**
 * Rows x ~ N(centre_j, spread_j²) per column and labels drawn from σ(intercept + Σ w_j x_j):
 * a logistic model with known coefficients on the raw scale.
 */
export function logisticSample(
  n: number,
  coefficients: readonly number[],
  intercept: number,
  seed: number,
  centre: readonly number[] = coefficients.map(() => 0),
  spread: readonly number[] = coefficients.map(() => 1),
): LogisticSample {
  const next = random(seed);
  const rows: Float64Array[] = [];
  const labels: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const row = Float64Array.from(
      coefficients,
      (_, j) => (centre[j] as number) + (spread[j] as number) * normal(next),
    );
    let eta = intercept;
    for (let j = 0; j < row.length; j++) eta += (coefficients[j] as number) * (row[j] as number);
    rows.push(row);
    labels.push(next() < sigmoidOf(eta));
  }
  return { rows, labels };
}
