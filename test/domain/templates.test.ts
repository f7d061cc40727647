import { describe, expect, it } from "vitest";
import { retentionMessageFor, warningFor } from "../../lambdas/domain/retention.js";
import { assessInactivity } from "../../lambdas/domain/risk.js";
import { renderRetentionMessage } from "../../lambdas/domain/templates.js";
import type { Channel } from "../../lib/topology.js";

const warning = warningFor(
  "app",
  "u1",
  assessInactivity("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "run-1", 30),
);

const cases: [Channel, "en" | "zh-CN"][] = [
  ["email", "en"],
  ["email", "zh-CN"],
  ["sms", "en"],
  ["sms", "zh-CN"],
  ["push", "en"],
  ["push", "zh-CN"],
];

describe("retention templates", () => {
  it.each(cases)("%s in %s has no unfilled placeholder", (channel, locale) => {
    const rendered = renderRetentionMessage(
      channel,
      locale,
      retentionMessageFor(warning, channel, new Date()),
      "Ann",
    );
    const all = [rendered.subject, rendered.text, rendered.html].join(" ");
    expect(all).not.toMatch(/[{}]|undefined|NaN/);
  });

  it("tells the reason in plain words and greets by first name in e-mail", () => {
    const rendered = renderRetentionMessage(
      "email",
      "en",
      retentionMessageFor(warning, "email", new Date()),
      "Ann",
    );
    expect(rendered.subject).toBe("We miss you");
    expect(rendered.text).toContain("Hi Ann,");
    expect(rendered.text).toContain("31 days");
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
    "SMS in %s carries the opt-out text and fits one segment",
    (locale, optOut, limit) => {
      const rendered = renderRetentionMessage(
        "sms",
        locale,
        retentionMessageFor(warning, "sms", new Date()),
      );
      expect(rendered.text).toContain(optOut);
      expect(rendered.text).not.toMatch(/^[a-z]/);
      expect([...rendered.text].length).toBeLessThanOrEqual(limit);
    },
  );

  it("derives the dedupe key from the warning, the channel and the step", () => {
    const a = retentionMessageFor(warning, "sms", new Date("2026-11-01"));
    const b = retentionMessageFor(warning, "sms", new Date("2026-11-02"));
    expect(a.dedupeKey).toBe(b.dedupeKey);
    expect(retentionMessageFor(warning, "email", new Date()).dedupeKey).not.toBe(a.dedupeKey);
  });
});
