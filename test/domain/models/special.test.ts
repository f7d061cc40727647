import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  digamma,
  expectationBracket,
  expm1Ratio,
  hyp2f1,
  log1mExp,
  log1pExp,
  logAddExp,
  logBeta,
  logGamma,
  logHyp2f1,
  logSumExp,
} from "../../../lambdas/domain/models/special.js";

/** |actual − expected| ≤ rel·|expected| + abs. */
function close(actual: number, expected: number, rel: number, abs = 0): void {
  const tolerance = rel * Math.abs(expected) + abs;
  if (!(Math.abs(actual - expected) <= tolerance)) {
    expect.fail(`${actual} differs from ${expected} by more than ${tolerance}`);
  }
}

// Reference values computed with mpmath at 40 digits (written as the nearest double).
describe("logGamma", () => {
  it.each([
    [1e-8, 18.42068073818021],
    [0.1, 2.252712651734206],
    [0.2425967, 1.319799857783998],
    [0.5, 0.5723649429247001],
    [1.5, -0.12078223763524522],
    [2.5, 0.2846828704729192],
    [3.7, 1.428072326665388],
    [7.25, 7.0521854507385395],
    [10, 12.801827480081469],
    [25.3, 55.74618118358459],
    [100, 359.1342053695754],
    [1234.5, 7550.550901077895],
    [1e6, 12815504.569147611],
    [-0.5, 1.2655121234846454],
    [-2.5, -0.056243716497674054],
  ])("log Γ(%s) = %s", (x, expected) => {
    close(logGamma(x), expected, 2e-15, 1e-15);
  });

  it("has the closed forms log Γ(1/2) = log √π and log Γ(n) = log (n−1)!", () => {
    close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-15);
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-15);
    expect(Math.abs(logGamma(2))).toBeLessThan(1e-15);
    let factorial = 1;
    for (let n = 2; n <= 30; n++) {
      factorial *= n - 1;
      close(logGamma(n), Math.log(factorial), 1e-15, 1e-15);
    }
  });

  it("satisfies log Γ(x + 1) = log Γ(x) + log x", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e4, noNaN: true }), (x) => {
        close(logGamma(x + 1), logGamma(x) + Math.log(x), 1e-13, 1e-13);
      }),
    );
  });

  it("is +∞ at the poles and NaN for NaN", () => {
    expect(logGamma(0)).toBe(Number.POSITIVE_INFINITY);
    expect(logGamma(-3)).toBe(Number.POSITIVE_INFINITY);
    expect(logGamma(Number.NaN)).toBeNaN();
  });

  it("gives log B(a, b) with B(1, b) = 1/b and B(1/2, 1/2) = π", () => {
    close(logBeta(1, 3.5), -Math.log(3.5), 1e-15, 1e-15);
    close(logBeta(0.5, 0.5), Math.log(Math.PI), 1e-15);
  });
});

describe("digamma", () => {
  it.each([
    [1e-8, -100000000.57721564],
    [0.1, -10.423754940411076],
    [0.2425967, -4.35842190808664],
    [0.5, -1.9635100260214235],
    [1, -0.5772156649015329],
    [1.5, 0.03648997397857652],
    [2, 0.42278433509846713],
    [2.5, 0.7031566406452432],
    [3.7, 1.1671535393615113],
    [7.25, 1.910453526883736],
    [10, 2.251752589066721],
    [25.3, 3.210911380182536],
    [100, 4.600161852738087],
    [1234.5, 7.118016231827998],
    [1e6, 13.815510057964191],
    [-0.5, 0.03648997397857652],
    [-2.5, 1.103156640645243],
  ])("ψ(%s) = %s", (x, expected) => {
    close(digamma(x), expected, 1e-14, 1e-15);
  });

  it("is the derivative of log Γ", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 500, noNaN: true }), (x) => {
        const h = 1e-5 * x;
        const numeric = (logGamma(x + h) - logGamma(x - h)) / (2 * h);
        close(digamma(x), numeric, 1e-6, 1e-6);
      }),
    );
  });

  it("is NaN at the poles", () => {
    expect(digamma(0)).toBeNaN();
    expect(digamma(-2)).toBeNaN();
  });
});

describe("log-space helpers", () => {
  it("logAddExp and logSumExp do not overflow", () => {
    close(logAddExp(1000, 1000), 1000 + Math.LN2, 1e-15);
    close(logAddExp(-1000, 0), 0, 0, 1e-300);
    expect(logAddExp(Number.NEGATIVE_INFINITY, 3)).toBe(3);
    close(logSumExp([1000, 1000, 1000]), 1000 + Math.log(3), 1e-15);
    expect(logSumExp([])).toBe(Number.NEGATIVE_INFINITY);
  });

  it("log1mExp is accurate at both ends", () => {
    close(log1mExp(-1e-20), Math.log(1e-20), 1e-15);
    close(log1mExp(-50), -Math.exp(-50), 1e-15);
    close(log1mExp(-Math.LN2), -Math.LN2, 1e-15);
    expect(log1mExp(0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it("log1pExp is softplus", () => {
    close(log1pExp(800), 800, 1e-15);
    close(log1pExp(-800), Math.exp(-800), 1e-15);
    close(log1pExp(0), Math.LN2, 1e-15);
  });

  it("expm1Ratio is (e^{dy} − 1)/d with the limit y at d = 0", () => {
    expect(expm1Ratio(0, 2.5)).toBe(2.5);
    close(expm1Ratio(1e-12, 2.5), 2.5, 1e-11);
    close(expm1Ratio(0.5, 2), Math.expm1(1) / 0.5, 1e-15);
    close(expm1Ratio(-0.3939, -1.5), Math.expm1(0.3939 * 1.5) / -0.3939, 1e-15);
  });
});

describe("hyp2f1", () => {
  it.each([
    // a, b, c, z, 2F1 (mpmath, 40 digits)
    [0.5, 1.5, 2.5, 0.3, 1.108062551056932],
    [26.2426, 28.426, 28.219, 0.595, 23922119998.587776],
    [1.4, 2.1, 2.4, 0.95, 33.13176255659072],
    [27.16, 1.6, 28.16, 0.07, 1.1183516591874152],
    [3, 4, 5, -0.5, 0.37292146545466087],
    [0.7, 1.3, 2.2, -3.0, 0.5235923877217645],
    [1.1595, 1.6061, 2.1595, 0.99, 29.102198142078798],
    [-3, 2.5, 1.5, 0.7, -0.09900000000000002],
  ])("2F1(%s, %s; %s; %s) = %s", (a, b, c, z, expected) => {
    close(hyp2f1(a, b, c, z), expected, 1e-13);
  });

  it.each([
    // a, b, c, z, log 2F1 (mpmath, 50 digits): z near 1, by A&S 15.3.6; c − a − b = −1, 0, 1
    // or within 5e-4 of −1 (2.0005) go through the near-integer interpolation.
    [0.5, 1.5, 2.5, 0.999, 0.8174591814296099],
    [0.5, 1.5, 2.5, 0.99999999, 0.8569204963366553],
    [27.16, 1.6061, 28.16, 0.99, 5.91103550205574],
    [27.16, 1.6061, 28.16, 0.999, 7.782425669963273],
    [27.16, 1.6061, 28.16, 0.999999, 12.172317289719448],
    [27.16, 1.6061, 28.16, 0.99999999, 14.966998961808512],
    [27.16, 26.55, 28.16, 0.999, 176.55418978870327],
    [27.16, 26.55, 28.16, 0.99999999, 470.70950086498533],
    [4.2, 2.7, 5.2, 0.99999999, 32.21961349469042],
    [1.1595, 1.6061, 2.1595, 0.999, 4.8168821190499065],
    [2, 3, 4, 0.999, 7.99545622172681],
    [2, 3, 4, 0.99999999, 19.51929268918203],
    [2.5, 1, 3.5, 0.99999999, 3.757723665703385],
    [3.3, 2.0, 6.3, 0.99999999, 2.4331736063266014],
    [3.3, 2.0005, 6.3, 0.999, 2.403749334434143],
    [100.6, 1.6, 101.6, 0.99, 6.614125071837486],
    [100.6, 1.6, 101.6, 0.99999999, 16.17383216220818],
    [0.3, 0.4, 0.7, 0.99999999, 1.5181383009611176],
    [0.3, 0.4, 0.7001, 0.999, 0.8377846881048823],
    [5, 1.2, 2.0, 0.99999999, 76.32273500761191],
  ])("log 2F1(%s, %s; %s; %s) = %s near z = 1 to 1e-10", (a, b, c, z, expected) => {
    close(logHyp2f1(a, b, c, z), expected, 0, 1e-10);
  });

  it("stays finite in log space past the double range", () => {
    // 2F1(50, 60; 5; 0.9) = 2.474131300103831e128 (mpmath); and far beyond 1e308:
    close(logHyp2f1(50, 60, 5, 0.9), Math.log(2.474131300103831e128), 1e-13);
    close(logHyp2f1(400, 1, 1, 0.9), -400 * Math.log1p(-0.9), 1e-13);
  });

  it.each([
    ["2F1(1, 1; 2; z) = −log(1 − z)/z", 1, 1, 2, (z: number) => -Math.log1p(-z) / z],
    ["2F1(a, b; b; z) = (1 − z)^−a", 2.7, 1.3, 1.3, (z: number) => (1 - z) ** -2.7],
    [
      "2F1(1/2, 1/2; 3/2; z) = asin(√z)/√z",
      0.5,
      0.5,
      1.5,
      (z: number) => Math.asin(Math.sqrt(z)) / Math.sqrt(z),
    ],
    [
      "2F1(1/2, 1; 3/2; z) = atanh(√z)/√z",
      0.5,
      1,
      1.5,
      (z: number) => Math.atanh(Math.sqrt(z)) / Math.sqrt(z),
    ],
  ] as const)("%s on (0, 0.99]", (_name, a, b, c, closedForm) => {
    for (const z of [1e-6, 0.01, 0.3, 0.5, 0.75, 0.9, 0.99])
      close(hyp2f1(a, b, c, z), closedForm(z), 1e-13);
  });

  it("2F1(1/2, 1; 3/2; −x²) = atan(x)/x (negative arguments, Pfaff)", () => {
    for (const x of [0.1, 0.9, 1, 3, 30]) {
      close(hyp2f1(0.5, 1, 1.5, -x * x), Math.atan(x) / x, 1e-13);
    }
  });

  it("is 1 at z = 0, a polynomial for a = −n, NaN for z ≥ 1 or c a pole", () => {
    expect(hyp2f1(3, 4, 5, 0)).toBe(1);
    // 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
    close(hyp2f1(-2, 3, 4, 0.5), 1 - (2 * 3 * 0.5) / 4 + (3 * 4 * 0.25) / (4 * 5), 1e-15);
    expect(hyp2f1(1, 1, 2, 1)).toBeNaN();
    expect(hyp2f1(1, 1, 2, 1.5)).toBeNaN();
    expect(hyp2f1(1, 1, -2, 0.5)).toBeNaN();
  });
});

describe("expectationBracket [1 − (1 − z)^A 2F1(A, B; C; z)]/(C − B)", () => {
  const textbook = (A: number, B: number, C: number, z: number) =>
    (1 - (1 - z) ** A * hyp2f1(A, B, C, z)) / (C - B);

  it("matches the textbook form away from C − B = 0, in both of its branches", () => {
    // C ≥ A (Euler branch) and C < A (textbook branch), a = C − B + 1 on both sides of 1.
    for (const [A, B, C] of [
      [0.24, 2.43, 2.22],
      [26.24, 28.43, 28.22],
      [0.5, 1.5, 3.5],
      [5, 1.2, 2.0],
      [12, 3, 2.5],
    ] as const) {
      for (const z of [0.01, 0.3, 0.6, 0.9]) {
        close(expectationBracket(A, B, C, z), textbook(A, B, C, z), 1e-11);
      }
    }
  });

  it("is continuous through C − B = 0 (a = 1), where the textbook form is 0/0", () => {
    const at = (d: number) => expectationBracket(0.3, 2, 2 + d, 0.5);
    const limit = at(0);
    expect(Number.isFinite(limit)).toBe(true);
    close(at(1e-9), limit, 1e-8);
    close(at(-1e-9), limit, 1e-8);
    close((at(1e-3) + at(-1e-3)) / 2, limit, 1e-6);
  });

  it("is 0 at z = 0", () => {
    expect(expectationBracket(0.3, 2, 2.5, 0)).toBe(0);
  });
});
