import { describe, expect, it } from "vitest";
import type { BehaviourEvent } from "../../lambdas/domain/events.js";
import { applyEvents, type FeatureInput } from "../../lambdas/domain/features.js";
import { deriveIndicators } from "../../lambdas/domain/indicators.js";
import {
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
  ])("refuses %j naming %s", (raw, key) => {
    expect(() => parseRulesConfig(raw)).toThrow(`rules config: ${key}: `);
  });
});
