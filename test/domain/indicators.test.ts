import { describe, expect, it } from "vitest";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import { applyEvents, type FeatureInput } from "../../lambdas/domain/features.js";
import {
  DEFAULT_INDICATOR_OPTIONS,
  deriveIndicators,
  INTERACTIONS,
  type IndicatorOptions,
} from "../../lambdas/domain/indicators.js";
import type { Promotion } from "../../lambdas/domain/promotions.js";

let id = 0;
function input(
  type: string,
  occurredAt: string,
  extra: Partial<FeatureInput> & { properties?: unknown; timezone?: string } = {},
): FeatureInput {
  id += 1;
  const { properties, timezone, baseAmountMinor } = extra;
  return {
    event: {
      eventId: `i${id}`,
      userId: "u",
      type,
      occurredAt,
      ...(properties ? { properties } : {}),
      ...(timezone ? { context: { timezone } } : {}),
    } as BehaviourEvent,
    ...(baseAmountMinor === undefined ? {} : { baseAmountMinor }),
  };
}

const purchase = (at: string, minor: number, coupon = false) =>
  input("purchase", at, {
    properties: {
      orderId: `o${id}`,
      amount: minor / 100,
      currency: "CNY",
      ...(coupon ? { couponCode: "X" } : {}),
    },
    baseAmountMinor: minor,
  });

const asOf = new Date("2026-11-01T00:00:00Z");

describe("deriveIndicators", () => {
  it.each([
    ["2026-10-15T00:00:00Z", "new"],
    ["2026-07-01T00:00:00Z", "growth"],
    ["2025-11-01T00:00:00Z", "mature"],
  ])("first seen %s → %s", (firstSeen, stage) => {
    const features = applyEvents(undefined, "a", "u", [input("app_open", firstSeen)]);
    expect(deriveIndicators(features, asOf).lifecycleStage).toBe(stage);
  });

  it("is high value above 5,000 CNY in the last 365 days only", () => {
    const features = applyEvents(undefined, "a", "u", [
      purchase("2025-06-01T00:00:00Z", 900_000),
      purchase("2026-05-01T00:00:00Z", 300_000),
      purchase("2026-10-01T00:00:00Z", 200_001, true),
    ]);
    const indicators = deriveIndicators(features, asOf);
    expect(indicators.revenue365Minor).toBe(500_001);
    expect(indicators.valueTier).toBe("high");
    expect(indicators.orders).toMatchObject({ count: 3, count365: 2, repeatPurchaseDays: 2 });
    expect(indicators.orders.couponOrderShare).toBeCloseTo(1 / 3);
    expect(deriveIndicators(features, new Date("2027-06-01T00:00:00Z")).valueTier).toBe("standard");
  });

  it("measures the drop of interactions against the user's own baseline", () => {
    const events: FeatureInput[] = [];
    // Recent 14 days (today included): 1 open a day; the 28 days before: 2 a day.
    const noon = new Date("2026-11-01T12:00:00Z");
    for (let d = 0; d < 42; d += 1) {
      const at = new Date(noon.getTime() - d * 86_400_000 - 3_600_000).toISOString();
      events.push(input("app_open", at));
      if (d >= 14) events.push(input("app_open", at));
    }
    const { interaction } = deriveIndicators(applyEvents(undefined, "a", "u", events), noon);
    expect(interaction.recentPerDay).toBe(1);
    expect(interaction.baselinePerDay).toBe(2);
    expect(interaction.change).toBe(-0.5);
  });

  it("counts activity windows in the user's time zone", () => {
    const features = applyEvents(undefined, "a", "u", [
      // 2026-10-31 20:00 UTC is already 2026-11-01 in Shanghai.
      input("app_open", "2026-10-31T20:00:00Z", { timezone: "Asia/Shanghai" }),
      input("login", "2026-10-20T00:00:00Z"),
    ]);
    const indicators = deriveIndicators(features, new Date("2026-11-01T12:00:00Z"));
    expect(indicators.timezone).toBe("Asia/Shanghai");
    expect(indicators.activeDays).toEqual({ d7: 1, d30: 2, d90: 2, d365: 2, total: 2 });
    expect(indicators.daysSinceLastLogin).toBe(12);
  });

  it("reports experience signals: abandonment, slow pages, complaints, uninstall after last open", () => {
    const features = applyEvents(undefined, "a", "u", [
      input("app_open", "2026-10-01T00:00:00Z"),
      input("cart_abandon", "2026-10-02T00:00:00Z"),
      input("cart_abandon", "2026-10-03T00:00:00Z"),
      purchase("2026-09-01T00:00:00Z", 1000),
      input("page_load", "2026-10-04T00:00:00Z", { properties: { ms: 3500 } }),
      input("page_load", "2026-10-04T00:00:01Z", { properties: { ms: 800 } }),
      input("complaint", "2026-10-05T00:00:00Z"),
      input("search", "2026-10-20T00:00:00Z", { properties: { query: "x", resultCount: 0 } }),
      input("uninstall", "2026-10-25T00:00:00Z"),
    ]);
    const indicators = deriveIndicators(features, asOf);
    expect(indicators.cartAbandonmentRate).toBeCloseTo(2 / 3);
    expect(indicators.slowPageLoads).toEqual({ count: 1, share: 0.5 });
    expect(indicators.complaints).toBe(1);
    expect(indicators.searchesWithoutPurchase30d).toBe(1);
    expect(indicators.uninstallSignalAt).toBe("2026-10-25T00:00:00.000Z");
    expect(indicators.silenceSince).toBe("2026-10-25T00:00:00.000Z");
  });
});

describe("deriveIndicators with a promotion calendar", () => {
  const noon = new Date("2026-11-01T12:00:00Z");
  const DAY = 86_400_000;
  const dayOf = (key: string) => `${key}T10:00:00Z`;
  const keyOf = (daysAgo: number) =>
    new Date(noon.getTime() - daysAgo * DAY).toISOString().slice(0, 10);

  /** One open a day for 42 days, plus `extra` opens on each day from..to. */
  function opens(extra: readonly [from: string, to: string, perDay: number][]): FeatureInput[] {
    const events: FeatureInput[] = [];
    for (let d = 0; d < 42; d += 1) events.push(input("app_open", dayOf(keyOf(d))));
    for (const [from, to, perDay] of extra) {
      for (let t = Date.parse(from); t <= Date.parse(to); t += DAY) {
        const key = new Date(t).toISOString().slice(0, 10);
        for (let i = 0; i < perDay; i += 1) events.push(input("page_view", dayOf(key)));
      }
    }
    return events;
  }

  const goldenWeek: Promotion = { name: "golden-week", from: "2026-10-01", to: "2026-10-07" };
  const flash: Promotion = { name: "flash", from: "2026-10-25", to: "2026-10-27" };
  // Recent window: 2026-10-19..11-01 (14 days); baseline: 2026-09-21..10-18 (28 days).
  const spiky = applyEvents(
    undefined,
    "a",
    "u",
    opens([
      ["2026-10-01", "2026-10-07", 10],
      ["2026-10-25", "2026-10-27", 5],
    ]),
  );

  it.each<[string, Promotion[], number, number]>([
    ["no calendar: both sales count as ordinary days", [], 29 / 14, 98 / 28],
    ["the baseline's sale left out", [goldenWeek], 29 / 14, 1],
    ["both windows' sales left out", [goldenWeek, flash], 1, 1],
  ])("%s", (_, promotions, recentPerDay, baselinePerDay) => {
    const { interaction } = deriveIndicators(spiky, noon, {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions,
    });
    expect(interaction.recentPerDay).toBeCloseTo(recentPerDay, 10);
    expect(interaction.baselinePerDay).toBeCloseTo(baselinePerDay, 10);
    expect(interaction.change).toBeCloseTo(recentPerDay / baselinePerDay - 1, 10);
  });

  it("has no change to report when every recent day is a promotion day", () => {
    const { interaction } = deriveIndicators(spiky, noon, {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions: [{ name: "fortnight", from: "2026-10-19", to: "2026-11-01" }],
    });
    expect(interaction).toMatchObject({ recentPerDay: 0, change: null });
  });

  it.each<[string, Promotion[], number | undefined, string | undefined, boolean]>([
    ["no promotion", [], undefined, undefined, false],
    [
      "the 7th day after a sale",
      [{ name: "s", from: "2026-10-20", to: "2026-10-25" }],
      undefined,
      undefined,
      true,
    ],
    [
      "the 8th day after a sale",
      [{ name: "s", from: "2026-10-20", to: "2026-10-24" }],
      undefined,
      undefined,
      false,
    ],
    [
      "the 8th day, damping 8 days",
      [{ name: "s", from: "2026-10-20", to: "2026-10-24" }],
      8,
      undefined,
      true,
    ],
    [
      "the first day of a sale",
      [{ name: "d11", from: "2026-11-01", to: "2026-11-11" }],
      undefined,
      undefined,
      true,
    ],
    [
      "the day before a sale",
      [{ name: "d11", from: "2026-11-02", to: "2026-11-11" }],
      undefined,
      undefined,
      false,
    ],
    [
      "the user's own day: already the sale's first day in Shanghai",
      [{ name: "d11", from: "2026-11-02", to: "2026-11-11" }],
      undefined,
      "Asia/Shanghai",
      true,
    ],
  ])("damping on %s: %s", (_, promotions, promotionDampingDays, timezone, damped) => {
    const features = applyEvents(undefined, "a", "u", [
      input("app_open", "2026-10-01T00:00:00Z", timezone ? { timezone } : {}),
    ]);
    // 2026-11-01T20:00Z is 2026-11-02 04:00 in Shanghai.
    const asOf = new Date("2026-11-01T20:00:00Z");
    const indicators = deriveIndicators(features, asOf, {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions,
      ...(promotionDampingDays === undefined ? {} : { promotionDampingDays }),
    });
    expect(indicators.inPromotionDamping).toBe(damped);
  });

  it.each<[string, FeatureInput[], Promotion[], number]>([
    ["no calendar", opens([]), [], 0],
    ["a daily user", opens([]), [goldenWeek], 7 / 42],
    [
      "a promotion hunter",
      ["2026-06-02", "2026-06-10", "2026-10-02", "2026-10-05"].map((key) =>
        input("purchase", dayOf(key)),
      ),
      [{ name: "618", from: "2026-06-01", to: "2026-06-18" }, goldenWeek],
      1,
    ],
    [
      "activity older than 180 days only",
      [input("app_open", "2026-03-01T10:00:00Z")],
      [goldenWeek],
      0,
    ],
    [
      "a sale more than 180 days ago is not counted",
      ["2026-04-02", "2026-10-02"].map((key) => input("app_open", dayOf(key))),
      [{ name: "spring", from: "2026-04-01", to: "2026-04-03" }, goldenWeek],
      1,
    ],
  ])("promotion activity share of %s", (_, events, promotions, share) => {
    const features = applyEvents(undefined, "a", "u", events);
    const indicators = deriveIndicators(features, noon, {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions,
    });
    expect(indicators.promotionActivityShare).toBeCloseTo(share, 10);
  });
});

describe("deriveIndicators between calls", () => {
  const noon = new Date("2026-11-01T12:00:00Z");
  const DAY = 86_400_000;
  /** Active every day of the last 60, more so the longer ago: every window length shows. */
  const daily = (timezone?: string) =>
    applyEvents(
      undefined,
      "a",
      "u",
      Array.from({ length: 60 }, (_, d) =>
        Array.from({ length: 1 + Math.floor(d / 10) }, (_, k) =>
          input(
            k % 2 === 1 ? "search" : "app_open",
            new Date(noon.getTime() - d * DAY - k * 60_000).toISOString(),
            timezone ? { timezone } : {},
          ),
        ),
      ).flat(),
    );

  it("exports the interaction types, and they leave signals about the user out", () => {
    expect(INTERACTIONS).toContain("app_open");
    expect(INTERACTIONS).toContain("purchase");
    expect(INTERACTIONS).not.toContain("uninstall");
    expect(INTERACTIONS).not.toContain("page_load");
    expect(Object.isFrozen(INTERACTIONS)).toBe(true);
  });

  it("reads an options object changed in place afresh", () => {
    const features = daily();
    const options = { ...DEFAULT_INDICATOR_OPTIONS } as {
      -readonly [K in keyof IndicatorOptions]: IndicatorOptions[K];
    };
    const changes: ((o: typeof options) => void)[] = [
      (o) => {
        o.promotions = [{ name: "s", from: "2026-10-28", to: "2026-10-30" }];
      },
      (o) => {
        o.recentDays = 7;
      },
      (o) => {
        o.baselineDays = 10;
      },
      (o) => {
        o.promotionDampingDays = 1;
      },
      (o) => {
        o.promotionDampingDays = 2;
      },
    ];
    let previous = deriveIndicators(features, noon, options);
    for (const change of changes) {
      change(options);
      const now = deriveIndicators(features, noon, options);
      expect(now).toEqual(deriveIndicators(features, noon, { ...options }));
      expect(now).not.toEqual(previous);
      previous = now;
    }
  });

  it("gives the same answer whatever was asked before, across moments and time zones", () => {
    const options: IndicatorOptions = {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions: [{ name: "s", from: "2026-10-20", to: "2026-10-22" }],
    };
    const users = [daily(), daily("Asia/Shanghai"), daily("America/New_York")];
    const moments = [
      noon,
      new Date(noon.getTime() + 13 * 3_600_000),
      new Date(noon.getTime() - 9 * DAY),
    ];
    const first = users.map((user) => moments.map((asOf) => deriveIndicators(user, asOf, options)));
    // Again in the opposite order: nothing remembered from one call may leak into another.
    for (const [u, user] of [...users.entries()].reverse()) {
      for (const [m, asOf] of [...moments.entries()].reverse()) {
        expect(deriveIndicators(user, asOf, options)).toEqual(first[u]?.[m]);
      }
    }
  });
});
