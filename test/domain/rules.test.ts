import { describe, expect, it } from "vitest";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import { applyEvents, type FeatureInput } from "../../lambdas/domain/features.js";
import { DEFAULT_INDICATOR_OPTIONS, deriveIndicators } from "../../lambdas/domain/indicators.js";
import type { Promotion } from "../../lambdas/domain/promotions.js";
import {
  DEFAULT_DAMPED_BY_PROMOTIONS,
  DEFAULT_THRESHOLDS,
  evaluateRules,
  parseRulesConfig,
  type RuleId,
  thresholdsFor,
} from "../../lambdas/domain/rules.js";

const asOf = new Date("2026-11-01T12:00:00Z");
let id = 0;

function at(daysAgo: number, hour = 10): string {
  return new Date(asOf.getTime() - daysAgo * 86_400_000 - (12 - hour) * 3_600_000).toISOString();
}

function event(
  type: string,
  daysAgo: number,
  properties?: unknown,
  baseAmountMinor?: number,
): FeatureInput {
  id += 1;
  return {
    event: {
      eventId: `r${id}`,
      userId: "u",
      type,
      occurredAt: at(daysAgo),
      ...(properties ? { properties } : {}),
    } as BehaviourEvent,
    ...(baseAmountMinor === undefined ? {} : { baseAmountMinor }),
  };
}

const purchase = (daysAgo: number) =>
  event("purchase", daysAgo, { orderId: `o${id}`, amount: 10, currency: "CNY" }, 1000);

/** A steady user: an app open and a login every day for the 60 days before `quietFor` days. */
function habitual(quietFor: number): FeatureInput[] {
  const events: FeatureInput[] = [];
  for (let d = quietFor; d < quietFor + 60; d += 1)
    events.push(event("app_open", d), event("login", d));
  return events;
}

function hits(inputs: FeatureInput[], config = {}): RuleId[] {
  return evaluateRules(
    deriveIndicators(applyEvents(undefined, "a", "u", inputs), asOf),
    config,
  ).map((hit) => hit.code);
}

describe("churn rules", () => {
  it.each<[string, FeatureInput[], RuleId[]]>([
    ["an active user", habitual(0), []],
    ["2 quiet days", habitual(2), []],
    ["4 quiet days after daily use", habitual(4), ["short_term_inactive"]],
    [
      "8 days without app open",
      habitual(8),
      ["no_app_open", "interaction_drop", "short_term_inactive"],
    ],
    ["31 days without login", habitual(31), ["no_login", "no_app_open", "interaction_drop"]],
    ["100 days silent", habitual(100), ["no_login", "long_term_inactive", "no_app_open"]],
    [
      "uninstall after the last open",
      [...habitual(1), event("uninstall", 0)],
      ["uninstall_silence"],
    ],
    ["a cart abandoned yesterday", [...habitual(0), event("cart_abandon", 1)], ["cart_abandoned"]],
    ["a cart abandoned, then bought", [...habitual(0), event("cart_abandon", 2), purchase(1)], []],
    [
      "a complaint, then silence",
      [...habitual(5), event("complaint", 4)],
      ["complaint_then_silence", "short_term_inactive"],
    ],
    [
      "searches that never end in a purchase",
      [
        ...habitual(0),
        ...[1, 2, 3, 4, 5].map((d) => event("search", d, { query: "q", resultCount: 3 })),
      ],
      ["search_without_purchase"],
    ],
  ])("%s", (_, inputs, expected) => {
    expect(hits(inputs)).toEqual(expected);
  });

  it("measures the interaction drop against the user's own baseline and says by how much", () => {
    const events: FeatureInput[] = [];
    for (let d = 0; d < 42; d += 1) {
      events.push(event("app_open", d));
      if (d >= 14) events.push(event("app_open", d), event("page_view", d));
    }
    const indicators = deriveIndicators(applyEvents(undefined, "a", "u", events), asOf);
    const drop = evaluateRules(indicators).find((hit) => hit.code === "interaction_drop");
    expect(drop).toEqual({
      code: "interaction_drop",
      severity: "medium",
      params: { dropPercent: 67, thresholdPercent: 50 },
    });
  });

  it("lists the most severe hit first", () => {
    const found = evaluateRules(
      deriveIndicators(
        applyEvents(undefined, "a", "u", [...habitual(31), event("uninstall", 30)]),
        asOf,
      ),
    );
    expect(found[0]?.severity).toBe("critical");
  });

  it("takes thresholds per lifecycle stage and value tier, later overrides winning", () => {
    const config = parseRulesConfig({
      thresholds: { noLoginDays: 20 },
      overrides: [
        { tier: "high", thresholds: { noLoginDays: 10 } },
        { stage: "mature", tier: "high", thresholds: { noLoginDays: 14 } },
      ],
    });
    expect(thresholdsFor(config, "growth", "standard").noLoginDays).toBe(20);
    expect(thresholdsFor(config, "growth", "high").noLoginDays).toBe(10);
    expect(thresholdsFor(config, "mature", "high").noLoginDays).toBe(14);
    expect(thresholdsFor({}, "new", "standard")).toEqual(DEFAULT_THRESHOLDS);
  });

  it("can switch a rule off or change its severity", () => {
    expect(hits(habitual(31), { rules: { no_login: { enabled: false } } })).not.toContain(
      "no_login",
    );
    const config = parseRulesConfig({ rules: { no_app_open: { severity: "critical" } } });
    const found = evaluateRules(
      deriveIndicators(applyEvents(undefined, "a", "u", habitual(8)), asOf),
      config,
    );
    expect(found[0]).toMatchObject({ code: "no_app_open", severity: "critical" });
  });

  it.each([
    [{ rules: { teleport: { enabled: true } } }, "rules.teleport"],
    [{ thresholds: { noLoginDays: 0 } }, "thresholds.noLoginDays"],
    [{ thresholds: { interactionDropShare: 1.5 } }, "thresholds.interactionDropShare"],
    [{ thresholds: { noLoginDayz: 3 } }, "thresholds.noLoginDayz"],
    [{ overrides: [{ stage: "teen", thresholds: {} }] }, "overrides.0.stage"],
    [
      { rules: { no_app_open: { dampedByPromotions: "yes" } } },
      "rules.no_app_open.dampedByPromotions",
    ],
  ])("refuses %j naming %s", (raw, key) => {
    expect(() => parseRulesConfig(raw)).toThrow(`rules config: ${key}: `);
  });
});

describe("churn rules around promotions", () => {
  /** A one-day sale yesterday: as of today the damping days are running. */
  const flash: Promotion[] = [{ name: "flash", from: "2026-10-31", to: "2026-10-31" }];

  function graded(inputs: FeatureInput[], promotions: readonly Promotion[], config = {}): string[] {
    const indicators = deriveIndicators(applyEvents(undefined, "a", "u", inputs), asOf, {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions,
    });
    return evaluateRules(indicators, parseRulesConfig(config)).map(
      (hit) => `${hit.code}:${hit.severity}${hit.params.promotionDamped ? " (damped)" : ""}`,
    );
  }

  const searches = () =>
    [1, 2, 3, 4, 5].map((d) => event("search", d, { query: "q", resultCount: 3 }));

  it.each<[string, FeatureInput[], Readonly<Record<string, unknown>>, string[], string[]]>([
    [
      "10 quiet days: silence rules one step lower, a low hit dropped",
      habitual(10),
      {},
      ["no_app_open:medium", "interaction_drop:medium", "short_term_inactive:low"],
      ["no_app_open:low (damped)", "interaction_drop:low (damped)"],
    ],
    [
      "31 days without login: a long absence is not the sale's hangover",
      habitual(31),
      {},
      ["no_login:high", "no_app_open:medium", "interaction_drop:medium"],
      ["no_login:high", "no_app_open:low (damped)", "interaction_drop:low (damped)"],
    ],
    [
      "an uninstall is never damped",
      [...habitual(1), event("uninstall", 0)],
      {},
      ["uninstall_silence:critical"],
      ["uninstall_silence:critical"],
    ],
    [
      "searches without a purchase right after a sale",
      [...habitual(0), ...searches()],
      {},
      ["search_without_purchase:low"],
      [],
    ],
    [
      "a rule taken out of damping",
      habitual(10),
      { rules: { no_app_open: { dampedByPromotions: false } } },
      ["no_app_open:medium", "interaction_drop:medium", "short_term_inactive:low"],
      ["no_app_open:medium", "interaction_drop:low (damped)"],
    ],
    [
      "a rule put under damping, with its configured severity lowered",
      habitual(31),
      { rules: { no_login: { dampedByPromotions: true, severity: "critical" } } },
      ["no_login:critical", "no_app_open:medium", "interaction_drop:medium"],
      ["no_login:high (damped)", "no_app_open:low (damped)", "interaction_drop:low (damped)"],
    ],
  ])("%s", (_, inputs, config, without, during) => {
    expect(graded(inputs, [], config)).toEqual(without);
    expect(graded(inputs, flash, config)).toEqual(during);
  });

  it("marks a damped hit and keeps its numbers", () => {
    const indicators = deriveIndicators(applyEvents(undefined, "a", "u", habitual(10)), asOf, {
      ...DEFAULT_INDICATOR_OPTIONS,
      promotions: flash,
    });
    expect(evaluateRules(indicators).find((hit) => hit.code === "no_app_open")).toEqual({
      code: "no_app_open",
      severity: "low",
      params: { days: 10, thresholdDays: 7, promotionDamped: 1 },
    });
  });

  it("damps exactly the drop- and silence-based rules by default", () => {
    const damped = Object.entries(DEFAULT_DAMPED_BY_PROMOTIONS)
      .filter(([, on]) => on)
      .map(([id]) => id)
      .sort();
    expect(damped).toEqual([
      "interaction_drop",
      "no_app_open",
      "search_without_purchase",
      "short_term_inactive",
      "slow_pages_then_decline",
    ]);
  });
});
