import { describe, expect, it } from "vitest";
import {
  centralDifferences,
  minimize,
  type Objective,
} from "../../../lambdas/domain/models/optimize.js";

const rosenbrock: Objective = (x, g) => {
  const a = x[0] as number;
  const b = x[1] as number;
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe("minimize (BFGS, strong-Wolfe line search)", () => {
  it("finds the Rosenbrock minimum (1, 1) from (−1.2, 1)", () => {
    const result = minimize(rosenbrock, [-1.2, 1], { gradientTolerance: 1e-10 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
    expect(result.iterations).toBeLessThan(60);
  });

  it("works with central-difference gradients", () => {
    const f = (x: Float64Array) =>
      ((x[0] as number) - 3) ** 2 +
      10 * ((x[1] as number) + 2) ** 2 +
      (x[0] as number) * (x[1] as number);
    const result = minimize(centralDifferences(f), [0, 0]);
    expect(result.converged).toBe(true);
    // ∇f = 0: 2(x − 3) + y = 0, 20(y + 2) + x = 0 → x = 100/39 + …; check the gradient instead.
    const g = new Float64Array(2);
    centralDifferences(f)(result.x, g);
    expect(Math.max(Math.abs(g[0] as number), Math.abs(g[1] as number))).toBeLessThan(1e-6);
  });

  it("steps back from regions where the objective is not finite", () => {
    // log-barrier: defined only for x < 1, minimum at x = 0.5
    const barrier: Objective = (x, g) => {
      const v = x[0] as number;
      if (v >= 1) {
        g[0] = Number.NaN;
        return Number.NaN;
      }
      g[0] = 2 * (v - 0.5) + 1 / (1 - v) - 2;
      return (v - 0.5) ** 2 - Math.log(1 - v) - 2 * v;
    };
    const result = minimize(barrier, [-20], { maxStep: 100 });
    expect(result.converged).toBe(true);
    expect(Number.isFinite(result.f)).toBe(true);
  });

  it("says so when the objective is not finite at the start", () => {
    const result = minimize(() => Number.NaN, [0, 0]);
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/not finite at the starting point/);
  });

  it("says so when an iterate runs off past the bound (no minimum)", () => {
    const exp: Objective = (x, g) => {
      g[0] = Math.exp(x[0] as number);
      return Math.exp(x[0] as number);
    };
    const result = minimize(exp, [0], { bound: 18, names: ["log r"] });
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/log r = .* left \[−18\.00, 18\.00\]/);
  });

  it("says so when the iteration limit is reached", () => {
    const result = minimize(rosenbrock, [-1.2, 1], { maxIterations: 3 });
    expect(result.converged).toBe(false);
    expect(result.reason).toMatch(/iteration limit 3/);
  });
});
