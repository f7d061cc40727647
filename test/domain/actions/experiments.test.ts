/**
 * Experiment assignment: the same user always lands in the same group (pinned values guard
 * against a change of hashing slipping into a release and reshuffling running experiments), and
 * over many users the groups have the configured sizes, independently per experiment.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignGroup, assignmentPoint } from "../../../lambdas/domain/actions/experiments.js";
import type { ExperimentSpec } from "../../../lambdas/domain/actions/policy.js";

const USERS = Array.from({ length: 20_000 }, (_, index) => `user-${index}`);

/** Allowed deviation of a share over n users: five standard deviations of a binomial. */
function tolerance(share: number, n: number): number {
  return 5 * Math.sqrt((share * (1 - share)) / n);
}

function spec(controlShare: number, weights: readonly number[], id = "exp"): ExperimentSpec {
  return {
    id,
    controlShare,
    variants: weights.map((weight, index) => ({ id: `v${index}`, weight })),
  };
}

describe("assignmentPoint", () => {
  it("is pinned: the same inputs give the same point in every release", () => {
    expect(assignmentPoint("app", "u-1", "retention-default")).toBe(0.21281549602509386);
    expect(assignmentPoint("shop-cn", "42", "coupon-size")).toBe(0.8970861085414512);
    expect(assignmentPoint("", "", "")).toBe(0.08563971163405526);
  });

  it("is the first 48 bits of SHA-256 over the length-prefixed UTF-8 parts", () => {
    // Spelled out so an analysis outside churnwatch can recompute a user's group.
    const parts = ["shop-cn", "用户-7", "coupon-size"].map((part) => {
      const bytes = Buffer.from(part, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    });
    const digest = createHash("sha256").update(Buffer.concat(parts)).digest();
    expect(assignmentPoint("shop-cn", "用户-7", "coupon-size")).toBe(
      Number.parseInt(digest.subarray(0, 6).toString("hex"), 16) / 2 ** 48,
    );
  });

  it("lies in [0, 1) and is the same on every call", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (app, user, experiment) => {
        const point = assignmentPoint(app, user, experiment);
        expect(point).toBeGreaterThanOrEqual(0);
        expect(point).toBeLessThan(1);
        expect(assignmentPoint(app, user, experiment)).toBe(point);
      }),
    );
  });

  it("keeps the parts apart: moving a character across a boundary is another user", () => {
    expect(assignmentPoint("a", "bc", "e")).not.toBe(assignmentPoint("ab", "c", "e"));
    expect(assignmentPoint("a", "b\u0000c", "e")).not.toBe(assignmentPoint("a\u0000b", "c", "e"));
    expect(assignmentPoint("a", "b", "ce")).not.toBe(assignmentPoint("a", "bc", "e"));
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (a, b, c, e) => {
        fc.pre(b.length > 0);
        expect(assignmentPoint(a + b, c, e)).not.toBe(assignmentPoint(a, b + c, e));
      }),
    );
  });

  it("is uniform: each tenth of [0, 1) holds a tenth of the users", () => {
    const bins = new Array<number>(10).fill(0);
    for (const user of USERS) {
      const bin = Math.floor(assignmentPoint("app", user, "uniformity") * 10);
      bins[bin] = (bins[bin] ?? 0) + 1;
    }
    // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
    const expected = USERS.length / 10;
    const chiSquare = bins.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.9);
  });
});

describe("assignGroup", () => {
  it("holds out the control share of 20,000 users, for any share", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.9, noNaN: true }), fc.string(), (share, id) => {
        const experiment = spec(share, [1], id);
        const control = USERS.filter(
          (user) => assignGroup("app", user, experiment).group === "control",
        ).length;
        expect(Math.abs(control / USERS.length - share)).toBeLessThanOrEqual(
          tolerance(share, USERS.length) + 1e-9,
        );
      }),
      { numRuns: 15 },
    );
  });

  it("holds out nobody at share 0 and everybody below the share's point", () => {
    for (const user of USERS.slice(0, 1000)) {
      expect(assignGroup("app", user, spec(0, [1])).group).toBe("variant");
      const point = assignmentPoint("app", user, "exp");
      expect(assignGroup("app", user, spec(0.5, [1])).group).toBe(
        point < 0.5 ? "control" : "variant",
      );
    }
  });

  it("honours the weights among the users who are not control", () => {
    const experiment = spec(0.2, [1, 2, 1]);
    const counts = new Map<string, number>();
    for (const user of USERS) {
      const assignment = assignGroup("app", user, experiment);
      const key = assignment.group === "control" ? "control" : assignment.variant.id;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const expected: Record<string, number> = { control: 0.2, v0: 0.2, v1: 0.4, v2: 0.2 };
    for (const [key, share] of Object.entries(expected)) {
      const observed = (counts.get(key) ?? 0) / USERS.length;
      expect(Math.abs(observed - share), key).toBeLessThanOrEqual(tolerance(share, USERS.length));
    }
  });

  it("returns the variant object itself, with its overrides", () => {
    const variant = {
      id: "big",
      weight: 1,
      template: "coupon_offer",
      offer: { amount: 9, currency: "CNY" },
    };
    const assignment = assignGroup("app", "u-1", { id: "e", controlShare: 0, variants: [variant] });
    expect(assignment).toEqual({ group: "variant", variant });
  });

  it("keeps control unchanged when variants are added", () => {
    const before = spec(0.3, [1]);
    const after = spec(0.3, [1, 5, 2]);
    for (const user of USERS.slice(0, 2000)) {
      expect(assignGroup("app", user, after).group).toBe(assignGroup("app", user, before).group);
    }
  });

  it("splits users independently in two experiments", () => {
    const first = spec(0.5, [1], "first");
    const second = spec(0.5, [1], "second");
    const cells = [0, 0, 0, 0];
    for (const user of USERS) {
      const a = assignGroup("app", user, first).group === "control" ? 1 : 0;
      const b = assignGroup("app", user, second).group === "control" ? 1 : 0;
      cells[a * 2 + b] = (cells[a * 2 + b] ?? 0) + 1;
    }
    // Each of the four combinations holds a quarter: chi-square, 3 degrees of freedom (0.999: 16.3).
    const expected = USERS.length / 4;
    const chiSquare = cells.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(16.3);
  });

  it("gives the same user of another app another point", () => {
    const same = USERS.slice(0, 2000).filter(
      (user) => assignmentPoint("app-1", user, "e") === assignmentPoint("app-2", user, "e"),
    );
    expect(same).toEqual([]);
  });

  it("refuses an experiment without variants for a user it does not hold out", () => {
    expect(() => assignGroup("app", "u-1", { id: "e", controlShare: 0, variants: [] })).toThrow(
      RangeError,
    );
  });
});
