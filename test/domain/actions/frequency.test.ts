/**
 * The frequency cap's settings and the pruning of send slots: nothing a cap or cooldown can
 * still count may be pruned, and nothing else is kept.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActionConfigError } from "../../../lambdas/domain/actions/config-error.js";
import {
  DEFAULT_FREQUENCY_CAP,
  liveSlots,
  parseFrequencyCap,
  type SendSlot,
  slotWithin,
} from "../../../lambdas/domain/actions/frequency.js";

const DAY_MS = 86_400_000;
const now = new Date("2026-06-15T12:00:00.000Z");

function slot(daysAgo: number, key = `k-${daysAgo}`, campaign = "c"): SendSlot {
  return { dedupeKey: key, campaign, at: new Date(now.getTime() - daysAgo * DAY_MS).toISOString() };
}

describe("parseFrequencyCap", () => {
  it("defaults to 2 messages in 7 days", () => {
    expect(DEFAULT_FREQUENCY_CAP).toEqual({ maxMessages: 2, windowDays: 7 });
    expect(parseFrequencyCap("{}")).toEqual(DEFAULT_FREQUENCY_CAP);
  });

  it("takes each key given and keeps the default of the other", () => {
    expect(parseFrequencyCap('{"maxMessages":3,"windowDays":14}')).toEqual({
      maxMessages: 3,
      windowDays: 14,
    });
    expect(parseFrequencyCap({ windowDays: 30 })).toEqual({ maxMessages: 2, windowDays: 30 });
  });

  it.each([
    ["bad JSON", "{max", /^frequencyCap: not valid JSON: /],
    ["a number", "3", /^frequencyCap: must be an object, not number$/],
    ["zero messages", { maxMessages: 0 }, /^frequencyCap\.maxMessages: must be at least 1 /],
    ["half a message", { maxMessages: 1.5 }, /^frequencyCap\.maxMessages: must be a whole number$/],
    ["a string", { maxMessages: "2" }, /^frequencyCap\.maxMessages: must be a number, not string$/],
    ["a zero window", { windowDays: 0 }, /^frequencyCap\.windowDays: must be at least 1$/],
    [
      "a window over a year",
      { windowDays: 400 },
      /^frequencyCap\.windowDays: must be at most 365$/,
    ],
    [
      "an unknown key",
      { max: 2 },
      /^frequencyCap\.max: is not a known key \(known: maxMessages, windowDays\)$/,
    ],
  ])("refuses %s with the exact place", (_, raw, message) => {
    expect(() => parseFrequencyCap(raw)).toThrow(ActionConfigError);
    expect(() => parseFrequencyCap(raw)).toThrow(message);
  });
});

describe("slots", () => {
  it.each([
    [0, 7, true],
    [6.99, 7, true],
    [7, 7, false], // exactly a window ago: out
    [8, 7, false],
    [-0.01, 7, true], // stamped by a clock slightly ahead
    [29, 30, true],
  ])("a slot %s days old is within %s days: %s", (daysAgo, days, within) => {
    expect(slotWithin(slot(daysAgo), now, days)).toBe(within);
  });

  it("counts a slot whose time cannot be read nowhere", () => {
    expect(slotWithin({ dedupeKey: "x", campaign: "c", at: "yesterday" }, now, 7)).toBe(false);
  });

  it("keeps exactly the slots within the longest window", () => {
    const slots = [slot(1), slot(13.9), slot(14), slot(40), slot(-0.001)];
    expect(liveSlots(slots, now, 14).map((s) => s.dedupeKey)).toEqual([
      "k-1",
      "k-13.9",
      "k--0.001",
    ]);
    expect(liveSlots(slots, now, 60)).toEqual(slots);
    expect(liveSlots([], now, 14)).toEqual([]);
  });

  it("never prunes a slot that a window of at most `longest` days counts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 100, noNaN: true }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 60 }),
        (ages, longest, window) => {
          fc.pre(window <= longest);
          const slots = ages.map((age, index) => slot(age, `k${index}`));
          const live = liveSlots(slots, now, longest);
          for (const s of slots) {
            if (slotWithin(s, now, window)) expect(live).toContain(s);
          }
          for (const s of live) expect(slotWithin(s, now, longest)).toBe(true);
        },
      ),
    );
  });
});
