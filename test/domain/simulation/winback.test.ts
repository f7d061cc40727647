import { describe, expect, it } from "vitest";
import { dayKey, dayNumberOfKey, localDayNumber } from "../../../lambdas/domain/calendar.js";
import { type BehaviourEvent, behaviourEventSchema } from "../../../lambdas/domain/events.js";
import {
  eventsOf,
  type SimShop,
  type SimUser,
  simulateShop,
} from "../../../lambdas/domain/simulation/shop.js";
import {
  type ArmAssignment,
  eventsBefore,
  eventsFrom,
  naturalPurchaseDays,
  type TargetedOutcome,
  targetedOutcome,
  treatedTruth,
  type WinbackTreatment,
  winbackTruth,
  winbackWindow,
} from "../../../lambdas/domain/simulation/winback.js";

const START = "2026-03-01";
const START_DAY = dayNumberOfKey(START);
const DAYS = 60;
const AS_OF = new Date(`${dayKey(START_DAY + 40)}T00:00:00Z`);
const shop = simulateShop({ users: 600, days: DAYS, seed: 17, start: new Date(START) });

const treatment = (effect: number, windowDays = 14): WinbackTreatment => ({
  effect,
  asOf: AS_OF,
  windowDays,
});

function assign(user: SimUser, group: "control" | "variant"): ArmAssignment {
  return {
    userId: user.userId,
    experimentId: "retention-default",
    group,
    arm: group === "control" ? "control" : "A",
  };
}

const localDay = (event: BehaviourEvent) =>
  localDayNumber(Date.parse(event.occurredAt), event.context?.timezone ?? "UTC") - START_DAY;

/** Users for whom the outcome would differ by group: not won back naturally, and responding. */
function responders(s: SimShop, effect: number): SimUser[] {
  return s.users.filter((user) => {
    const outcome = targetedOutcome(user, s, assign(user, "variant"), treatment(effect));
    return !outcome.naturalWinback && outcome.responds;
  });
}

describe("winbackWindow", () => {
  it("is the local days after the as-of's local day, in the user's zone (all ahead of UTC)", () => {
    for (const user of shop.users.slice(0, 50)) {
      expect(winbackWindow(user, shop, AS_OF, 14)).toEqual({ after: 40, through: 54 });
    }
    // 20:00 UTC is already the next day in Asia/Shanghai (UTC+8).
    const user = shop.users.find((u) => u.timezone === "Asia/Shanghai") as SimUser;
    expect(winbackWindow(user, shop, new Date(AS_OF.getTime() + 20 * 3_600_000), 7)).toEqual({
      after: 41,
      through: 48,
    });
  });
});

describe("naturalPurchaseDays", () => {
  it("are the local days of the user's purchase events", () => {
    for (const user of shop.users.slice(0, 40)) {
      const purchases = [...eventsOf(user, shop)].filter((event) => event.type === "purchase");
      expect(naturalPurchaseDays(user, shop)).toEqual([...new Set(purchases.map(localDay))]);
    }
  });
});

describe("targetedOutcome", () => {
  it("adds a purchase in the window only for a variant user who would not come back and responds", () => {
    const [user] = responders(shop, 0.3);
    if (!user) throw new Error("no responder in the shop");
    const variant = targetedOutcome(user, shop, assign(user, "variant"), treatment(0.3));
    const control = targetedOutcome(user, shop, assign(user, "control"), treatment(0.3));
    // The draw is the user's, not the group's.
    expect(control.responds).toBe(true);
    expect(control.naturalWinback).toBe(false);
    expect(control.treatmentDay).toBeNull();
    expect(control.treatmentEvents).toEqual([]);

    const day = variant.treatmentDay as number;
    expect(day).toBeGreaterThan(40);
    expect(day).toBeLessThanOrEqual(54);
    const types = variant.treatmentEvents.map((event) => event.type);
    expect(types).toEqual([
      "app_open",
      "product_view",
      "add_to_cart",
      "checkout_start",
      "purchase",
      "session",
    ]);
    for (const event of variant.treatmentEvents) {
      expect(behaviourEventSchema.safeParse(event).success).toBe(true);
      expect(localDay(event)).toBe(day);
      expect(event.userId).toBe(user.userId);
      expect(event.context?.timezone).toBe(user.timezone);
    }
    const purchase = variant.treatmentEvents.find((event) => event.type === "purchase");
    const { amount, currency } = (purchase?.properties ?? {}) as {
      amount?: number;
      currency?: string;
    };
    expect(currency).toBe("CNY");
    expect(amount).toBeGreaterThan(0);
    expect(amount).toBeLessThan(user.basketCny * 20);
    const naturalIds = new Set([...eventsOf(user, shop)].map((event) => event.eventId));
    for (const event of variant.treatmentEvents) expect(naturalIds.has(event.eventId)).toBe(false);
    // Deterministic.
    expect(targetedOutcome(user, shop, assign(user, "variant"), treatment(0.3))).toEqual(variant);
  });

  it("leaves a user who comes back anyway as they are, in either group", () => {
    const user = shop.users.find(
      (u) => targetedOutcome(u, shop, assign(u, "variant"), treatment(1)).naturalWinback === true,
    ) as SimUser;
    const outcome = targetedOutcome(user, shop, assign(user, "variant"), treatment(1));
    expect(outcome.responds).toBe(true);
    expect(outcome.treatmentDay).toBeNull();
  });

  it("treats nobody at E = 0 and every non-returning variant user at E = 1; responders grow with E", () => {
    const at = (effect: number) =>
      shop.users.map((user) =>
        targetedOutcome(user, shop, assign(user, "variant"), treatment(effect)),
      );
    expect(at(0).every((o) => o.treatmentDay === null && !o.responds)).toBe(true);
    expect(at(1).every((o) => (o.treatmentDay !== null) === !o.naturalWinback)).toBe(true);
    const low = at(0.2);
    const high = at(0.5);
    low.forEach((o, i) => {
      if (o.responds) expect(high[i]?.responds).toBe(true);
    });
  });

  it("makes about E of the users who would not come back come back", () => {
    const big = simulateShop({ users: 4000, days: DAYS, seed: 3, start: new Date(START) });
    const outcomes = big.users.map((user) =>
      targetedOutcome(user, big, assign(user, "variant"), treatment(0.3)),
    );
    const notNatural = outcomes.filter((o) => !o.naturalWinback);
    const share = notNatural.filter((o) => o.treatmentDay !== null).length / notNatural.length;
    // Binomial sd at n ≈ 3,000: under 1 point.
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    // The added days spread over the whole window.
    const days = new Set(outcomes.map((o) => o.treatmentDay).filter((d) => d !== null));
    expect(days.size).toBe(14);
  });

  it("refuses a window that runs past the simulated period", () => {
    const user = shop.users[0] as SimUser;
    expect(() => targetedOutcome(user, shop, assign(user, "variant"), treatment(0.3, 20))).toThrow(
      /not inside the simulated days 0 to 59/,
    );
    expect(() =>
      targetedOutcome(user, shop, assign(user, "variant"), { ...treatment(1.5) }),
    ).toThrow(/probability from 0 to 1/);
  });
});

describe("eventsBefore and eventsFrom", () => {
  const asOfMs = AS_OF.getTime();

  it("split the natural events at the instant, without losing or reordering any", () => {
    for (const user of shop.users.slice(0, 60)) {
      const before = [...eventsBefore(user, shop, asOfMs)];
      const from = [...eventsFrom(user, shop, asOfMs)];
      expect([...before, ...from]).toEqual([...eventsOf(user, shop)]);
      for (const event of before) expect(Date.parse(event.occurredAt)).toBeLessThan(asOfMs);
      for (const event of from) expect(Date.parse(event.occurredAt)).toBeGreaterThanOrEqual(asOfMs);
    }
  });

  it("insert the treatment's visit on its day, keeping the days in order", () => {
    for (const user of responders(shop, 0.5).slice(0, 20)) {
      const outcome = targetedOutcome(user, shop, assign(user, "variant"), treatment(0.5));
      const from = [...eventsFrom(user, shop, asOfMs, outcome)];
      const natural = [...eventsFrom(user, shop, asOfMs)];
      expect(from).toHaveLength(natural.length + outcome.treatmentEvents.length);
      expect(from.filter((event) => event.eventId.startsWith("sw-"))).toEqual(
        outcome.treatmentEvents,
      );
      const days = from.map(localDay);
      expect(days).toEqual([...days].sort((a, b) => a - b));
    }
  });
});

describe("winbackTruth", () => {
  const outcome = (
    userId: string,
    group: "control" | "variant",
    naturalWinback: boolean,
    responds: boolean,
  ): TargetedOutcome => ({
    userId,
    experimentId: "exp",
    group,
    arm: group === "control" ? "control" : "A",
    window: { after: 40, through: 54 },
    naturalWinback,
    responds,
    treatmentDay: group === "variant" && responds && !naturalWinback ? 45 : null,
    treatmentEvents: [],
  });

  it("gives E × (1 − p0) over both groups, the sample's effect and the realised rates", () => {
    const outcomes = [
      // control: 1 of 4 naturally won back; 2 would have responded.
      outcome("c1", "control", true, false),
      outcome("c2", "control", false, true),
      outcome("c3", "control", false, true),
      outcome("c4", "control", false, false),
      // variant: 1 of 6 naturally, 2 treated.
      outcome("v1", "variant", true, true),
      outcome("v2", "variant", false, true),
      outcome("v3", "variant", false, true),
      outcome("v4", "variant", false, false),
      outcome("v5", "variant", false, false),
      outcome("v6", "variant", false, false),
    ];
    const truth = winbackTruth(outcomes, treatment(0.4));
    expect(truth).toMatchObject({ effect: 0.4, windowDays: 14, asOf: AS_OF.toISOString() });
    const [experiment] = truth.experiments;
    expect(experiment?.targeted).toBe(10);
    expect(experiment?.naturalWinbackRate).toBeCloseTo(0.2, 12);
    expect(experiment?.trueUplift).toBeCloseTo(0.4 * 0.8, 12);
    // c2, c3, v2, v3 respond and would not come back: 4 of 10.
    expect(experiment?.sampleUplift).toBeCloseTo(0.4, 12);
    expect(experiment?.control).toEqual({
      arm: "control",
      group: "control",
      targeted: 4,
      naturalWinback: 1,
      wonBack: 1,
      rate: 0.25,
      treatmentPurchases: 0,
    });
    expect(experiment?.variants).toEqual([
      {
        arm: "A",
        group: "variant",
        targeted: 6,
        naturalWinback: 1,
        wonBack: 3,
        rate: 0.5,
        treatmentPurchases: 2,
      },
    ]);
    expect(experiment?.realisedUplift.A).toBeCloseTo(0.25, 12);
  });

  it("keeps experiments apart and has no uplift without a control", () => {
    const truth = winbackTruth(
      [
        { ...outcome("a", "variant", false, true), experimentId: "b-exp" },
        outcome("b", "variant", false, false),
      ],
      treatment(0.5),
    );
    expect(truth.experiments.map((e) => e.experimentId)).toEqual(["b-exp", "exp"]);
    expect(truth.experiments[1]?.control).toBeNull();
    expect(truth.experiments[1]?.realisedUplift).toEqual({});
    expect(truth.experiments[1]?.trueUplift).toBe(0.5);
  });
});

describe("treatedTruth", () => {
  it("moves a treated user's last active day, and a churner's churn date with it", () => {
    const churner = shop.users.find((user) => {
      const row = shop.truth[user.index];
      return row?.churnDate !== null && row?.lastActiveDate !== null && user.finalDay === 20;
    });
    const other = shop.users.find((user) => shop.truth[user.index]?.churnDate === null);
    if (!churner || !other) throw new Error("no such users in the shop");
    const rows = treatedTruth(shop, [
      { userId: churner.userId, treatmentDay: 45 },
      { userId: other.userId, treatmentDay: null },
    ]);
    expect(rows[churner.index]).toEqual({
      ...shop.truth[churner.index],
      lastActiveDate: dayKey(START_DAY + 45),
      churnDate: dayKey(START_DAY + 45 + 30),
    });
    expect(rows[other.index]).toBe(shop.truth[other.index]);
    expect(rows.filter((row, i) => row !== shop.truth[i])).toHaveLength(1);
  });
});
