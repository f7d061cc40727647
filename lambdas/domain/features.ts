import { dayKey, dayNumberOfKey, dayOfMonth, localDayNumber, monthKey } from "./calendar.js";
import type { BehaviourEvent, EventType } from "./events.js";
import type { RiskAssessment } from "./risk.js";

/** Page loads slower than this count as slow (the reports: > 3 s raises churn 21 %). */
export const SLOW_PAGE_LOAD_MS = 3000;
/** Day buckets kept as days; older ones are compacted into months so an item stays small. */
export const RECENT_DAYS = 400;
export const FEATURES_SCHEMA_VERSION = 2;

/** Sums other than event counts, all integers so that any order of addition is exact. */
export type AmountKey =
  | "revenueMinor"
  | "refundMinor"
  | "sessionMs"
  | "slowPageLoads"
  | "zeroResultSearches"
  | "couponOrders";

/** One period's counts per event type and amounts; absent keys are zero. */
export type Tally = Partial<Record<EventType | AmountKey, number>>;

export interface MonthTally {
  readonly tally: Tally;
  /** Bit d-1 set when local day d of the month had any event (distinct active days survive compaction). */
  readonly activeDayMask: number;
}

/** An accepted event as the features function applies it, amounts already in base currency. */
export interface FeatureInput {
  readonly event: BehaviourEvent;
  /** Amount of a purchase, refund or return in minor units (fen) of the base currency. */
  readonly baseAmountMinor?: number;
  /** When the API accepted it: events queued before an erasure of their user are dropped. */
  readonly receivedAt?: string;
}

/**
 * The behaviour part of a user's profile. Every field is an order-independent aggregate (min,
 * max, sum, union, bitwise or) over the events applied, so any order and any split into
 * batches gives the identical record; duplicates are kept out before this by dedupe markers.
 */
export interface UserFeatures {
  readonly schemaVersion: number;
  readonly appId: string;
  readonly userId: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly firstSeenByType: Readonly<Partial<Record<EventType, string>>>;
  readonly lastSeenByType: Readonly<Partial<Record<EventType, string>>>;
  readonly eventCount: number;
  readonly countsByType: Readonly<Partial<Record<EventType, number>>>;
  readonly amounts: Readonly<Partial<Record<AmountKey, number>>>;
  /** Local-day buckets (`YYYY-MM-DD` in the event's time zone) of the last RECENT_DAYS days. */
  readonly days: Readonly<Record<string, Tally>>;
  /** Older buckets by local month (`YYYY-MM`). */
  readonly months: Readonly<Record<string, MonthTally>>;
  /** Sorted distinct local days (day numbers) with a purchase: the buy-till-you-die inputs. */
  readonly purchaseDays: readonly number[];
  /** Time zone of the latest event that named one. */
  readonly timezone?: string;
  /** The event the time zone came from, `occurredAt|eventId`, so the latest one wins in any order. */
  readonly timezoneSource?: string;
}

/** The stored profile: features plus what scoring wrote, with a version for optimistic locking. */
export interface UserProfile extends UserFeatures {
  readonly version: number;
  readonly risk?: RiskAssessment;
}

const AMOUNT_KEYS: readonly AmountKey[] = [
  "revenueMinor",
  "refundMinor",
  "sessionMs",
  "slowPageLoads",
  "zeroResultSearches",
  "couponOrders",
];

/** What one event adds to a tally. */
export function tallyOf(input: FeatureInput): Tally {
  const { event } = input;
  const tally: Record<string, number> = { [event.type]: 1 };
  const properties = (event.properties ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case "session":
      tally.sessionMs = Math.round(Number(properties.durationSec) * 1000);
      break;
    case "page_load":
      if (Number(properties.ms) > SLOW_PAGE_LOAD_MS) tally.slowPageLoads = 1;
      break;
    case "search":
      if (properties.resultCount === 0) tally.zeroResultSearches = 1;
      break;
    case "purchase":
      tally.revenueMinor = input.baseAmountMinor ?? 0;
      if (typeof properties.couponCode === "string" && properties.couponCode !== "") {
        tally.couponOrders = 1;
      }
      break;
    case "refund":
    case "return":
      tally.refundMinor = input.baseAmountMinor ?? 0;
      break;
    default:
      break;
  }
  return tally;
}

function addTally(target: Record<string, number>, add: Tally): void {
  for (const [key, value] of Object.entries(add)) {
    if (value) target[key] = (target[key] ?? 0) + value;
  }
}

function earlier(a: string | undefined, b: string): string {
  return a === undefined || b < a ? b : a;
}

function later(a: string | undefined, b: string): string {
  return a === undefined || b > a ? b : a;
}

function insertSorted(sorted: number[], value: number): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((sorted[mid] as number) < value) low = mid + 1;
    else high = mid;
  }
  if (sorted[low] !== value) sorted.splice(low, 0, value);
}

function cloneTallies<T>(record: Readonly<Record<string, T>> | undefined): Record<string, T> {
  return structuredClone({ ...(record ?? {}) }) as Record<string, T>;
}

function addToMonth(months: Record<string, MonthTally>, day: number, tally: Tally): void {
  const key = monthKey(day);
  const current = months[key] ?? { tally: {}, activeDayMask: 0 };
  const merged: Record<string, number> = { ...current.tally };
  addTally(merged, tally);
  months[key] = {
    tally: merged,
    activeDayMask: current.activeDayMask | (1 << (dayOfMonth(day) - 1)),
  };
}

/** The first day kept as a day bucket: RECENT_DAYS before the UTC day of the last event. */
export function compactionHorizon(lastSeenAt: string): number {
  return localDayNumber(Date.parse(lastSeenAt)) - RECENT_DAYS;
}

export function applyEvents(
  current: UserFeatures | undefined,
  appId: string,
  userId: string,
  inputs: readonly FeatureInput[],
): UserFeatures {
  if (inputs.length === 0) {
    if (!current) throw new Error("applyEvents needs a profile or at least one event");
    return current;
  }
  const firstSeenByType: Partial<Record<EventType, string>> = { ...current?.firstSeenByType };
  const lastSeenByType: Partial<Record<EventType, string>> = { ...current?.lastSeenByType };
  const countsByType: Record<string, number> = { ...current?.countsByType };
  const amounts: Record<string, number> = { ...current?.amounts };
  const days = cloneTallies<Tally>(current?.days);
  const months = cloneTallies<MonthTally>(current?.months);
  const purchaseDays = [...(current?.purchaseDays ?? [])];
  let firstSeenAt = current?.firstSeenAt;
  let lastSeenAt = current?.lastSeenAt;
  let timezone = current?.timezone;
  let timezoneSource = current?.timezoneSource;

  for (const input of inputs) {
    const at = new Date(input.event.occurredAt).toISOString();
    lastSeenAt = later(lastSeenAt, at);
  }
  const horizon = compactionHorizon(lastSeenAt as string);

  for (const input of inputs) {
    const { event } = input;
    const epochMs = Date.parse(event.occurredAt);
    const at = new Date(epochMs).toISOString();
    const zone = event.context?.timezone;
    firstSeenAt = earlier(firstSeenAt, at);
    firstSeenByType[event.type] = earlier(firstSeenByType[event.type], at);
    lastSeenByType[event.type] = later(lastSeenByType[event.type], at);
    if (zone) {
      const source = `${at}|${event.eventId}`;
      if (timezoneSource === undefined || source > timezoneSource) {
        timezone = zone;
        timezoneSource = source;
      }
    }
    const tally = tallyOf(input);
    countsByType[event.type] = (countsByType[event.type] ?? 0) + 1;
    for (const key of AMOUNT_KEYS) {
      const value = tally[key];
      if (value) amounts[key] = (amounts[key] ?? 0) + value;
    }
    const day = localDayNumber(epochMs, zone ?? "UTC");
    if (event.type === "purchase") insertSorted(purchaseDays, day);
    if (day < horizon) {
      addToMonth(months, day, tally);
    } else {
      const key = dayKey(day);
      const bucket: Record<string, number> = { ...days[key] };
      addTally(bucket, tally);
      days[key] = bucket;
    }
  }

  // The horizon moved with the newest event: days that fell behind it become month buckets.
  for (const key of Object.keys(days)) {
    const day = dayNumberOfKey(key);
    if (day < horizon) {
      addToMonth(months, day, days[key] as Tally);
      delete days[key];
    }
  }

  return {
    schemaVersion: FEATURES_SCHEMA_VERSION,
    appId,
    userId,
    firstSeenAt: firstSeenAt as string,
    lastSeenAt: lastSeenAt as string,
    firstSeenByType,
    lastSeenByType,
    eventCount: (current?.eventCount ?? 0) + inputs.length,
    countsByType,
    amounts,
    days,
    months,
    purchaseDays,
    ...(timezone ? { timezone, timezoneSource } : {}),
  };
}
