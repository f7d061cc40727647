import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ActionRecord, DeliveryRecord } from "../../lambdas/domain/actions/action-record.js";
import { DEFAULT_CURRENCY_TABLE } from "../../lambdas/domain/currency.js";
import type { BehaviourEvent, EventType } from "../../lambdas/domain/events.js";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
} from "../../lambdas/domain/features.js";
import { createRandom } from "../../lambdas/domain/simulation/random.js";
import {
  actionKey,
  buildWinbackReport,
  compareProportions,
  DEFAULT_MESSAGE_COSTS,
  erfc,
  fisherExactTwoSided,
  measuredActions,
  newcombeInterval,
  twoProportionZTest,
  type WinbackOptions,
  wilsonInterval,
  windowSums,
} from "../../lambdas/domain/winback.js";
import {
  parseInstant,
  parseMessageCosts,
  parseWinbackQuery,
} from "../../lambdas/domain/winback-config.js";

describe("Wilson score interval", () => {
  // Newcombe (1998a), "Two-sided confidence intervals for the single proportion", Table I, method 3.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ])("%i/%i → [%f, %f]", (x, n, low, high) => {
    const interval = wilsonInterval(x, n);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });

  it("refuses counts that are not counts", () => {
    expect(() => wilsonInterval(1, 0)).toThrow(/trials/);
    expect(() => wilsonInterval(3, 2)).toThrow(/successes/);
    expect(() => wilsonInterval(0.5, 2)).toThrow(/successes/);
  });
});

describe("Newcombe's hybrid score interval (method 10)", () => {
  // Newcombe (1998b), "Interval estimation for the difference between independent proportions",
  // Statistics in Medicine 17:873–890, Table II, examples (a)–(h), method 10.
  it.each([
    [56, 70, 48, 80, 0.2, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.6, 0.1705, 0.809],
    [6, 7, 2, 7, 0.5714, 0.0582, 0.8062],
    [5, 56, 0, 29, 0.0893, -0.0381, 0.1926],
    [0, 10, 0, 20, 0, -0.1611, 0.2775],
    [0, 10, 0, 10, 0, -0.2775, 0.2775],
    [10, 10, 0, 20, 1, 0.6791, 1],
    [10, 10, 0, 10, 1, 0.6075, 1],
  ])("%i/%i − %i/%i = %f, 95%% CI [%f, %f]", (x1, n1, x2, n2, difference, low, high) => {
    const comparison = compareProportions(x1, n1, x2, n2);
    expect(comparison.difference).toBeCloseTo(difference, 4);
    const interval = newcombeInterval(x1, n1, x2, n2);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
    expect(comparison.ci95).toEqual(interval);
  });

  const counts = fc
    .tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }))
    .chain(([n1, n2]) =>
      fc.tuple(
        fc.integer({ min: 0, max: n1 }),
        fc.constant(n1),
        fc.integer({ min: 0, max: n2 }),
        fc.constant(n2),
      ),
    );

  it("contains the point estimate and stays within [−1, 1]", () => {
    fc.assert(
      fc.property(counts, ([x1, n1, x2, n2]) => {
        const { low, high } = newcombeInterval(x1, n1, x2, n2);
        const difference = x1 / n1 - x2 / n2;
        return low <= difference + 1e-12 && difference <= high + 1e-12 && low >= -1 && high <= 1;
      }),
    );
  });

  it("narrows as the samples grow with the same proportions", () => {
    fc.assert(
      fc.property(counts, fc.integer({ min: 2, max: 20 }), ([x1, n1, x2, n2], k) => {
        const small = newcombeInterval(x1, n1, x2, n2);
        const large = newcombeInterval(k * x1, k * n1, k * x2, k * n2);
        return large.high - large.low < small.high - small.low;
      }),
    );
  });

  it("covers the true difference about 95 % of the time (simulation)", () => {
    const replicates = 2000;
    const coverages: number[] = [];
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 80, max: 300 }),
        fc.integer({ min: 80, max: 300 }),
        fc.integer(),
        (p1, p2, n1, n2, seed) => {
          const random = createRandom(seed);
          const draw = (p: number, n: number) => {
            let successes = 0;
            for (let i = 0; i < n; i += 1) if (random.next() < p) successes += 1;
            return successes;
          };
          let covered = 0;
          for (let r = 0; r < replicates; r += 1) {
            const { low, high } = newcombeInterval(draw(p1, n1), n1, draw(p2, n2), n2);
            if (low <= p1 - p2 && p1 - p2 <= high) covered += 1;
          }
          const coverage = covered / replicates;
          coverages.push(coverage);
          // 2000 replicates: the sampling error alone is ±0.5 %; the method is near nominal here.
          return coverage >= 0.925 && coverage <= 0.975;
        },
      ),
      { numRuns: 8, seed: 20_260_601 },
    );
    const mean = coverages.reduce((sum, value) => sum + value, 0) / coverages.length;
    expect(mean).toBeGreaterThan(0.94);
    expect(mean).toBeLessThan(0.965);
  });
});

describe("p-values", () => {
  it.each([
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.999, 0.0046984433486294865],
    [2, 0.004677734981047266],
    [3, 2.209049699858544e-5],
    [5, 1.5374597944280347e-12],
    [8, 1.1224297172982928e-29],
    [-1, 1.8427007929497148],
    [0, 1],
  ])("erfc(%f) = %f", (x, expected) => {
    const value = erfc(x);
    expect(Math.abs(value - expected) / expected).toBeLessThan(1e-12);
  });

  it.each([
    // z² is Pearson's chi-square without continuity correction (R: prop.test(correct = FALSE)).
    [56, 70, 48, 80, 2.6501719512585336, 0.00804508136819656],
    [30, 200, 15, 200, 2.3735633163877066, 0.01761737223451881],
  ])("z-test %i/%i vs %i/%i: z %f, p %f", (x1, n1, x2, n2, z, p) => {
    const result = twoProportionZTest(x1, n1, x2, n2);
    expect(result.z).toBeCloseTo(z, 10);
    expect(result.pValue).toBeCloseTo(p, 10);
    expect(twoProportionZTest(x2, n2, x1, n1).pValue).toBeCloseTo(p, 12);
  });

  it.each([
    // Fisher's exact test, two-sided (R: fisher.test).
    [1, 9, 11, 3, 0.0027594561852200836],
    [3, 1, 1, 3, 0.48571428571428565],
    [5, 51, 0, 29, 0.1606214432094711],
    [30, 170, 15, 185, 0.02585728106957838],
    [0, 10, 0, 10, 1],
  ])("Fisher [[%i, %i], [%i, %i]] p = %f", (a, b, c, d, p) => {
    expect(fisherExactTwoSided(a, b, c, d)).toBeCloseTo(p, 10);
  });

  it("uses Fisher's exact test when an expected cell count is below 5", () => {
    expect(compareProportions(5, 56, 0, 29)).toMatchObject({
      test: "fisher-exact",
      pValue: expect.closeTo(0.1606214432094711, 10),
    });
    expect(compareProportions(56, 70, 48, 80)).toMatchObject({
      test: "z-test",
      pValue: expect.closeTo(0.00804508136819656, 10),
    });
    // Expected won-back count in the small arm: 10 × 12/110 < 5.
    expect(compareProportions(3, 10, 9, 100).test).toBe("fisher-exact");
  });

  it("gives p-values in [0, 1] that do not depend on which arm comes first", () => {
    const counts = fc
      .tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }))
      .chain(([n1, n2]) =>
        fc.tuple(
          fc.integer({ min: 0, max: n1 }),
          fc.constant(n1),
          fc.integer({ min: 0, max: n2 }),
          fc.constant(n2),
        ),
      );
    fc.assert(
      fc.property(counts, ([x1, n1, x2, n2]) => {
        const forward = compareProportions(x1, n1, x2, n2);
        const backward = compareProportions(x2, n2, x1, n1);
        return (
          forward.pValue >= 0 &&
          forward.pValue <= 1 &&
          Math.abs(forward.pValue - backward.pValue) < 1e-9 &&
          forward.test === backward.test
        );
      }),
    );
  });
});

// ── Report ─────────────────────────────────────────────────────────────────────────────────────

let eventCounter = 0;
function event(
  userId: string,
  type: EventType,
  occurredAt: string,
  amountMinor?: number,
): FeatureInput {
  eventCounter += 1;
  const properties =
    type === "purchase"
      ? { orderId: `o-${eventCounter}`, amount: (amountMinor ?? 0) / 100, currency: "CNY" }
      : undefined;
  return {
    event: {
      eventId: `e-${eventCounter}`,
      userId,
      type,
      occurredAt,
      ...(properties ? { properties } : {}),
    } as BehaviourEvent,
    ...(amountMinor !== undefined ? { baseAmountMinor: amountMinor } : {}),
  };
}

function profile(userId: string, inputs: FeatureInput[]): UserFeatures {
  return applyEvents(undefined, "shop", userId, [
    event(userId, "app_open", "2026-09-01T10:00:00Z"),
    ...inputs,
  ]);
}

const AS_OF = "2026-10-01T00:00:00.000Z";

function action(userId: string, overrides: Partial<ActionRecord> = {}): ActionRecord {
  return {
    appId: "shop",
    userId,
    warningId: `w-${userId}`,
    runId: "run-1",
    asOf: AS_OF,
    plannedAt: "2026-10-01T00:05:00.000Z",
    tier: "high",
    score: 0.8,
    valueTier: "high",
    lifecycleStage: "active",
    topReason: null,
    ruleId: "r1",
    campaign: "c1",
    experimentId: "exp-1",
    group: "variant",
    variant: "coupon",
    template: "coupon_offer",
    offer: null,
    channel: "email",
    outcome: "published",
    reason: null,
    escalated: false,
    ...overrides,
  } as ActionRecord;
}

function delivery(
  userId: string,
  channel: DeliveryRecord["channel"],
  status: DeliveryRecord["status"],
): DeliveryRecord {
  return {
    appId: "shop",
    userId,
    dedupeKey: `w-${userId}|${channel}|step1`,
    warningId: `w-${userId}`,
    channel,
    status,
    completedAt: "2026-10-01T01:00:00.000Z",
    reason: null,
    deferredUntil: null,
  };
}

const options: WinbackOptions = {
  windowDays: 30,
  winback: "purchase",
  messageCosts: DEFAULT_MESSAGE_COSTS,
  currency: DEFAULT_CURRENCY_TABLE,
  now: new Date("2027-01-01T00:00:00Z"),
};

describe("windowSums", () => {
  it("sums the local days after the day of asOf up to windowDays later", () => {
    const features = profile("u", [
      event("u", "purchase", "2026-10-01T12:00:00Z", 1000), // the day of asOf: outside
      event("u", "purchase", "2026-10-02T12:00:00Z", 2000),
      event("u", "email_opened", "2026-10-02T13:00:00Z"),
      event("u", "purchase", "2026-10-31T12:00:00Z", 4000), // day 30: inside
      event("u", "purchase", "2026-11-01T12:00:00Z", 8000), // day 31: outside
    ]);
    expect(
      windowSums(features, new Date(AS_OF), 30, [
        "revenueMinor",
        "purchase",
        "email_opened",
        "sms_clicked",
      ]),
    ).toEqual({ revenueMinor: 6000, purchase: 2, email_opened: 1, sms_clicked: 0 });
  });

  it("is 0 for a record last seen before asOf, and unknown where a compacted month straddles the window", () => {
    const features = profile("u", []);
    expect(windowSums(features, new Date(AS_OF), 30, ["purchase"])).toEqual({ purchase: 0 });
    const compacted: UserFeatures = {
      ...features,
      lastSeenAt: "2027-12-01T00:00:00.000Z",
      days: {},
      // Active on 2026-10-10 and 2026-11-20: one straddles a 30-day window from Oct 1.
      months: { "2026-10": { tally: { purchase: 2 }, activeDayMask: (1 << 9) | (1 << 19) } },
    };
    expect(windowSums(compacted, new Date(AS_OF), 60, ["purchase"])).toEqual({ purchase: 2 });
    expect(windowSums(compacted, new Date(AS_OF), 10, ["purchase"])).toEqual({ purchase: null });
  });
});

describe("buildWinbackReport", () => {
  const profiles = new Map<string, UserFeatures>([
    // Variant: v1 buys (with the coupon) and opened the e-mail; v2 buys after an SMS it clicked;
    // v3 got an e-mail and did nothing; v4 had no consent (suppressed) and did nothing.
    [
      "v1",
      profile("v1", [
        event("v1", "email_opened", "2026-10-03T08:00:00Z"),
        event("v1", "purchase", "2026-10-05T08:00:00Z", 12_000),
      ]),
    ],
    [
      "v2",
      profile("v2", [
        event("v2", "sms_clicked", "2026-10-03T08:00:00Z"),
        event("v2", "purchase", "2026-10-20T08:00:00Z", 5_050),
      ]),
    ],
    ["v3", profile("v3", [event("v3", "app_open", "2026-10-10T08:00:00Z")])],
    ["v4", profile("v4", [])],
    // Control: c1 buys, c2 and c3 do not (c2 is active, which counts for --winback activity).
    ["c1", profile("c1", [event("c1", "purchase", "2026-10-15T08:00:00Z", 3_000)])],
    ["c2", profile("c2", [event("c2", "login", "2026-10-15T08:00:00Z")])],
    ["c3", profile("c3", [])],
    // Outside experiments.
    ["n1", profile("n1", [event("n1", "purchase", "2026-10-15T08:00:00Z", 1_000)])],
  ]);
  const offer = { amount: 20, currency: "CNY" };
  const actions: ActionRecord[] = [
    action("v1", { offer }),
    action("v2", { offer, channel: "sms" }),
    action("v3", { offer }),
    action("v4", { offer, outcome: "suppressed", channel: null, reason: "no_consented_channel" }),
    // v1's second warning a week later: measured from the first.
    action("v1", { warningId: "w-v1-b", asOf: "2026-10-08T00:00:00.000Z" }),
    action("c1", { group: "control", variant: null, outcome: "control", channel: null }),
    action("c2", { group: "control", variant: null, outcome: "control", channel: null }),
    action("c3", { group: "control", variant: null, outcome: "control", channel: null }),
    action("n1", { experimentId: null, group: null, variant: null }),
    action("n2", { experimentId: null, group: null, variant: null, outcome: "no_action" }),
    action("ghost", { experimentId: null, group: null, variant: null }),
  ];
  const deliveries = new Map<string, DeliveryRecord[]>([
    [actionKey("v1", "w-v1"), [delivery("v1", "email", "sent")]],
    [actionKey("v2", "w-v2"), [delivery("v2", "sms", "sent")]],
    [actionKey("v3", "w-v3"), [delivery("v3", "email", "failed")]],
    [actionKey("n1", "w-n1"), [delivery("n1", "email", "sent")]],
  ]);

  it("counts each arm and compares the variant with the control", () => {
    const report = buildWinbackReport({ actions, deliveries, profiles }, options);
    expect(report).toMatchObject({ winback: "purchase", windowDays: 30, currency: "CNY" });
    const [experiment, outside] = report.experiments;
    expect(experiment).toMatchObject({ experimentId: "exp-1", repeatActions: 1, unassigned: 0 });
    expect(experiment?.control).toMatchObject({
      arm: "control",
      targeted: 3,
      sent: 0,
      delivered: 0,
      opened: null,
      clicked: null,
      wonBack: 1,
      rate: 1 / 3,
      revenueWonBack: 30,
      cost: { total: 0 },
      costPerWonBack: 0,
      uplift: null,
    });
    const variant = experiment?.variants[0];
    expect(variant).toMatchObject({
      arm: "coupon",
      group: "variant",
      targeted: 4,
      sent: 3,
      delivered: 2,
      // v1 opened its e-mail; v3's e-mail failed, so only v1 counts for e-mail.
      opened: 1,
      clicked: 1,
      wonBack: 2,
      rate: 0.5,
      revenueWonBack: 170.5,
      windowsOpen: 0,
      missingProfiles: 0,
    });
    // One e-mail (0.001) + one SMS (0.05) + two 20 CNY coupons redeemed by won-back users.
    expect(variant?.cost).toEqual({
      messagesByChannel: { email: 1, push: 0, sms: 1 },
      messages: 0.051,
      offers: 40,
      total: 40.051,
    });
    expect(variant?.costPerWonBack).toBeCloseTo(20.0255, 6);
    const expected = compareProportions(2, 4, 1, 3);
    expect(variant?.uplift).toMatchObject({
      difference: expect.closeTo(0.5 - 1 / 3, 12),
      ci95: expected.ci95,
      pValue: expected.pValue,
      test: "fisher-exact",
      incrementalWonBack: expect.closeTo((0.5 - 1 / 3) * 4, 6),
      costPerIncrementalWonBack: expect.closeTo(40.051 / ((0.5 - 1 / 3) * 4), 4),
    });
    expect(outside).toMatchObject({ experimentId: null, control: null, noAction: 1 });
    expect(outside?.variants).toMatchObject([
      { arm: "all", group: "none", targeted: 2, wonBack: 1, missingProfiles: 1, uplift: null },
    ]);
    expect(report.warnings).toEqual(["1 user(s) have no profile and count as not won back"]);
  });

  it("counts a return to activity as a win-back when asked", () => {
    const report = buildWinbackReport(
      { actions, deliveries, profiles },
      { ...options, winback: "activity" },
    );
    const [experiment] = report.experiments;
    expect(experiment?.control).toMatchObject({ wonBack: 2 });
    // v1 (opened, bought), v2 (clicked, bought), v3 (app_open).
    expect(experiment?.variants[0]).toMatchObject({ wonBack: 3 });
  });

  it("reports opened as unknown when the app never reports opens, never as 0", () => {
    const withoutOpens = new Map(profiles);
    withoutOpens.set(
      "v1",
      profile("v1", [event("v1", "purchase", "2026-10-05T08:00:00Z", 12_000)]),
    );
    const report = buildWinbackReport({ actions, deliveries, profiles: withoutOpens }, options);
    expect(report.experiments[0]?.variants[0]).toMatchObject({ opened: null, clicked: 1 });
  });

  it("says when windows are still open: rates are provisional", () => {
    const report = buildWinbackReport(
      { actions, deliveries, profiles },
      { ...options, now: new Date("2026-10-20T00:00:00Z") },
    );
    expect(report.experiments[0]?.variants[0]).toMatchObject({ windowsOpen: 4 });
    expect(report.warnings[0]).toMatch(/^9 user\(s\) are still inside their 30-day window/);
  });

  it("measures each user once per experiment, from the first action", () => {
    const measured = measuredActions(actions);
    expect(measured.filter((a) => a.userId === "v1").map((a) => a.warningId)).toEqual(["w-v1"]);
    expect(measured.some((a) => a.outcome === "no_action")).toBe(false);
  });

  it("has no uplift without control users, and says so", () => {
    const report = buildWinbackReport(
      { actions: actions.filter((a) => a.group !== "control"), deliveries, profiles },
      options,
    );
    expect(report.experiments[0]?.variants[0]?.uplift).toBeNull();
    expect(report.warnings).toContain("experiment exp-1 has no control users: no uplift");
  });

  it("leaves offers in a currency without a rate out of the costs, with a warning", () => {
    const report = buildWinbackReport(
      {
        actions: [action("v1", { offer: { amount: 5, currency: "XXX" } })],
        deliveries,
        profiles,
      },
      options,
    );
    expect(report.experiments[0]?.variants[0]?.cost.offers).toBe(0);
    expect(report.warnings).toContain(
      "1 offer(s) are in a currency without a rate to CNY and are not in the costs",
    );
  });
});

describe("win-back options", () => {
  it("takes defaults and normalizes dates", () => {
    expect(parseWinbackQuery({})).toEqual({
      ok: true,
      value: { windowDays: 30, winback: "purchase" },
    });
    expect(
      parseWinbackQuery({
        experiment: "spring-2026",
        windowDays: "14",
        winback: "activity",
        from: "2026-10-01",
        to: "2026-10-31",
      }),
    ).toEqual({
      ok: true,
      value: {
        experiment: "spring-2026",
        windowDays: 14,
        winback: "activity",
        from: "2026-10-01T00:00:00.000Z",
        to: "2026-10-31T23:59:59.999Z",
      },
    });
    expect(parseInstant("2026-10-01T08:00:00+08:00", "start")).toBe("2026-10-01T00:00:00.000Z");
  });

  it.each([
    [{ windowDays: "0" }, "windowDays", /from 1 to 365/],
    [{ windowDays: "7.5" }, "windowDays", /whole number/],
    [{ windowDays: "366" }, "windowDays", /from 1 to 365/],
    [{ winback: "click" }, "winback", /purchase or activity/],
    [{ from: "2026-02-30" }, "from", /YYYY-MM-DD/],
    [{ to: "yesterday" }, "to", /YYYY-MM-DD/],
    [{ from: "2026-10-02", to: "2026-10-01" }, "to", /not be before from/],
    [{ experiment: "a b" }, "experiment", /experiment ID/],
    [{ window_days: "7" }, "window_days", /unknown parameter/],
  ])("%j is refused at %s", (parameters, field, message) => {
    const result = parseWinbackQuery(parameters);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.field).toBe(field);
    expect(result.errors[0]?.message).toMatch(message);
  });

  it("parses a message cost table, naming a bad key", () => {
    expect(parseMessageCosts('{"sms":0.08}')).toEqual({ sms: 0.08, email: 0.001, push: 0 });
    expect(() => parseMessageCosts('{"sms":-1}')).toThrow(
      "WINBACK_MESSAGE_COSTS.sms: must be a number ≥ 0, got -1",
    );
    expect(() => parseMessageCosts('{"fax":1}')).toThrow(
      /WINBACK_MESSAGE_COSTS.fax: unknown channel/,
    );
    expect(() => parseMessageCosts("[1]")).toThrow(/must be a JSON object/);
  });
});
