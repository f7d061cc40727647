import { describe, expect, it } from "vitest";
import { applyEvents } from "../../lambdas/domain/features.js";
import { REASON_CODES } from "../../lambdas/domain/reasons.js";
import { retentionMessageFor, warningFor } from "../../lambdas/domain/retention.js";
import { assessRisk, DEFAULT_TIER_THRESHOLDS } from "../../lambdas/domain/risk.js";
import { renderRetentionMessage } from "../../lambdas/domain/templates.js";
import type { Channel } from "../../lib/topology.js";
import { appOpen } from "../fixtures/events.js";

const warning = warningFor(
  "app",
  "u1",
  assessRisk(
    applyEvents(undefined, "app", "u1", [appOpen("u1", "2026-10-01T00:00:00Z")]),
    "2026-11-01T00:00:00Z",
    "run-1",
    { rules: {}, tiers: DEFAULT_TIER_THRESHOLDS },
  ),
);

const cases: [Channel, "en" | "zh-CN"][] = [
  ["email", "en"],
  ["email", "zh-CN"],
  ["sms", "en"],
  ["sms", "zh-CN"],
  ["push", "en"],
  ["push", "zh-CN"],
];

/** The widest numbers each rule can put into its sentence. */
const widestParams = {
  days: 3650,
  thresholdDays: 3650,
  dropPercent: 100,
  thresholdPercent: 100,
  hoursSinceSignal: 87600,
  activeDays30: 30,
  slowPercent: 100,
  searches: 10000,
};

function withTopReason(code: (typeof REASON_CODES)[number], channel: Channel) {
  return retentionMessageFor(
    { ...warning, reasons: [{ code, severity: "high", params: widestParams }] },
    channel,
    new Date(),
  );
}

describe("retention templates", () => {
  it.each(cases)(
    "%s in %s has no unfilled placeholder, whatever the top reason",
    (channel, locale) => {
      for (const code of REASON_CODES) {
        const rendered = renderRetentionMessage(
          channel,
          locale,
          withTopReason(code, channel),
          "Ann",
        );
        const all = [rendered.subject, rendered.text, rendered.html].join(" ");
        expect(all, code).not.toMatch(/[{}]|undefined|NaN|\$\{/);
      }
    },
  );

  it("tells the reason in plain words and greets by first name in e-mail", () => {
    const rendered = renderRetentionMessage(
      "email",
      "en",
      retentionMessageFor(warning, "email", new Date()),
      "Ann",
    );
    expect(rendered.subject).toBe("We miss you");
    expect(rendered.text).toContain("Hi Ann,");
    expect(rendered.text).toContain("We have not seen you in the app for 31 days.");
  });

  it("escapes HTML in e-mail", () => {
    const rendered = renderRetentionMessage(
      "email",
      "en",
      retentionMessageFor(warning, "email", new Date()),
      "<b>Ann</b>",
    );
    expect(rendered.html).not.toContain("<b>Ann</b>");
  });

  it.each([
    ["en", "Reply STOP to opt out", 160],
    ["zh-CN", "回复TD退订", 70],
  ] as const)(
    "SMS in %s carries the opt-out text and fits one segment for every reason",
    (locale, optOut, limit) => {
      for (const code of REASON_CODES) {
        const rendered = renderRetentionMessage("sms", locale, withTopReason(code, "sms"));
        expect(rendered.text, code).toContain(optOut);
        expect(rendered.text, code).not.toMatch(/^[a-z]/);
        expect([...rendered.text].length, code).toBeLessThanOrEqual(limit);
      }
    },
  );

  it("derives the dedupe key from the warning, the channel and the step", () => {
    const a = retentionMessageFor(warning, "sms", new Date("2026-11-01"));
    const b = retentionMessageFor(warning, "sms", new Date("2026-11-02"));
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(retentionMessageFor(warning, "email", new Date()).dedupeKey).not.toBe(a.dedupeKey);
  });
});
