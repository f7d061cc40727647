/**
 * The app's promotion calendar: sales such as 618 or Double 11, when users buy and browse far
 * above their habit. Scoring must not take the lull after a sale for a user drifting away, so the
 * calendar keeps promotion days out of the interaction windows and damps drop- and
 * silence-based rules during a promotion and for a few days after it (indicators.ts, rules.ts).
 *
 * A promotion covers whole calendar days, `from` and `to` included. Days are compared with each
 * user's local day (the day numbers of calendar.ts), so "2026-11-11" is the 11th wherever the
 * user is: that is how a shop announces a sale.
 */
import { z } from "zod";
import { dayKey, dayNumberOfKey } from "./calendar.js";

export interface Promotion {
  readonly name: string;
  /** First day, `YYYY-MM-DD`. */
  readonly from: string;
  /** Last day, `YYYY-MM-DD`, included. */
  readonly to: string;
}

/** Days after a promotion's last day during which drop- and silence-based rules are damped. */
export const DEFAULT_PROMOTION_DAMPING_DAYS = 7;
export const MAX_PROMOTION_DAMPING_DAYS = 90;
export const MAX_PROMOTION_NAME_LENGTH = 64;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date: `2026-02-30` has the right shape and is still refused. */
export function isCalendarDay(value: string): boolean {
  if (!DAY_PATTERN.test(value)) return false;
  const day = dayNumberOfKey(value);
  return Number.isFinite(day) && dayKey(day) === value;
}

const calendarDay = z
  .string({ error: "must be a calendar date YYYY-MM-DD" })
  .refine(isCalendarDay, "must be a calendar date YYYY-MM-DD");

export const promotionSchema = z
  .object({
    name: z
      .string({ error: "must be a string" })
      .trim()
      .min(1, "must not be empty")
      .max(MAX_PROMOTION_NAME_LENGTH, `must be at most ${MAX_PROMOTION_NAME_LENGTH} characters`)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), "must not contain control characters"),
    from: calendarDay,
    to: calendarDay,
  })
  .strict();

/** Raised for a calendar that cannot be used; `key` is the offending entry or field. */
export class PromotionError extends Error {
  override readonly name = "PromotionError";
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
  }
}

function span(p: Promotion): string {
  return `${p.from}..${p.to}`;
}

function overlaps(a: Promotion, b: Promotion): boolean {
  // Same-shape ISO dates order as strings.
  return a.from <= b.to && b.from <= a.to;
}

/**
 * Checks one more promotion against a calendar that is already valid: its own dates, a name
 * not yet used and no shared day with any other promotion.
 * @throws PromotionError with `key` and a reason naming the other promotion.
 */
export function checkPromotionAgainst(
  calendar: readonly Promotion[],
  candidate: Promotion,
  key: string,
): void {
  if (candidate.from > candidate.to) {
    throw new PromotionError(
      key,
      `"${candidate.name}" ends (${candidate.to}) before it starts (${candidate.from})`,
    );
  }
  for (const other of calendar) {
    if (other.name === candidate.name) {
      throw new PromotionError(
        key,
        `the name "${candidate.name}" is already used (${span(other)})`,
      );
    }
  }
  for (const other of calendar) {
    if (overlaps(candidate, other)) {
      throw new PromotionError(
        key,
        `"${candidate.name}" (${span(candidate)}) overlaps "${other.name}" (${span(other)})`,
      );
    }
  }
}

/**
 * Parses a promotion calendar (a JSON array of `{name, from, to}`), sorted by start day.
 * @param keyPrefix what the array is called in the error, e.g. `promotions` or `PROMOTIONS`.
 * @throws PromotionError naming the exact entry or field, e.g.
 *   `promotions[2]: "double-11" (2026-11-09..2026-11-12) overlaps "singles" (2026-11-10..2026-11-11)`.
 */
export function parsePromotions(raw: unknown, keyPrefix = "promotions"): Promotion[] {
  if (!Array.isArray(raw)) {
    throw new PromotionError(keyPrefix, "must be a JSON array of {name, from, to}");
  }
  const accepted: Promotion[] = [];
  raw.forEach((entry, index) => {
    const key = `${keyPrefix}[${index}]`;
    accepted.push(parsePromotion(entry, key, accepted));
  });
  return sortPromotions(accepted);
}

/** Parses one promotion and checks it against `calendar` (see checkPromotionAgainst). */
export function parsePromotion(
  raw: unknown,
  key: string,
  calendar: readonly Promotion[] = [],
): Promotion {
  const parsed = promotionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [
      ...(issue?.path ?? []),
      ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
    ];
    const at = path.length > 0 ? `${key}.${path.join(".")}` : key;
    const reason =
      path.length === 0 && issue?.code === "invalid_type"
        ? "must be an object {name, from, to}"
        : (issue?.message ?? "is invalid");
    throw new PromotionError(at, reason);
  }
  checkPromotionAgainst(calendar, parsed.data, key);
  return parsed.data;
}

export function sortPromotions<T extends Promotion>(promotions: readonly T[]): T[] {
  return [...promotions].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/**
 * Stored promotions plus configured ones, as one calendar.
 * @throws PromotionError when the two disagree (same name, or a shared day).
 */
export function mergePromotions(
  configured: readonly Promotion[],
  stored: readonly Promotion[],
  storedKey = "stored promotions",
): Promotion[] {
  const merged = [...configured];
  stored.forEach((promotion, index) => {
    checkPromotionAgainst(merged, promotion, `${storedKey}[${index}]`);
    merged.push(promotion);
  });
  return sortPromotions(merged);
}

/** A calendar as sorted, disjoint day-number ranges, for lookups per user and day. */
export interface PromotionCalendar {
  /** `[first, last]` day numbers, sorted by `first`. */
  readonly ranges: readonly (readonly [number, number])[];
}

const compiled = new WeakMap<readonly Promotion[], PromotionCalendar>();

/** Compiles once per calendar array: scoring asks for every user of a segment. */
export function promotionCalendar(promotions: readonly Promotion[]): PromotionCalendar {
  let calendar = compiled.get(promotions);
  if (!calendar) {
    calendar = {
      ranges: promotions
        .map((p) => [dayNumberOfKey(p.from), dayNumberOfKey(p.to)] as const)
        .sort((a, b) => a[0] - b[0]),
    };
    compiled.set(promotions, calendar);
  }
  return calendar;
}

/** Whether the local day (a day number) is a promotion day. */
export function isPromotionDay(calendar: PromotionCalendar, day: number): boolean {
  return calendar.ranges.some(([first, last]) => day >= first && day <= last);
}

/**
 * Whether the day is inside a promotion or within `dampingDays` after one ended, when a user's
 * quiet is the hangover of the sale rather than a sign of leaving.
 */
export function isInPromotionDamping(
  calendar: PromotionCalendar,
  day: number,
  dampingDays: number = DEFAULT_PROMOTION_DAMPING_DAYS,
): boolean {
  return dampingPromotion(calendar, day, dampingDays) !== undefined;
}

/**
 * The `[first, last]` days of the promotion whose run or damping days hold `day` (the latest
 * such one when two overlap), or undefined outside every promotion's reach.
 */
export function dampingPromotion(
  calendar: PromotionCalendar,
  day: number,
  dampingDays: number = DEFAULT_PROMOTION_DAMPING_DAYS,
): readonly [number, number] | undefined {
  let found: readonly [number, number] | undefined;
  for (const range of calendar.ranges) {
    if (range[0] > day) break;
    if (day <= range[1] + dampingDays) found = range;
  }
  return found;
}

/** Promotion days among the `n` days ending with `lastDay`, i.e. in (lastDay − n, lastDay]. */
export function promotionDaysIn(calendar: PromotionCalendar, lastDay: number, n: number): number {
  const first = lastDay - n + 1;
  let total = 0;
  for (const [from, to] of calendar.ranges) {
    const overlap = Math.min(to, lastDay) - Math.max(from, first) + 1;
    if (overlap > 0) total += overlap;
  }
  return total;
}

/**
 * For the `n` days ending with `lastDay`, oldest first: whether each is a promotion day.
 * The mask the windows of indicators.ts are filtered with.
 */
export function promotionDayMask(
  calendar: PromotionCalendar,
  lastDay: number,
  n: number,
): boolean[] {
  const mask: boolean[] = [];
  for (let day = lastDay - n + 1; day <= lastDay; day += 1)
    mask.push(isPromotionDay(calendar, day));
  return mask;
}
