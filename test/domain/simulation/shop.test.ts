import { describe, expect, it } from "vitest";
import { dayNumberOfKey, localDayNumber } from "../../../lambdas/domain/calendar.js";
import { type BehaviourEvent, behaviourEventSchema } from "../../../lambdas/domain/events.js";
import {
  activeDaysOf,
  BEHAVIOUR_TYPES,
  type BehaviourType,
  CHURNING_TYPES,
  DEFAULT_BEHAVIOUR_MIX,
  eventsOf,
  type SimShop,
  type SimUser,
  simulatedEvents,
  simulateShop,
} from "../../../lambdas/domain/simulation/shop.js";

const START = new Date("2026-01-01T00:00:00Z");
const START_DAY = dayNumberOfKey("2026-01-01");

function take<T>(iterable: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of iterable) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}

const localDay = (event: BehaviourEvent) =>
  localDayNumber(Date.parse(event.occurredAt), event.context?.timezone ?? "UTC");

describe("simulateShop: determinism", () => {
  it("gives the same first 1,000 events for a seed, others for another seed", () => {
    const first = take(
      simulatedEvents(simulateShop({ users: 50, days: 90, seed: 1, start: START })),
      1000,
    );
    const again = take(
      simulatedEvents(simulateShop({ users: 50, days: 90, seed: 1, start: START })),
      1000,
    );
    const other = take(
      simulatedEvents(simulateShop({ users: 50, days: 90, seed: 2, start: START })),
      1000,
    );
    expect(first).toHaveLength(1000);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it("gives a user the same events however many users the shop has", () => {
    const small = simulateShop({ users: 5, days: 60, seed: 9, start: START });
    const large = simulateShop({ users: 500, days: 60, seed: 9, start: START });
    expect([...eventsOf(large.users[3] as SimUser, large)]).toEqual([
      ...eventsOf(small.users[3] as SimUser, small),
    ]);
    expect(large.truth.slice(0, 5)).toEqual(small.truth);
  });
});

describe("simulated events", () => {
  const shop = simulateShop({ users: 300, days: 120, seed: 4, start: START });
  const events = [...simulatedEvents(shop)];
  const endMs = START.getTime() + 120 * 86_400_000;

  it("validate against the events schema", () => {
    const failures = events
      .filter((_, i) => i % 5 === 0)
      .map((event) => behaviourEventSchema.safeParse(event))
      .filter((result) => !result.success);
    expect(failures).toEqual([]);
  });

  it("have unique IDs, pseudonymous users and happen within the period, in order per user", () => {
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.every((e) => /^sim-\d{6}$/.test(e.userId))).toBe(true);
    for (const [i, event] of events.entries()) {
      const at = Date.parse(event.occurredAt);
      expect(at).toBeGreaterThanOrEqual(START.getTime());
      expect(at).toBeLessThan(endMs);
      const previous = events[i - 1];
      if (previous?.userId === event.userId) {
        expect(at).toBeGreaterThanOrEqual(Date.parse(previous.occurredAt));
      }
    }
  });

  it("use plausible local hours and mostly Asia/Shanghai", () => {
    const hours = events.map((e) => Number(e.occurredAt.slice(11, 13)));
    const night = hours.filter((h) => h >= 1 && h < 6).length / hours.length;
    expect(night).toBeLessThan(0.05);
    const shanghai = events.filter((e) => e.context?.timezone === "Asia/Shanghai").length;
    expect(shanghai / events.length).toBeGreaterThan(0.6);
    expect(events.every((e) => /[+-]\d{2}:\d{2}$/.test(e.occurredAt))).toBe(true);
  });

  it("agree with the truth: the last event is on lastActiveDate, churners stop there", () => {
    const lastDay = new Map<string, number>();
    for (const event of events) lastDay.set(event.userId, localDay(event));
    for (const row of shop.truth) {
      const last = lastDay.get(row.userId);
      expect(last ?? null).toBe(
        row.lastActiveDate === null ? null : dayNumberOfKey(row.lastActiveDate),
      );
      if (CHURNING_TYPES.has(row.type)) {
        expect(row.churnDate).not.toBeNull();
        expect(dayNumberOfKey(row.churnDate as string)).toBe((last as number) + shop.churnDays);
      } else {
        expect(row.churnDate).toBeNull();
      }
    }
  });

  it("make purchases in CNY and give complainers complaints and slow pages", () => {
    const purchases = events.filter((e) => e.type === "purchase");
    expect(purchases.length).toBeGreaterThan(0);
    for (const p of purchases) expect(p.properties).toMatchObject({ currency: "CNY" });
    const typeOf = new Map(shop.users.map((u) => [u.userId, u.type]));
    const complaints = events.filter((e) => e.type === "complaint");
    expect(complaints.every((e) => typeOf.get(e.userId) === "complainer")).toBe(true);
    const slowShare = (complainer: boolean) => {
      const loads = events.filter(
        (e) => e.type === "page_load" && (typeOf.get(e.userId) === "complainer") === complainer,
      );
      return loads.filter((e) => (e.properties as { ms: number }).ms > 3000).length / loads.length;
    };
    expect(slowShare(true)).toBeGreaterThan(0.15);
    expect(slowShare(false)).toBeLessThan(0.05);
  });
});

describe("behaviour types", () => {
  const shop = simulateShop({ users: 5000, days: 180, seed: 21, start: START });

  it("follow the configured mix", () => {
    for (const type of BEHAVIOUR_TYPES) {
      const share = shop.users.filter((u) => u.type === type).length / shop.users.length;
      expect(Math.abs(share - DEFAULT_BEHAVIOUR_MIX[type])).toBeLessThan(0.025);
    }
  });

  it("take a mix override, normalised", () => {
    const custom = simulateShop({
      users: 2000,
      days: 30,
      seed: 3,
      start: START,
      mix: { loyal: 3, complainer: 1 },
    });
    expect(custom.mix).toMatchObject({ loyal: 0.75, complainer: 0.25, seasonal: 0 });
    const types = new Set<BehaviourType>(custom.users.map((u) => u.type));
    expect([...types].sort()).toEqual(["complainer", "loyal"]);
    const loyal = custom.users.filter((u) => u.type === "loyal").length / 2000;
    expect(Math.abs(loyal - 0.75)).toBeLessThan(0.03);
  });

  it("make promotion hunters active mostly in promotion windows", () => {
    const inWindow = promotionDays(shop);
    let hunterDays = 0;
    let hunterWindowDays = 0;
    for (const user of shop.users.filter((u) => u.type === "promotion_hunter")) {
      for (const d of activeDaysOf(user, shop)) {
        hunterDays += 1;
        if (inWindow.has(d)) hunterWindowDays += 1;
      }
    }
    const windowShare = inWindow.size / shop.days;
    expect(windowShare).toBeLessThan(0.15);
    expect(hunterWindowDays / hunterDays).toBeGreaterThan(0.5);
  });

  it("keep the volume moderate: 0.3–0.5 active days per user-day, ≤ 4 events per active day", () => {
    const users = shop.users.slice(0, 1500);
    let activeDays = 0;
    let events = 0;
    let busiest = 0;
    for (const user of users) {
      activeDays += activeDaysOf(user, shop).length;
      const perDay = new Map<number, number>();
      for (const event of eventsOf(user, shop)) {
        events += 1;
        const day = localDay(event);
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
      for (const count of perDay.values()) busiest = Math.max(busiest, count);
    }
    const perUserDay = activeDays / (users.length * shop.days);
    expect(perUserDay).toBeGreaterThanOrEqual(0.3);
    expect(perUserDay).toBeLessThanOrEqual(0.5);
    expect(events / activeDays).toBeLessThanOrEqual(4);
    expect(busiest).toBeLessThanOrEqual(14);
  });

  it("churn about two users in five, on the documented date", () => {
    const churners = shop.truth.filter((row) => row.churnDate !== null);
    expect(churners.length / shop.truth.length).toBeGreaterThan(0.3);
    expect(churners.length / shop.truth.length).toBeLessThan(0.5);
    const first = churners[0];
    expect(first).toBeDefined();
    const gap =
      dayNumberOfKey(first?.churnDate as string) - dayNumberOfKey(first?.lastActiveDate as string);
    expect(gap).toBe(30);
  });
});

function promotionDays(shop: SimShop): Set<number> {
  const days = new Set<number>();
  for (const p of shop.promotions) {
    for (let d = dayNumberOfKey(p.from); d <= dayNumberOfKey(p.to); d += 1) days.add(d - START_DAY);
  }
  return days;
}

describe("promotions", () => {
  it("are 3-day sales every 30–45 days by default, not overlapping", () => {
    const { promotions } = simulateShop({ users: 0, days: 365, seed: 8, start: START });
    expect(promotions.length).toBeGreaterThanOrEqual(8);
    promotions.forEach((p, i) => {
      expect(dayNumberOfKey(p.to) - dayNumberOfKey(p.from)).toBe(2);
      const previous = promotions[i - 1];
      if (previous) {
        const gap = dayNumberOfKey(p.from) - dayNumberOfKey(previous.from);
        expect(gap).toBeGreaterThanOrEqual(30);
        expect(gap).toBeLessThanOrEqual(45);
      }
    });
  });

  it("can be given, and are refused when they overlap", () => {
    const given = [{ name: "618", from: "2026-01-10", to: "2026-01-12" }];
    expect(
      simulateShop({ users: 1, days: 30, seed: 1, start: START, promotions: given }).promotions,
    ).toEqual(given);
    expect(() =>
      simulateShop({
        users: 1,
        days: 30,
        seed: 1,
        start: START,
        promotions: [...given, { name: "late", from: "2026-01-12", to: "2026-01-14" }],
      }),
    ).toThrow(/overlap/);
  });
});

describe("options", () => {
  it.each([
    { users: -1 },
    { users: 1.5 },
    { days: 0 },
    { seed: 0.5 },
    { start: new Date("2026-01-01T08:00:00Z") },
    { churnDays: 0 },
    { mix: { loyal: -1 } },
    { mix: { unknown: 1 } as never },
    { mix: {} },
  ])("refuses %o", (override) => {
    expect(() => simulateShop({ users: 10, days: 30, seed: 1, start: START, ...override })).toThrow(
      RangeError,
    );
  });

  it("carries the treatment effect and the churn window", () => {
    const shop = simulateShop({
      users: 20,
      days: 30,
      seed: 1,
      start: START,
      treatmentEffect: 0.2,
      churnDays: 14,
    });
    expect(shop).toMatchObject({
      treatmentEffect: 0.2,
      churnDays: 14,
      start: "2026-01-01",
      days: 30,
    });
    expect(simulateShop({ users: 1, days: 5, seed: 1, start: START }).treatmentEffect).toBeNull();
  });
});
