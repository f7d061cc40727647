/**
 * A small BFGS minimiser (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithm 6.1)
 * with a strong-Wolfe line search (Algorithms 3.5 and 3.6, cubic interpolation in the zoom).
 * Dense inverse-Hessian updates: the BTYD models have 3 or 4 parameters. Deterministic, no
 * dependencies, and honest about failure: it reports why it stopped.
 */

/** Relative gradient below which a failed line search means "at the optimum", not "stuck". */
const PRECISION_FLOOR = 1e-7;

/** f(x), writing ∇f(x) into `gradient`. Non-finite values are treated as "too far". */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface MinimizeOptions {
  /** Iteration limit; reaching it is a failure. Default 200. */
  readonly maxIterations?: number;
  /** Converged when max |∂f/∂x_i| ≤ gradientTolerance · max(1, |f|). Default 1e-9. */
  readonly gradientTolerance?: number;
  /** Largest change of any coordinate tried by the first step of a line search. Default 5. */
  readonly maxStep?: number;
  /** An iterate with some |x_i| above this has diverged (failure). Default ∞. */
  readonly bound?: number;
  /** Coordinate names for messages. */
  readonly names?: readonly string[];
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly gradient: Float64Array;
  readonly iterations: number;
  /** Objective evaluations (each with its gradient). */
  readonly evaluations: number;
  readonly converged: boolean;
  /** Why the iteration stopped, in words. */
  readonly reason: string;
  /** max |∂f/∂x_i| at x. */
  readonly gradientNorm: number;
}

const C1 = 1e-4;
const C2 = 0.9;
const MAX_LINE_SEARCH = 40;

function dot(u: Float64Array, v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < u.length; i++) s += (u[i] as number) * (v[i] as number);
  return s;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
}

function allFinite(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i] as number)) return false;
  return true;
}

interface Point {
  alpha: number;
  f: number;
  /** Directional derivative ∇f · p. */
  slope: number;
  x: Float64Array;
  g: Float64Array;
}

/** The minimiser of the cubic through (a, fa, da) and (b, fb, db), or undefined. */
function cubicMinimizer(
  a: number,
  fa: number,
  da: number,
  b: number,
  fb: number,
  db: number,
): number | undefined {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return undefined;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const m = b - (b - a) * ((db + d2 - d1) / (db - da + 2 * d2));
  return Number.isFinite(m) ? m : undefined;
}

/**
 * Minimises `objective` from `x0` by BFGS. Never throws for a misbehaving objective: a
 * non-finite value at the start, a failed line search, the iteration limit or an iterate past
 * `bound` end the run with converged = false and the reason.
 */
export function minimize(
  objective: Objective,
  x0: ArrayLike<number>,
  options: MinimizeOptions = {},
): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.gradientTolerance ?? 1e-9;
  const maxStep = options.maxStep ?? 5;
  const bound = options.bound ?? Number.POSITIVE_INFINITY;
  const name = (i: number) => options.names?.[i] ?? `x[${i}]`;

  let x: Float64Array = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(n);
  let evaluations = 1;
  let f = objective(x, g);
  const result = (iterations: number, converged: boolean, reason: string): MinimizeResult => ({
    x,
    f,
    gradient: g,
    iterations,
    evaluations,
    converged,
    reason,
    gradientNorm: maxAbs(g),
  });
  if (!Number.isFinite(f) || !allFinite(g)) {
    return result(0, false, "the objective is not finite at the starting point");
  }

  // Inverse Hessian approximation, row-major.
  const H = new Float64Array(n * n);
  const resetH = (scale = 1) => {
    H.fill(0);
    for (let i = 0; i < n; i++) H[i * n + i] = scale;
  };
  resetH();
  let identity = true;
  let scaled = false;
  const p = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);

  const evaluate = (alpha: number): Point => {
    const xt = new Float64Array(n);
    for (let i = 0; i < n; i++) xt[i] = (x[i] as number) + alpha * (p[i] as number);
    const gt = new Float64Array(n);
    evaluations += 1;
    const ft = objective(xt, gt);
    const ok = Number.isFinite(ft) && allFinite(gt);
    return { alpha, f: ok ? ft : Number.NaN, slope: ok ? dot(gt, p) : Number.NaN, x: xt, g: gt };
  };

  /** Strong-Wolfe line search along p; undefined when no acceptable step was found. */
  const lineSearch = (alpha0: number): Point | undefined => {
    const f0 = f;
    const slope0 = dot(g, p);
    const start: Point = { alpha: 0, f: f0, slope: slope0, x, g };
    const armijo = (pt: Point) => pt.f <= f0 + C1 * pt.alpha * slope0;
    const curvature = (pt: Point) => Math.abs(pt.slope) <= -C2 * slope0;

    const zoom = (loIn: Point, hiIn: Point, budget: number): Point | undefined => {
      let lo = loIn;
      let hi = hiIn;
      for (let j = 0; j < budget; j++) {
        const width = hi.alpha - lo.alpha;
        let alpha =
          Number.isFinite(hi.f) && Number.isFinite(hi.slope)
            ? cubicMinimizer(lo.alpha, lo.f, lo.slope, hi.alpha, hi.f, hi.slope)
            : undefined;
        const low = Math.min(lo.alpha, hi.alpha);
        const high = Math.max(lo.alpha, hi.alpha);
        const margin = 0.1 * (high - low);
        if (alpha === undefined || alpha < low + margin || alpha > high - margin) {
          alpha = lo.alpha + width / 2;
        }
        const pt = evaluate(alpha);
        if (Number.isNaN(pt.f) || !armijo(pt) || pt.f >= lo.f) {
          hi = pt;
        } else {
          if (curvature(pt)) return pt;
          if (pt.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
          lo = pt;
        }
        if (Math.abs(hi.alpha - lo.alpha) <= 1e-14 * Math.max(1, Math.abs(lo.alpha))) break;
      }
      // Out of budget: a step that decreases f sufficiently still makes progress.
      return lo.alpha > 0 ? lo : undefined;
    };

    let previous = start;
    let alpha = alpha0;
    for (let i = 0; i < MAX_LINE_SEARCH; i++) {
      const pt = evaluate(alpha);
      if (Number.isNaN(pt.f)) {
        // Too far (overflow, a parameter out of the domain): come back towards the last point.
        alpha = previous.alpha + (alpha - previous.alpha) / 4;
        continue;
      }
      if (!armijo(pt) || (i > 0 && pt.f >= previous.f)) {
        return zoom(previous, pt, MAX_LINE_SEARCH - i);
      }
      if (curvature(pt)) return pt;
      if (pt.slope >= 0) return zoom(pt, previous, MAX_LINE_SEARCH - i);
      previous = pt;
      alpha *= 2;
    }
    return previous.alpha > 0 ? previous : undefined;
  };

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const gradientNorm = maxAbs(g);
    if (gradientNorm <= tolerance * Math.max(1, Math.abs(f))) {
      return result(iteration, true, `gradient norm ${gradientNorm.toExponential(2)} ≤ tolerance`);
    }
    // p = −H g
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v -= (H[i * n + j] as number) * (g[j] as number);
      p[i] = v;
    }
    if (!(dot(p, g) < 0)) {
      resetH();
      identity = true;
      for (let i = 0; i < n; i++) p[i] = -(g[i] as number);
    }
    const step = maxAbs(p);
    const found = lineSearch(Math.min(1, maxStep / step));
    if (found === undefined) {
      if (!identity) {
        // The curvature model went bad: restart from steepest descent.
        resetH();
        identity = true;
        scaled = false;
        continue;
      }
      // At the optimum of a sum over thousands of customers, f stops changing in its last bits
      // before the gradient reaches a strict tolerance: a gradient that small is converged.
      if (gradientNorm <= PRECISION_FLOOR * Math.max(1, Math.abs(f))) {
        return result(
          iteration,
          true,
          `no further decrease at floating-point precision (gradient norm ${gradientNorm.toExponential(2)})`,
        );
      }
      const reason = `the line search found no decrease (gradient norm ${gradientNorm.toExponential(2)})`;
      return result(iteration, false, reason);
    }
    for (let i = 0; i < n; i++) {
      s[i] = (found.x[i] as number) - (x[i] as number);
      y[i] = (found.g[i] as number) - (g[i] as number);
    }
    x = found.x;
    f = found.f;
    g = found.g;
    for (let i = 0; i < n; i++) {
      if (Math.abs(x[i] as number) > bound) {
        return result(
          iteration + 1,
          false,
          `${name(i)} = ${(x[i] as number).toPrecision(4)} left [−${bound.toPrecision(4)}, ${bound.toPrecision(4)}]: the data do not identify the model`,
        );
      }
    }
    const sy = dot(s, y);
    const yy = dot(y, y);
    if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * yy))) continue; // no usable curvature: keep H
    if (!scaled) {
      // Nocedal & Wright (6.20): scale the initial matrix before the first update.
      resetH(sy / yy);
      scaled = true;
    }
    identity = false;
    // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ = H − ρ (s (Hy)ᵀ + (Hy) sᵀ) + (ρ² yᵀHy + ρ) s sᵀ
    const rho = 1 / sy;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += (H[i * n + j] as number) * (y[j] as number);
      Hy[i] = v;
    }
    const yHy = dot(y, Hy);
    const coefficient = rho * rho * yHy + rho;
    for (let i = 0; i < n; i++) {
      const si = s[i] as number;
      const hyi = Hy[i] as number;
      for (let j = 0; j < n; j++) {
        const sj = s[j] as number;
        const hyj = Hy[j] as number;
        H[i * n + j] =
          (H[i * n + j] as number) - rho * (si * hyj + hyi * sj) + coefficient * si * sj;
      }
    }
  }
  const gradientNorm = maxAbs(g);
  if (gradientNorm <= tolerance * Math.max(1, Math.abs(f))) {
    return result(
      maxIterations,
      true,
      `gradient norm ${gradientNorm.toExponential(2)} ≤ tolerance`,
    );
  }
  return result(
    maxIterations,
    false,
    `iteration limit ${maxIterations} reached (gradient norm ${gradientNorm.toExponential(2)})`,
  );
}

/**
 * An Objective from a function without a gradient, by central differences with step
 * h·max(1, |x_i|): 2n + 1 evaluations per call.
 */
export function centralDifferences(f: (x: Float64Array) => number, h = 1e-5): Objective {
  return (x, gradient) => {
    const value = f(x);
    const probe = Float64Array.from(x);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      const step = h * Math.max(1, Math.abs(xi));
      probe[i] = xi + step;
      const up = f(probe);
      probe[i] = xi - step;
      const down = f(probe);
      probe[i] = xi;
      gradient[i] = (up - down) / (2 * step);
    }
    return value;
  };
}
