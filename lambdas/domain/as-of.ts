/**
 * A feature record seen from a moment in its past. Training a churn model on a replayed history
 * needs, per user, the record as it stood at the cut-off (the inputs) and what the user did in
 * the horizon after it (the label); both come from the one stored record, so a replay is read
 * once instead of re-applied per cut-off.
 *
 * Granularity is the local day in the user's current time zone (`features.timezone`): buckets
 * are per day, so the cut-off keeps the whole local day that holds `asOf`. Choose `asOf` at a
 * local midnight to make that exact. Events were bucketed in the zone each one named; a user who
 * changed zones can be off by a day at the cut-off.
 */
import { dayKey, dayNumberOfKey, epochMsOfIso, localDayNumber, utcOffsetMs } from "./calendar.js";
import { EVENT_TYPES, type EventType } from "./events.js";
import { compactionHorizon, type MonthTally, type Tally, type UserFeatures } from "./features.js";
// The types the interaction indicators count, so "no activity in the horizon" means what they mean.
import { INTERACTIONS } from "./indicators.js";

const DAY_MS = 86_400_000;
const NOON_MS = 12 * 3_600_000;

const PURCHASES: readonly EventType[] = ["purchase"];
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Noon of a local day; noon because no zone shifts its clocks then, so it always exists. */
function localNoonMs(day: number, timeZone: string): number {
  const target = day * DAY_MS + NOON_MS;
  if (timeZone === "UTC") return target;
  let guess = target;
  // Two rounds settle the offset even when the first guess lands across a DST change.
  for (let round = 0; round < 2; round += 1) guess = target - utcOffsetMs(guess, timeZone);
  return guess;
}

/** Lowest and highest day number with activity in a compacted month. */
function activeSpan(key: string, month: MonthTally): { first: number; last: number } {
  const start = dayNumberOfKey(`${key}-01`);
  const mask = month.activeDayMask >>> 0;
  if (mask === 0) return { first: start, last: start };
  const lowest = 31 - Math.clz32(mask & -mask);
  const highest = 31 - Math.clz32(mask);
  return { first: start + lowest, last: start + highest };
}

/**
 * A month's tally spread over its active days: each count split as evenly as whole numbers
 * allow, the remainder going to the earliest days, so every sum over the month is unchanged.
 */
function spreadMonth(key: string, month: MonthTally): [string, Tally][] {
  const start = dayNumberOfKey(`${key}-01`);
  const active: number[] = [];
  for (let bit = 0; bit < 31; bit += 1) {
    if ((month.activeDayMask >>> bit) & 1) active.push(start + bit);
  }
  if (active.length === 0) active.push(start);
  const tallies = active.map(() => ({}) as Record<string, number>);
  for (const [name, value] of Object.entries(month.tally)) {
    if (!value) continue;
    const base = Math.floor(value / active.length);
    const rest = value - base * active.length;
    tallies.forEach((tally, index) => {
      const share = base + (index < rest ? 1 : 0);
      if (share) tally[name] = share;
    });
  }
  return active.map((day, index) => [dayKey(day), tallies[index] as Tally]);
}

/** Date.parse of the last-seen time; digit by digit for the shape the record stores. */
function lastSeenMs(features: UserFeatures): number {
  const lastSeenAt: unknown = features.lastSeenAt;
  return typeof lastSeenAt === "string"
    ? epochMsOfIso(lastSeenAt)
    : Date.parse(lastSeenAt as string);
}

function sumKeys(tally: Tally, keys: readonly string[]): number {
  let total = 0;
  for (const key of keys) total += (tally as Record<string, number>)[key] ?? 0;
  return total;
}

/**
 * The record as it was with only the events up to the local day of `asOf` (see the module note
 * on granularity). Undefined when the user had no event by then: there was no user to score.
 *
 * - `lastSeenAt ≤ asOf` returns the input itself, untouched: the production path allocates nothing.
 * - A compacted month is one tally for many days and cannot be split: it is kept when its last
 *   active day is on or before the cut-off day and dropped otherwise, so its events before the
 *   cut-off are lost rather than later ones leaking in. Only cut-offs more than RECENT_DAYS
 *   before the user's last event can meet such a month.
 * - Counts, amounts and `eventCount` are summed from the kept buckets. A first/last-seen time
 *   at or before `asOf` is exact and kept; one after it is rebuilt from the buckets as local noon
 *   of the day, but never after `asOf`.
 * - `timezone` (and its source) stay: the cut-off day is read in that zone.
 */
export function featuresAsOf(features: UserFeatures, asOf: Date): UserFeatures | undefined {
  const asOfMs = asOf.getTime();
  if (lastSeenMs(features) <= asOfMs) return features;

  const zone = features.timezone ?? "UTC";
  const asOfDay = localDayNumber(asOfMs, zone);
  const days: Record<string, Tally> = {};
  const months: Record<string, MonthTally> = {};
  const totals: Record<string, number> = {};
  const firstDayByType: Partial<Record<EventType, number>> = {};
  const lastDayByType: Partial<Record<EventType, number>> = {};

  const take = (tally: Tally, first: number, last: number) => {
    for (const [key, value] of Object.entries(tally)) {
      if (!value) continue;
      totals[key] = (totals[key] ?? 0) + value;
      if (!EVENT_TYPE_SET.has(key)) continue;
      const type = key as EventType;
      const seenFirst = firstDayByType[type];
      const seenLast = lastDayByType[type];
      if (seenFirst === undefined || first < seenFirst) firstDayByType[type] = first;
      if (seenLast === undefined || last > seenLast) lastDayByType[type] = last;
    }
  };

  for (const [key, tally] of Object.entries(features.days ?? {})) {
    const day = dayNumberOfKey(key);
    if (day > asOfDay) continue;
    days[key] = tally;
    take(tally, day, day);
  }
  for (const [key, month] of Object.entries(features.months ?? {})) {
    const span = activeSpan(key, month);
    if (span.last > asOfDay) continue;
    months[key] = month;
    take(month.tally, span.first, span.last);
  }

  const stamp = (day: number): string =>
    new Date(Math.min(localNoonMs(day, zone), asOfMs)).toISOString();
  const exact = (iso: string | undefined): iso is string =>
    iso !== undefined && Date.parse(iso) <= asOfMs;

  const countsByType: Partial<Record<EventType, number>> = {};
  const amounts: Record<string, number> = {};
  const firstSeenByType: Partial<Record<EventType, string>> = {};
  const lastSeenByType: Partial<Record<EventType, string>> = {};
  let eventCount = 0;
  let firstSeenAt: string | undefined;
  let lastSeenAt: string | undefined;

  for (const [key, value] of Object.entries(totals)) {
    if (EVENT_TYPE_SET.has(key)) {
      countsByType[key as EventType] = value;
      eventCount += value;
    } else {
      amounts[key] = value;
    }
  }
  for (const type of EVENT_TYPES) {
    const storedFirst = features.firstSeenByType[type];
    const storedLast = features.lastSeenByType[type];
    const firstDay = firstDayByType[type];
    const lastDay = lastDayByType[type];
    // A type seen by asOf stays even if its events sat in a month that had to be dropped.
    const first = exact(storedFirst)
      ? storedFirst
      : firstDay === undefined
        ? undefined
        : stamp(firstDay);
    if (first === undefined) continue;
    let last = exact(storedLast) ? storedLast : lastDay === undefined ? first : stamp(lastDay);
    if (last < first) last = first;
    firstSeenByType[type] = first;
    lastSeenByType[type] = last;
    if (firstSeenAt === undefined || first < firstSeenAt) firstSeenAt = first;
    if (lastSeenAt === undefined || last > lastSeenAt) lastSeenAt = last;
  }
  if (firstSeenAt === undefined || lastSeenAt === undefined) return undefined;
  if (exact(features.firstSeenAt)) firstSeenAt = features.firstSeenAt;

  const purchaseDays: number[] = [];
  for (const day of features.purchaseDays ?? []) if (day <= asOfDay) purchaseDays.push(day);

  // The stored record compacted days relative to its own (later) last event; on the day of
  // asOf they would still have been day buckets. Left as months they would make the view of a
  // user who kept buying look different from one who left — a leak of the future into every
  // windowed indicator. So months the view would have kept as days are spread back over their
  // active days.
  const horizon = compactionHorizon(lastSeenAt);
  for (const [key, month] of Object.entries(months)) {
    if (activeSpan(key, month).first < horizon) continue;
    delete months[key];
    for (const [dayKeyText, tally] of spreadMonth(key, month)) {
      const merged: Record<string, number> = { ...days[dayKeyText] };
      for (const [name, value] of Object.entries(tally)) merged[name] = (merged[name] ?? 0) + value;
      days[dayKeyText] = merged;
    }
  }

  return {
    ...features,
    firstSeenAt,
    lastSeenAt,
    firstSeenByType,
    lastSeenByType,
    eventCount,
    countsByType,
    amounts,
    days,
    months,
    purchaseDays,
  };
}

/**
 * Interaction events (`activity`: the types the interaction indicators count) or purchases on
 * local days in (day of asOf, day of asOf + horizonDays], in the user's current time zone. A
 * compacted month counts only when all its active days lie inside the window; one that
 * straddles an end of the window is left out, which can only happen for a window more than
 * RECENT_DAYS before the user's last event.
 */
export function activityAfter(
  features: UserFeatures,
  asOf: Date,
  horizonDays: number,
  kind: "activity" | "purchase",
): number {
  if (!(Number.isInteger(horizonDays) && horizonDays >= 1)) {
    throw new RangeError(`horizonDays must be a positive whole number, got ${horizonDays}`);
  }
  const asOfMs = asOf.getTime();
  if (lastSeenMs(features) <= asOfMs) return 0;
  const keys = kind === "activity" ? INTERACTIONS : PURCHASES;
  const start = localDayNumber(asOfMs, features.timezone ?? "UTC");
  const end = start + horizonDays;
  let total = 0;
  for (const [key, tally] of Object.entries(features.days ?? {})) {
    const day = dayNumberOfKey(key);
    if (day > start && day <= end) total += sumKeys(tally, keys);
  }
  for (const [key, month] of Object.entries(features.months ?? {})) {
    const span = activeSpan(key, month);
    if (span.first > start && span.last <= end) total += sumKeys(month.tally, keys);
  }
  return total;
}

/** Churned in the horizon: no activity (or no purchase) at all in it. */
export function isChurnLabel(
  features: UserFeatures,
  asOf: Date,
  horizonDays: number,
  kind: "activity" | "purchase",
): boolean {
  return activityAfter(features, asOf, horizonDays, kind) === 0;
}
