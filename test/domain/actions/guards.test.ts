/**
 * The send guards one by one, each shown able to stop a message, then in order; and as a
 * property: a sequence of sends never reaches a user without consent, nor more often than the cap.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FrequencyCap, SendSlot } from "../../../lambdas/domain/actions/frequency.js";
import {
  campaignCooldownGuard,
  checkSend,
  consentGuard,
  contactabilityGuard,
  frequencyCapGuard,
  type GuardVerdict,
  quietHoursGuard,
  type SendCheck,
  slotRetentionDays,
} from "../../../lambdas/domain/actions/guards.js";
import { DEFAULT_RETENTION_POLICY } from "../../../lambdas/domain/actions/policy.js";
import {
  DEFAULT_QUIET_HOURS,
  type QuietHoursConfig,
} from "../../../lambdas/domain/actions/quiet-hours.js";
import { type ContactRecord, hasConsent } from "../../../lambdas/domain/contact.js";
import { CHANNELS, type Channel } from "../../../lib/topology.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** 12:00 in Shanghai, 06:00 in Berlin: outside the default quiet hours in Shanghai only. */
const NOON_SHANGHAI = new Date("2026-06-15T04:00:00.000Z");

const consent = (granted: boolean) => ({ granted, at: "2026-01-01T00:00:00.000Z", source: "api" });

function contact(overrides: Partial<ContactRecord> = {}): ContactRecord {
  return {
    appId: "app",
    userId: "u-1",
    locale: "en",
    email: { address: "u1@example.com", consent: consent(true) },
    sms: { phone: "+8613800138000", consent: consent(true) },
    push: { token: "device-token", platform: "ios", consent: consent(true) },
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...overrides,
  };
}

/** A channel a provider reported undeliverable (the optional mark the ledger adds). */
function bounced<T extends object>(details: T): T {
  return {
    ...details,
    undeliverable: { reason: "bounce", at: "2026-06-01T00:00:00.000Z" },
  } as T;
}

function slot(hoursAgo: number, dedupeKey: string, campaign = "c", now = NOON_SHANGHAI): SendSlot {
  return { dedupeKey, campaign, at: new Date(now.getTime() - hoursAgo * HOUR_MS).toISOString() };
}

const ALLOW: GuardVerdict = { verdict: "allow" };
const suppressed = (reason: string) => ({ verdict: "suppress", reason });

describe("consentGuard", () => {
  it.each([
    ["granted consent on the channel", contact(), "email", ALLOW],
    [
      "withdrawn consent, even with every other channel consented",
      contact({ email: { address: "u1@example.com", consent: consent(false) } }),
      "email",
      suppressed("no_consent"),
    ],
    ["no record for the channel", contact({ sms: undefined }), "sms", suppressed("no_consent")],
    ["no contact record at all", undefined, "push", suppressed("no_consent")],
  ] as const)("%s", (_, who, channel, expected) => {
    expect(consentGuard(who, channel)).toEqual(expected);
  });
});

describe("contactabilityGuard", () => {
  const base = contact();
  it.each([
    ["an address", base, "email", ALLOW],
    ["a phone number", base, "sms", ALLOW],
    ["a push token", base, "push", ALLOW],
    [
      "an SNS endpoint without a raw token",
      contact({
        push: {
          token: "",
          endpointArn: "arn:aws:sns:x",
          platform: "android",
          consent: consent(true),
        },
      }),
      "push",
      ALLOW,
    ],
    [
      "a bounced e-mail address",
      contact({ email: bounced({ address: "u1@example.com", consent: consent(true) }) }),
      "email",
      suppressed("not_contactable"),
    ],
    [
      "an invalid phone number",
      contact({ sms: bounced({ phone: "+8613800138000", consent: consent(true) }) }),
      "sms",
      suppressed("not_contactable"),
    ],
    [
      "a bounced e-mail does not stop SMS",
      contact({ email: bounced({ address: "u1@example.com", consent: consent(true) }) }),
      "sms",
      ALLOW,
    ],
    [
      "an empty token and no endpoint",
      contact({ push: { token: "", platform: "web", consent: consent(true) } }),
      "push",
      suppressed("not_contactable"),
    ],
    [
      "no address for the channel",
      contact({ email: undefined }),
      "email",
      suppressed("not_contactable"),
    ],
    ["no contact record", undefined, "email", suppressed("not_contactable")],
  ] as const)("%s", (_, who, channel, expected) => {
    expect(contactabilityGuard(who, channel)).toEqual(expected);
  });
});

describe("quietHoursGuard", () => {
  const config: QuietHoursConfig = {
    byChannel: {
      email: { start: "00:00", end: "00:00" },
      push: { start: "21:00", end: "09:00" },
      sms: { start: "20:00", end: "10:00" },
    },
    defaultTimeZone: "Asia/Shanghai",
  };

  it.each([
    ["noon in the default zone", contact(), "push", ALLOW],
    [
      "06:00 in the user's own zone",
      contact({ timezone: "Europe/Berlin" }),
      "push",
      { verdict: "defer", reason: "quiet_hours", until: new Date("2026-06-15T07:00:00Z") },
    ],
    ["a channel without quiet hours", contact({ timezone: "Europe/Berlin" }), "email", ALLOW],
    [
      "a stored zone Intl does not know: the default zone",
      contact({ timezone: "Mars/Base" }),
      "push",
      ALLOW,
    ],
    ["no contact record: the default zone", undefined, "push", ALLOW],
  ] as const)("%s", (_, who, channel, expected) => {
    expect(quietHoursGuard(NOON_SHANGHAI, who, channel, config)).toEqual(expected);
  });

  it("uses each channel's own window", () => {
    // 09:30 in Shanghai: push may go, SMS waits until 10:00.
    const now = new Date("2026-06-15T01:30:00Z");
    expect(quietHoursGuard(now, contact(), "push", config)).toEqual(ALLOW);
    expect(quietHoursGuard(now, contact(), "sms", config)).toEqual({
      verdict: "defer",
      reason: "quiet_hours",
      until: new Date("2026-06-15T02:00:00Z"),
    });
  });
});

describe("frequencyCapGuard", () => {
  const cap: FrequencyCap = { maxMessages: 2, windowDays: 7 };
  it.each([
    ["no earlier message", [], ALLOW],
    ["one in the window", [slot(24, "a")], ALLOW],
    [
      "two in the window, whatever their channel or campaign",
      [slot(24, "a", "c1"), slot(6 * 24, "b", "c2")],
      suppressed("frequency_cap"),
    ],
    ["one in the window and one older", [slot(24, "a"), slot(7 * 24, "b")], ALLOW],
    ["a key recorded twice counts once", [slot(24, "a"), slot(2, "a")], ALLOW],
    ["a retry: the same key is this very message", [slot(24, "a"), slot(1, "this")], ALLOW],
    [
      "a retry does not lift the cap that other messages reached",
      [slot(24, "a"), slot(2, "b"), slot(1, "this")],
      suppressed("frequency_cap"),
    ],
  ] as const)("%s", (_, slots, expected) => {
    expect(frequencyCapGuard(NOON_SHANGHAI, slots, cap, "this")).toEqual(expected);
  });
});

describe("campaignCooldownGuard", () => {
  it.each([
    ["no earlier message", [], 14, ALLOW],
    [
      "the same campaign 3 days ago",
      [slot(72, "a", "coupon")],
      14,
      suppressed("campaign_cooldown"),
    ],
    ["another campaign 3 days ago", [slot(72, "a", "win-back")], 14, ALLOW],
    ["the same campaign before the cooldown", [slot(15 * 24, "a", "coupon")], 14, ALLOW],
    ["no cooldown", [slot(1, "a", "coupon")], 0, ALLOW],
    ["its own slot (a retry)", [slot(1, "this", "coupon")], 14, ALLOW],
  ] as const)("%s", (_, slots, days, expected) => {
    expect(campaignCooldownGuard(NOON_SHANGHAI, slots, "coupon", days, "this")).toEqual(expected);
  });
});

describe("checkSend", () => {
  const check: SendCheck = {
    now: NOON_SHANGHAI,
    contact: contact(),
    channel: "email",
    quietHours: DEFAULT_QUIET_HOURS,
    cap: { maxMessages: 2, windowDays: 7 },
    slots: [],
    campaign: "coupon",
    cooldownDays: 14,
    dedupeKey: "this",
  };
  const full = [slot(1, "a", "coupon"), slot(2, "b", "coupon")];
  const night = new Date("2026-06-15T15:00:00Z"); // 23:00 in Shanghai

  it.each([
    ["everything in order", {}, ALLOW],
    [
      "no consent beats every later guard",
      {
        contact: contact({ email: { address: "u1@example.com", consent: consent(false) } }),
        now: night,
        slots: full,
      },
      suppressed("no_consent"),
    ],
    [
      "not contactable beats quiet hours and the cap",
      {
        contact: contact({ email: bounced({ address: "u1@example.com", consent: consent(true) }) }),
        now: night,
        slots: full,
      },
      suppressed("not_contactable"),
    ],
    [
      "quiet hours beat the cap: the message is deferred, not dropped",
      { now: night, slots: full },
      { verdict: "defer", reason: "quiet_hours", until: new Date("2026-06-16T01:00:00Z") },
    ],
    ["the cap beats the cooldown", { slots: full }, suppressed("frequency_cap")],
    ["the cooldown", { slots: [slot(1, "a", "coupon")] }, suppressed("campaign_cooldown")],
  ] as const)("%s", (_, overrides, expected) => {
    expect(checkSend({ ...check, ...overrides })).toEqual(expected);
  });

  it("keeps slots as long as the longest cap window or cooldown counts them", () => {
    expect(slotRetentionDays({ maxMessages: 2, windowDays: 7 }, DEFAULT_RETENTION_POLICY)).toBe(30);
    expect(slotRetentionDays({ maxMessages: 2, windowDays: 90 }, DEFAULT_RETENTION_POLICY)).toBe(
      90,
    );
  });
});

describe("checkSend over a sequence of sends, as a property", () => {
  const attempt = fc.record({
    afterHours: fc.double({ min: 0, max: 72, noNaN: true }),
    channel: fc.constantFrom(...CHANNELS),
    key: fc.integer({ min: 0, max: 12 }).map((n) => `k${n}`),
    campaign: fc.constantFrom("coupon", "win-back", "cart"),
    consentChanges: fc.option(fc.constantFrom(...CHANNELS)),
  });

  it("never sends without consent, nor more than the cap's messages in any window", () => {
    fc.assert(
      fc.property(
        fc.record({
          maxMessages: fc.integer({ min: 1, max: 4 }),
          windowDays: fc.integer({ min: 1, max: 10 }),
        }),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        fc.array(attempt, { minLength: 1, maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        (cap, cooldownDays, quiet, attempts, initialConsent) => {
          const granted = new Map<Channel, boolean>(
            CHANNELS.map((channel, index) => [channel, initialConsent[index] ?? false]),
          );
          const quietHours: QuietHoursConfig = quiet
            ? DEFAULT_QUIET_HOURS
            : { ...DEFAULT_QUIET_HOURS, byChannel: { email: none, push: none, sms: none } };
          let now = Date.parse("2026-03-01T00:00:00Z");
          let slots: SendSlot[] = [];
          const sent: { readonly key: string; readonly at: number }[] = [];
          for (const step of attempts) {
            now += step.afterHours * HOUR_MS;
            if (step.consentChanges) {
              granted.set(step.consentChanges, !granted.get(step.consentChanges));
            }
            const who = contact({
              email: { address: "u1@example.com", consent: consent(granted.get("email") ?? false) },
              sms: { phone: "+8613800138000", consent: consent(granted.get("sms") ?? false) },
              push: { token: "t", platform: "ios", consent: consent(granted.get("push") ?? false) },
            });
            const verdict = checkSend({
              now: new Date(now),
              contact: who,
              channel: step.channel,
              quietHours,
              cap,
              slots,
              campaign: step.campaign,
              cooldownDays,
              dedupeKey: step.key,
            });
            if (!hasConsent(who, step.channel)) expect(verdict.verdict).not.toBe("allow");
            if (verdict.verdict === "defer") expect(verdict.until.getTime()).toBeGreaterThan(now);
            if (verdict.verdict !== "allow") continue;
            // What the sender records: its own slot replaces an earlier one of the same key.
            slots = [
              ...slots.filter((s) => s.dedupeKey !== step.key),
              { dedupeKey: step.key, campaign: step.campaign, at: new Date(now).toISOString() },
            ];
            sent.push({ key: step.key, at: now });
          }
          // Every window that ends at a send holds at most maxMessages distinct messages.
          for (const { at } of sent) {
            const inWindow = new Set(
              sent
                .filter((s) => s.at > at - cap.windowDays * DAY_MS && s.at <= at)
                .map((s) => s.key),
            );
            expect(inWindow.size).toBeLessThanOrEqual(cap.maxMessages);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

const none = { start: "00:00", end: "00:00" };
