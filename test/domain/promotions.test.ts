import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dayNumberOfKey } from "../../lambdas/domain/calendar.js";
import {
  checkPromotionAgainst,
  dampingPromotion,
  isCalendarDay,
  isInPromotionDamping,
  isPromotionDay,
  mergePromotions,
  type Promotion,
  PromotionError,
  parsePromotions,
  promotionCalendar,
  promotionDayMask,
  promotionDaysIn,
} from "../../lambdas/domain/promotions.js";

const singles: Promotion = { name: "singles", from: "2026-11-10", to: "2026-11-11" };
const p618: Promotion = { name: "618", from: "2026-06-01", to: "2026-06-18" };
const day = dayNumberOfKey;

describe("parsePromotions", () => {
  it("accepts a calendar and sorts it by start day", () => {
    expect(parsePromotions([singles, p618])).toEqual([p618, singles]);
    expect(parsePromotions([])).toEqual([]);
    // A one-day promotion, and two that touch without sharing a day.
    expect(
      parsePromotions([
        { name: "a", from: "2026-01-01", to: "2026-01-01" },
        { name: "b", from: "2026-01-02", to: "2026-01-03" },
      ]),
    ).toHaveLength(2);
  });

  it.each<[string, unknown, string]>([
    ["not an array", { name: "x" }, "promotions: must be a JSON array of {name, from, to}"],
    ["an entry that is no object", [p618, "double-11"], "promotions[1]: must be an object"],
    [
      "a day that does not exist",
      [{ name: "x", from: "2026-02-30", to: "2026-03-01" }],
      "promotions[0].from: must be a calendar date YYYY-MM-DD",
    ],
    [
      "a date without zero padding",
      [{ name: "x", from: "2026-03-01", to: "2026-3-2" }],
      "promotions[0].to: must be a calendar date YYYY-MM-DD",
    ],
    [
      "a date-time",
      [{ name: "x", from: "2026-03-01T00:00:00Z", to: "2026-03-02" }],
      "promotions[0].from: must be a calendar date YYYY-MM-DD",
    ],
    [
      "an empty name",
      [{ name: "  ", from: "2026-03-01", to: "2026-03-02" }],
      "promotions[0].name: must not be empty",
    ],
    ["a missing name", [{ from: "2026-03-01", to: "2026-03-02" }], "promotions[0].name: "],
    [
      "an unknown field",
      [{ name: "x", from: "2026-03-01", to: "2026-03-02", discount: 0.1 }],
      "promotions[0].discount: ",
    ],
    [
      "an end before the start",
      [p618, { name: "x", from: "2026-03-05", to: "2026-03-01" }],
      'promotions[1]: "x" ends (2026-03-01) before it starts (2026-03-05)',
    ],
    [
      "a name used twice",
      [p618, { name: "618", from: "2027-06-01", to: "2027-06-18" }],
      'promotions[1]: the name "618" is already used (2026-06-01..2026-06-18)',
    ],
    [
      "overlapping promotions",
      [p618, singles, { name: "double-11", from: "2026-11-09", to: "2026-11-12" }],
      'promotions[2]: "double-11" (2026-11-09..2026-11-12) overlaps "singles" (2026-11-10..2026-11-11)',
    ],
    [
      "promotions sharing one day",
      [singles, { name: "after", from: "2026-11-11", to: "2026-11-13" }],
      'promotions[1]: "after" (2026-11-11..2026-11-13) overlaps "singles"',
    ],
  ])("refuses %s, naming the entry", (_, raw, message) => {
    expect(() => parsePromotions(raw)).toThrow(PromotionError);
    expect(() => parsePromotions(raw)).toThrow(message);
  });

  it("names the entries with the given prefix", () => {
    expect(() => parsePromotions([{ name: "x", from: "soon", to: "later" }], "PROMOTIONS")).toThrow(
      "PROMOTIONS[0].from: ",
    );
  });

  it("knows real calendar days", () => {
    expect(isCalendarDay("2028-02-29")).toBe(true);
    expect(isCalendarDay("2026-02-29")).toBe(false);
    expect(isCalendarDay("2026-13-01")).toBe(false);
  });
});

describe("merging stored and configured promotions", () => {
  it("merges disjoint calendars in start order", () => {
    expect(mergePromotions([singles], [p618])).toEqual([p618, singles]);
  });

  it("refuses a stored promotion that overlaps a configured one", () => {
    expect(() =>
      mergePromotions([singles], [{ name: "d11", from: "2026-11-11", to: "2026-11-11" }]),
    ).toThrow('stored promotions[0]: "d11" (2026-11-11..2026-11-11) overlaps "singles"');
  });

  it("checks a new promotion against a calendar", () => {
    expect(() =>
      checkPromotionAgainst(
        [p618, singles],
        { name: "x", from: "2026-06-18", to: "2026-06-19" },
        "--from",
      ),
    ).toThrow('--from: "x" (2026-06-18..2026-06-19) overlaps "618" (2026-06-01..2026-06-18)');
    expect(() =>
      checkPromotionAgainst([p618], { name: "x", from: "2026-06-19", to: "2026-06-19" }, "new"),
    ).not.toThrow();
  });
});

describe("the calendar's days", () => {
  const calendar = promotionCalendar([p618, singles]);

  it.each<[string, boolean, boolean]>([
    // day, a promotion day, inside promotion + 7 damping days
    ["2026-05-31", false, false],
    ["2026-06-01", true, true],
    ["2026-06-18", true, true],
    ["2026-06-19", false, true],
    ["2026-06-25", false, true],
    ["2026-06-26", false, false],
    ["2026-11-09", false, false],
    ["2026-11-11", true, true],
    ["2026-11-18", false, true],
    ["2026-11-19", false, false],
  ])("%s: promotion day %s, damping %s", (key, promotionDay, damping) => {
    expect(isPromotionDay(calendar, day(key))).toBe(promotionDay);
    expect(isInPromotionDamping(calendar, day(key))).toBe(damping);
  });

  it("takes the damping days as configured, 0 meaning the promotion itself only", () => {
    expect(isInPromotionDamping(calendar, day("2026-06-21"), 3)).toBe(true);
    expect(isInPromotionDamping(calendar, day("2026-06-22"), 3)).toBe(false);
    expect(isInPromotionDamping(calendar, day("2026-06-19"), 0)).toBe(false);
    expect(isInPromotionDamping(calendar, day("2026-06-18"), 0)).toBe(true);
  });

  it("counts promotion days in a window and masks them oldest first", () => {
    // (2026-11-08, 2026-11-12]: 9th..12th, of which the 10th and 11th are singles.
    expect(promotionDaysIn(calendar, day("2026-11-12"), 4)).toBe(2);
    expect(promotionDayMask(calendar, day("2026-11-12"), 4)).toEqual([false, true, true, false]);
    expect(promotionDaysIn(calendar, day("2026-12-31"), 365)).toBe(20);
    expect(promotionDaysIn(promotionCalendar([]), day("2026-12-31"), 365)).toBe(0);
  });

  it("counts as many promotion days as the mask shows, for any calendar and window", () => {
    const promotions = fc
      .uniqueArray(fc.integer({ min: 0, max: 400 }), { maxLength: 12 })
      .map((starts) => starts.sort((a, b) => a - b))
      .chain((starts) =>
        fc.tuple(...starts.map(() => fc.integer({ min: 0, max: 20 }))).map((lengths) => {
          const ranges: [number, number][] = [];
          starts.forEach((start, i) => {
            const end = Math.min(start + (lengths[i] ?? 0), (starts[i + 1] ?? 10_000) - 1);
            ranges.push([start, end]);
          });
          return ranges;
        }),
      );
    fc.assert(
      fc.property(
        promotions,
        fc.integer({ min: 0, max: 450 }),
        fc.integer({ min: 1, max: 120 }),
        (ranges, lastDay, n) => {
          const base = day("2026-01-01");
          const key = (d: number) => new Date((base + d) * 86_400_000).toISOString().slice(0, 10);
          const list = parsePromotions(
            ranges.map(([from, to], i) => ({ name: `p${i}`, from: key(from), to: key(to) })),
          );
          const calendar = promotionCalendar(list);
          const mask = promotionDayMask(calendar, base + lastDay, n);
          expect(mask).toHaveLength(n);
          expect(promotionDaysIn(calendar, base + lastDay, n)).toBe(mask.filter(Boolean).length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("dampingPromotion: the promotion whose run or damping days hold a day", () => {
  /** 618 (06-01..06-18), a flash sale inside its damping days (06-22..06-24), then singles. */
  const flash: Promotion = { name: "flash", from: "2026-06-22", to: "2026-06-24" };
  const calendar = promotionCalendar([singles, flash, p618]);
  const range = (from: string, to: string) => [day(from), day(to)];
  const of618 = range("2026-06-01", "2026-06-18");
  const ofFlash = range("2026-06-22", "2026-06-24");
  const ofSingles = range("2026-11-10", "2026-11-11");

  it.each<[string, string, number, number[] | undefined]>([
    ["the day before a promotion", "2026-05-31", 7, undefined],
    ["its first day", "2026-06-01", 7, of618],
    ["its last day", "2026-06-18", 7, of618],
    ["the day after it", "2026-06-19", 7, of618],
    ["the last damping day, before the next promotion starts", "2026-06-21", 7, of618],
    // 618's damping reaches 06-25; the flash sale started since: the latest one is the answer.
    ["the next promotion's first day, inside the earlier one's damping", "2026-06-22", 7, ofFlash],
    ["a day both damping spans reach", "2026-06-25", 7, ofFlash],
    ["last + damping of the later promotion", "2026-07-01", 7, ofFlash],
    ["last + damping + 1", "2026-07-02", 7, undefined],
    ["a day between two promotions, out of reach of both", "2026-09-01", 7, undefined],
    ["singles' last + damping", "2026-11-18", 7, ofSingles],
    ["singles' last + damping + 1", "2026-11-19", 7, undefined],
    ["damping 0: the last day still counts", "2026-11-11", 0, ofSingles],
    ["damping 0: the day after does not", "2026-11-12", 0, undefined],
    ["damping 0: 618's last day", "2026-06-18", 0, of618],
    ["damping 0: a day between 618 and the flash sale", "2026-06-20", 0, undefined],
    ["damping 3 ends 618's reach earlier", "2026-06-21", 3, of618],
    ["damping 3, one day more", "2026-06-22", 3, ofFlash],
    ["a long damping reaches across months", "2026-10-01", 100, ofFlash],
  ])("%s (%s, damping %i)", (_, key, dampingDays, expected) => {
    expect(dampingPromotion(calendar, day(key), dampingDays)).toEqual(expected);
    expect(isInPromotionDamping(calendar, day(key), dampingDays)).toBe(expected !== undefined);
  });

  it("damps for 7 days unless told otherwise", () => {
    expect(dampingPromotion(calendar, day("2026-11-18"))).toEqual(ofSingles);
    expect(dampingPromotion(calendar, day("2026-11-19"))).toBeUndefined();
  });

  it("finds nothing in an empty calendar", () => {
    const empty = promotionCalendar([]);
    expect(dampingPromotion(empty, day("2026-06-01"), 7)).toBeUndefined();
    expect(dampingPromotion(empty, day("2026-06-01"), 0)).toBeUndefined();
    expect(isInPromotionDamping(empty, day("2026-06-01"))).toBe(false);
  });

  it("answers as a plain scan does: the latest-starting promotion whose reach holds the day", () => {
    const base = day("2026-01-01");
    const calendars = fc
      .uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 8 })
      .map((starts) => starts.sort((a, b) => a - b))
      .chain((starts) =>
        fc
          .tuple(...starts.map(() => fc.integer({ min: 0, max: 10 })))
          .map((lengths) =>
            starts.map((start, i): [number, number] => [
              start,
              Math.min(start + (lengths[i] ?? 0), (starts[i + 1] ?? 10_000) - 1),
            ]),
          ),
      );
    fc.assert(
      fc.property(
        calendars,
        fc.integer({ min: -5, max: 260 }),
        fc.integer({ min: 0, max: 30 }),
        (ranges, offset, dampingDays) => {
          const key = (d: number) => new Date((base + d) * 86_400_000).toISOString().slice(0, 10);
          const list = parsePromotions(
            ranges.map(([from, to], i) => ({ name: `p${i}`, from: key(from), to: key(to) })),
          );
          const target = base + offset;
          const reaching = ranges
            .map(([from, to]) => [base + from, base + to])
            .filter(
              ([from, to]) => (from as number) <= target && target <= (to as number) + dampingDays,
            );
          const expected = reaching.at(-1);
          expect(dampingPromotion(promotionCalendar(list), target, dampingDays)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
