/**
 * The indicators the reports name, derived from the stored feature record as of a moment. The
 * record keeps only order-independent aggregates; everything that depends on "now" (windows,
 * stages, tiers, trends) is computed here, so it is always current and never stored stale.
 */
import { dayNumberOfKey, epochMsOfIso, localDayNumber } from "./calendar.js";
import type { EventType } from "./events.js";
import type { MonthTally, Tally, UserFeatures } from "./features.js";
import {
  DEFAULT_PROMOTION_DAMPING_DAYS,
  dampingPromotion,
  isPromotionDay,
  type Promotion,
  type PromotionCalendar,
  promotionCalendar,
} from "./promotions.js";

export type LifecycleStage = "new" | "growth" | "mature";
export type ValueTier = "high" | "standard";

export interface IndicatorOptions {
  /** Spend in the last 365 days above which a user is high value, in minor units (5,000 CNY). */
  readonly highValueMinor: number;
  /** Length of the "recent" period compared with the baseline period just before it. */
  readonly recentDays: number;
  readonly baselineDays: number;
  /**
   * The app's promotion calendar (promotions.ts): its days are left out of the interaction
   * windows, and rules that read a drop or a silence are damped during and after a promotion.
   */
  readonly promotions?: readonly Promotion[];
  /** Days after a promotion that still count as its hangover; 7 unless configured. */
  readonly promotionDampingDays?: number;
}

export const DEFAULT_INDICATOR_OPTIONS: IndicatorOptions = {
  highValueMinor: 500_000,
  recentDays: 14,
  baselineDays: 28,
};

/**
 * Event types a user does on purpose; the rest are signals about the user (device, uninstall).
 * The interaction windows count these, and so does the "no activity" churn label (as-of.ts).
 */
export const INTERACTIONS: readonly EventType[] = Object.freeze([
  "app_open",
  "login",
  "session",
  "page_view",
  "search",
  "product_view",
  "add_to_cart",
  "checkout_start",
  "purchase",
  "review",
  "follow",
  "push_opened",
  "email_opened",
  "sms_clicked",
  "coupon_redeemed",
] as const);

export interface Indicators {
  readonly asOf: string;
  readonly timezone: string;
  readonly lifecycleStage: LifecycleStage;
  readonly daysSinceFirstSeen: number;
  readonly daysSinceLastSeen: number;
  readonly daysSinceLastAppOpen: number | null;
  readonly daysSinceLastLogin: number | null;
  readonly daysSinceLastPurchase: number | null;
  readonly activeDays: {
    readonly d7: number;
    readonly d30: number;
    readonly d90: number;
    readonly d365: number;
    readonly total: number;
  };
  readonly valueTier: ValueTier;
  readonly revenue365Minor: number;
  readonly orders: {
    readonly count: number;
    readonly count365: number;
    readonly revenueMinor: number;
    readonly averageOrderValueMinor: number | null;
    readonly repeatPurchaseDays: number;
    readonly couponOrderShare: number | null;
  };
  readonly rfm: {
    readonly recencyDays: number | null;
    readonly frequency365: number;
    readonly monetary365Minor: number;
  };
  readonly interaction: {
    /** Interactions per non-promotion day of the recent window (0 when it has none). */
    readonly recentPerDay: number;
    /** Interactions per non-promotion day of the baseline window (0 when it has none). */
    readonly baselinePerDay: number;
    /** recent ÷ baseline − 1 (−0.5 is a 50 % drop); null without a baseline or a recent day. */
    readonly change: number | null;
  };
  /**
   * The as-of day lies inside a promotion or within the damping days after one: drop- and
   * silence-based rules are damped (rules.ts).
   */
  readonly inPromotionDamping: boolean;
  /**
   * The first and last local day of the promotion whose run or damping days hold the as-of day,
   * null outside them: what a quiet spell after the sale is measured against.
   */
  readonly dampingPromotionDays: readonly [number, number] | null;
  /**
   * Share of the user's active days in the last 180 that fell inside promotions (0 without a
   * calendar or without activity): near 1 for a promotion hunter.
   */
  readonly promotionActivityShare: number;
  /**
   * Share of the calendar's days inside promotions over the same window (from the user's first
   * day, at most 180 days back): what promotionActivityShare would be for a user whose activity
   * ignores promotions. Their ratio says how promotion-driven the user is, whatever the calendar.
   */
  readonly promotionDayShare: number;
  readonly sessions: { readonly count: number; readonly averageDurationSec: number | null };
  readonly cartAbandonmentRate: number | null;
  readonly complaints: number;
  readonly returnsAndRefunds: number;
  readonly slowPageLoads: { readonly count: number; readonly share: number | null };
  readonly searchesWithoutPurchase30d: number;
  readonly deviceChanges: number;
  readonly regionChanges: number;
  /** Last uninstall or invalid push token that came after the user's last app open. */
  readonly uninstallSignalAt: string | null;
  readonly daysSinceLastCartAbandon: number | null;
  /** Last complaint, return or refund. */
  readonly lastGrievanceAt: string | null;
  readonly silenceSince: string;
}

const DAY_MS = 86_400_000;
const NO_PROMOTIONS: readonly Promotion[] = [];

/** Window over which promotionActivityShare is measured. */
const PROMOTION_SHARE_DAYS = 180;
/** Longest stretch of days (back from today) whose promotion flags are kept as a lookup table. */
const MAX_MASK_DAYS = 1024;
/** Bound on the per-options memo of "today"s: a run meets one or two per time zone. */
const MAX_DAYS_REMEMBERED = 256;

/*
 * Scoring calls deriveIndicators once per user per run, so it is written as one main pass over
 * the day buckets that fills every window at once (after short passes that read the keys and
 * fetch the tallies, see below), and everything that depends only on the options
 * and the day (the promotion calendar, its day counts, the damping) is worked out once and
 * remembered. The results are those of the plain definition, window by window; the property
 * test in test/domain/indicators-reference.test.ts holds the two side by side.
 */

/** The local day of the last moment asked for, per time zone: a run asks for one moment. */
const lastDayByZone = new Map<string, { asOfMs: number; day: number }>();

function localToday(asOfMs: number, timezone: string): number {
  if (timezone === "UTC") return localDayNumber(asOfMs, timezone);
  const remembered = lastDayByZone.get(timezone);
  if (remembered !== undefined && remembered.asOfMs === asOfMs) return remembered.day;
  const day = localDayNumber(asOfMs, timezone);
  if (remembered !== undefined) {
    remembered.asOfMs = asOfMs;
    remembered.day = day;
  } else {
    if (lastDayByZone.size >= MAX_DAYS_REMEMBERED) lastDayByZone.clear();
    lastDayByZone.set(timezone, { asOfMs, day });
  }
  return day;
}

let lastAsOfMs = Number.NaN;
let lastAsOfIso = "";

function isoOf(asOf: Date, asOfMs: number): string {
  if (asOfMs !== lastAsOfMs) {
    lastAsOfIso = asOf.toISOString();
    lastAsOfMs = asOfMs;
  }
  return lastAsOfIso;
}

/** What the options and one local day decide for every user on that day. */
interface DayFacts {
  /** Non-promotion days in the recent and the baseline window. */
  readonly recentDays: number;
  readonly baselineDays: number;
  readonly inPromotionDamping: boolean;
  readonly dampingPromotionDays: readonly [number, number] | null;
  /** 1 where today − index is a promotion day; absent without a calendar. */
  readonly promotionMask: Uint8Array | undefined;
  /** Promotion days among the ages below each index: promotionDaysUpTo[n] counts ages 0..n−1. */
  readonly promotionDaysUpTo: Uint16Array | undefined;
}

/** What is derived from one options object, checked against the fields it was derived from. */
interface OptionsFacts {
  readonly promotions: readonly Promotion[];
  readonly recentDays: number;
  readonly baselineDays: number;
  readonly dampingDays: number;
  readonly calendar: PromotionCalendar;
  readonly hasPromotions: boolean;
  readonly byDay: Map<number, DayFacts>;
}

const factsByOptions = new WeakMap<IndicatorOptions, OptionsFacts>();

function optionsFacts(options: IndicatorOptions): OptionsFacts {
  const promotions = options.promotions ?? NO_PROMOTIONS;
  const dampingDays = options.promotionDampingDays ?? DEFAULT_PROMOTION_DAMPING_DAYS;
  const known = factsByOptions.get(options);
  if (
    known !== undefined &&
    known.promotions === promotions &&
    known.recentDays === options.recentDays &&
    known.baselineDays === options.baselineDays &&
    known.dampingDays === dampingDays
  ) {
    return known;
  }
  const calendar = promotionCalendar(promotions);
  const facts: OptionsFacts = {
    promotions,
    recentDays: options.recentDays,
    baselineDays: options.baselineDays,
    dampingDays,
    calendar,
    hasPromotions: calendar.ranges.length > 0,
    byDay: new Map(),
  };
  factsByOptions.set(options, facts);
  return facts;
}

/** Non-promotion days in (lastDay − n, lastDay]. */
function ordinaryDays(calendar: PromotionCalendar, lastDay: number, n: number): number {
  let days = 0;
  for (let day = lastDay - n + 1; day <= lastDay; day += 1) {
    if (!isPromotionDay(calendar, day)) days += 1;
  }
  return days;
}

function dayFacts(facts: OptionsFacts, today: number): DayFacts {
  const known = facts.byDay.get(today);
  if (known !== undefined) return known;
  const { calendar, recentDays, baselineDays } = facts;
  let promotionMask: Uint8Array | undefined;
  let promotionDaysUpTo: Uint16Array | undefined;
  if (facts.hasPromotions && Number.isFinite(today)) {
    const span = Math.min(
      MAX_MASK_DAYS,
      Math.max(PROMOTION_SHARE_DAYS, Math.ceil(recentDays + baselineDays) || 0),
    );
    promotionMask = new Uint8Array(span);
    promotionDaysUpTo = new Uint16Array(span + 1);
    for (let age = 0; age < span; age += 1) {
      if (isPromotionDay(calendar, today - age)) promotionMask[age] = 1;
      promotionDaysUpTo[age + 1] =
        (promotionDaysUpTo[age] as number) + (promotionMask[age] as number);
    }
  }
  const dampingRange = dampingPromotion(calendar, today, facts.dampingDays);
  const found: DayFacts = {
    recentDays: ordinaryDays(calendar, today, recentDays),
    baselineDays: ordinaryDays(calendar, today - recentDays, baselineDays),
    inPromotionDamping: dampingRange !== undefined,
    dampingPromotionDays: dampingRange ?? null,
    promotionMask,
    promotionDaysUpTo,
  };
  if (facts.byDay.size >= MAX_DAYS_REMEMBERED) facts.byDay.clear();
  facts.byDay.set(today, found);
  return found;
}

/** Promotion days over the share window: the user's days so far, at most PROMOTION_SHARE_DAYS. */
function promotionDayShare(
  facts: OptionsFacts,
  day: DayFacts,
  today: number,
  daysSinceFirstSeen: number,
): number {
  const window = Math.min(PROMOTION_SHARE_DAYS, Math.max(1, daysSinceFirstSeen + 1));
  const upTo = day.promotionDaysUpTo;
  if (upTo !== undefined && window < upTo.length) return (upTo[window] as number) / window;
  let count = 0;
  for (let age = 0; age < window; age += 1) {
    if (isPromotionDay(facts.calendar, today - age)) count += 1;
  }
  return count / window;
}

function daysSince(iso: string | undefined, asOfMs: number): number | null {
  return iso === undefined ? null : Math.floor((asOfMs - epochMsOfIso(iso)) / DAY_MS);
}

const INTERACTION = 1;
const PURCHASE = 2;
const SEARCH = 4;
const REVENUE = 8;

/** What each tally key feeds; keys not listed feed nothing. */
const ROLE_OF_KEY: Readonly<Record<string, number>> = (() => {
  const roles: Record<string, number> = Object.create(null);
  for (const type of INTERACTIONS) roles[type] = INTERACTION;
  roles.purchase = (roles.purchase ?? 0) | PURCHASE;
  roles.search = (roles.search ?? 0) | SEARCH;
  roles.revenueMinor = (roles.revenueMinor ?? 0) | REVENUE;
  return roles;
})();

/** One day bucket's parts, written by readTally (one pass, no allocation). */
let bucketInteractions = 0;
let bucketPurchases = 0;
let bucketSearches = 0;
let bucketRevenueMinor = 0;

/**
 * Reads a bucket by walking its own keys: tallies come in as many shapes as there are key orders,
 * and a walk reads each field directly where a lookup by name per field would miss V8's caches.
 * Counts and amounts are whole numbers (features.ts), so the order of addition changes nothing.
 */
function readTally(tally: Tally | undefined): void {
  bucketInteractions = 0;
  bucketPurchases = 0;
  bucketSearches = 0;
  bucketRevenueMinor = 0;
  if (!tally) return;
  for (const key in tally) {
    const role = ROLE_OF_KEY[key];
    if (role === undefined) continue;
    const value = tally[key as keyof Tally] ?? 0;
    if (role & INTERACTION) bucketInteractions += value;
    if (role & PURCHASE) bucketPurchases += value;
    if (role & SEARCH) bucketSearches += value;
    if (role & REVENUE) bucketRevenueMinor += value;
  }
}

/**
 * readTally for a bucket outside both interaction windows, where only its purchases, revenue and
 * (within 30 days) searches count: three fields by name instead of a walk over all of them.
 * Each is one key, so the sums are readTally's.
 */
function readYearTally(tally: Tally | undefined, withSearches: boolean): void {
  bucketInteractions = 0;
  bucketPurchases = 0;
  bucketSearches = 0;
  bucketRevenueMinor = 0;
  if (!tally) return;
  bucketPurchases += tally.purchase ?? 0;
  bucketRevenueMinor += tally.revenueMinor ?? 0;
  if (withSearches) bucketSearches += tally.search ?? 0;
}

/** Per bucket of the user at hand: its day number and, where a window needs it, its tally. */
let bucketDays = new Float64Array(512);
const bucketTallies: (Tally | undefined)[] = [];
/** How many tallies the last call touched: written, never read, so the touching loop is kept. */
// biome-ignore lint/correctness/noUnusedVariables: the write is what keeps the loop.
let touchedTallies = 0;

/** Key → slot, for reading a few named fields of a record in one walk (see readFields). */
function slotsOf(keys: readonly string[]): Readonly<Record<string, number>> {
  const slots: Record<string, number> = Object.create(null);
  keys.forEach((key, slot) => {
    slots[key] = slot;
  });
  return slots;
}

const COUNT_KEYS = [
  "purchase",
  "page_load",
  "session",
  "cart_abandon",
  "complaint",
  "return",
  "refund",
  "device_change",
  "region_change",
] as const satisfies readonly EventType[];
const LAST_SEEN_KEYS = [
  "app_open",
  "login",
  "purchase",
  "cart_abandon",
  "uninstall",
  "push_token_invalid",
  "complaint",
  "return",
  "refund",
] as const satisfies readonly EventType[];
const AMOUNT_KEYS = ["revenueMinor", "couponOrders", "sessionMs", "slowPageLoads"] as const;
const COUNT_SLOTS = slotsOf(COUNT_KEYS);
const LAST_SEEN_SLOTS = slotsOf(LAST_SEEN_KEYS);
const AMOUNT_SLOTS = slotsOf(AMOUNT_KEYS);
const countFields: (number | undefined)[] = COUNT_KEYS.map(() => undefined);
const lastSeenFields: (string | undefined)[] = LAST_SEEN_KEYS.map(() => undefined);
const amountFields: (number | undefined)[] = AMOUNT_KEYS.map(() => undefined);

/**
 * `into[slot]` = `record[key]` for every key with a slot, undefined for the keys the record lacks.
 * One walk over the record's own keys instead of a lookup by name per field, for the reason
 * readTally gives. A missing record reads as empty unless `required`, where reading a field of
 * it throws as a lookup by name would.
 */
function readFields<V>(
  record: Readonly<Partial<Record<string, V>>> | undefined,
  slots: Readonly<Record<string, number>>,
  into: (V | undefined)[],
  required: boolean,
): void {
  into.fill(undefined);
  if (record === undefined || record === null) {
    if (required) throw new TypeError("cannot read the fields of a missing record");
    return;
  }
  for (const key in record) {
    const slot = slots[key];
    if (slot !== undefined) into[slot] = record[key];
  }
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

function popcount(mask: number): number {
  let bits = 0;
  for (let m = mask >>> 0; m > 0; m &= m - 1) bits += 1;
  return bits;
}

function afterLastOpen(at: string | undefined, lastOpen: string | undefined): string | undefined {
  return at !== undefined && (lastOpen === undefined || at > lastOpen) ? at : undefined;
}

/** Whether a bucket's day is a promotion day: from the day's mask where it reaches. */
function isPromotion(
  facts: OptionsFacts,
  day: DayFacts,
  today: number,
  bucketDay: number,
): boolean {
  if (!facts.hasPromotions) return false;
  const mask = day.promotionMask;
  const age = today - bucketDay;
  return mask !== undefined && age >= 0 && age < mask.length
    ? mask[age] === 1
    : isPromotionDay(facts.calendar, bucketDay);
}

/** The later of two optional ISO times (same-shape ISO strings order as times). */
function later(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined || (b !== undefined && b > a) ? b : a;
}

export function deriveIndicators(
  features: UserFeatures,
  asOf: Date,
  options: IndicatorOptions = DEFAULT_INDICATOR_OPTIONS,
): Indicators {
  const asOfMs = asOf.getTime();
  const asOfIso = isoOf(asOf, asOfMs);
  const timezone = features.timezone ?? "UTC";
  const today = localToday(asOfMs, timezone);
  const facts = optionsFacts(options);
  const day = dayFacts(facts, today);
  const { hasPromotions } = facts;
  // Each window is (today − n, today]; the interaction windows leave promotion days out, so
  // neither a sale's spike nor its lull is compared with ordinary days.
  const after7 = today - 7;
  const after30 = today - 30;
  const after90 = today - 90;
  const after365 = today - 365;
  const recentAfter = today - options.recentDays;
  const baselineAfter = recentAfter - options.baselineDays;
  const shareAfter = today - PROMOTION_SHARE_DAYS;

  let active7 = 0;
  let active30 = 0;
  let active90 = 0;
  let active365 = 0;
  let revenue365Minor = 0;
  let purchases365 = 0;
  let purchases30 = 0;
  let searches30 = 0;
  let recentTotal = 0;
  let baselineTotal = 0;
  let shareActive = 0;
  let shareInPromotion = 0;

  // Three passes over the buckets: their days; the tallies the windows need, looked up and then
  // touched in a tight loop so that fetching them from memory overlaps (a heavy user's hundred
  // tallies lie all over the heap, and reading them one by one in the main loop waits for each);
  // then the main loop, on tallies already at hand.
  const days = features.days ?? {};
  const keys = Object.keys(days);
  const bucketCount = keys.length;
  if (bucketDays.length < bucketCount) bucketDays = new Float64Array(bucketCount * 2);
  for (let index = 0; index < bucketCount; index += 1) {
    bucketDays[index] = dayNumberOfKey(keys[index] as string);
  }
  for (let index = 0; index < bucketCount; index += 1) {
    const bucketDay = bucketDays[index] as number;
    const needed =
      (bucketDay <= today && bucketDay > after365) ||
      (bucketDay <= today && bucketDay > recentAfter) ||
      (bucketDay <= recentAfter && bucketDay > baselineAfter);
    bucketTallies[index] = needed ? days[keys[index] as string] : undefined;
  }
  let objects = 0;
  for (let index = 0; index < bucketCount; index += 1) {
    if (typeof bucketTallies[index] === "object") objects += 1;
  }
  touchedTallies = objects;
  for (let index = 0; index < bucketCount; index += 1) {
    const bucketDay = bucketDays[index] as number;
    const notLater = bucketDay <= today;
    const inYear = notLater && bucketDay > after365;
    const inRecent = notLater && bucketDay > recentAfter;
    const inBaseline = bucketDay <= recentAfter && bucketDay > baselineAfter;
    if (inRecent || inBaseline) {
      readTally(bucketTallies[index]);
    } else if (inYear) {
      readYearTally(bucketTallies[index], bucketDay > after30);
    }
    if (inYear || inRecent || inBaseline) {
      if (inYear) {
        active365 += 1;
        revenue365Minor += bucketRevenueMinor;
        purchases365 += bucketPurchases;
        if (bucketDay > after90) {
          active90 += 1;
          if (bucketDay > after30) {
            active30 += 1;
            purchases30 += bucketPurchases;
            searches30 += bucketSearches;
            if (bucketDay > after7) active7 += 1;
          }
        }
      }
      if (inRecent && !isPromotion(facts, day, today, bucketDay)) {
        recentTotal += bucketInteractions;
      }
      if (inBaseline && !isPromotion(facts, day, today, bucketDay)) {
        baselineTotal += bucketInteractions;
      }
    }
    // As its plain definition does, the share counts a bucket unless it is outside the window.
    if (hasPromotions && !(bucketDay > today || bucketDay <= shareAfter)) {
      shareActive += 1;
      if (isPromotion(facts, day, today, bucketDay)) shareInPromotion += 1;
    }
  }
  // Not kept alive until the next call.
  bucketTallies.fill(undefined, 0, bucketCount);

  let compactedActiveDays = 0;
  const months = features.months;
  if (months) {
    for (const key of Object.keys(months)) {
      compactedActiveDays += popcount((months[key] as MonthTally).activeDayMask);
    }
  }

  const recentPerDay = day.recentDays > 0 ? recentTotal / day.recentDays : 0;
  const baselinePerDay = day.baselineDays > 0 ? baselineTotal / day.baselineDays : 0;
  readFields(features.countsByType, COUNT_SLOTS, countFields, true);
  readFields(features.lastSeenByType, LAST_SEEN_SLOTS, lastSeenFields, true);
  readFields(features.amounts, AMOUNT_SLOTS, amountFields, false);
  const [
    purchaseCount,
    pageLoadCount,
    sessionCount,
    cartAbandonCount,
    complaintCount,
    returnCount,
    refundCount,
    deviceChangeCount,
    regionChangeCount,
  ] = countFields;
  const [
    lastOpen,
    lastLogin,
    lastPurchase,
    lastCartAbandon,
    lastUninstall,
    lastPushTokenInvalid,
    lastComplaint,
    lastReturn,
    lastRefund,
  ] = lastSeenFields;
  const [revenueAmount, couponOrderAmount, sessionMsAmount, slowPageLoadAmount] = amountFields;
  const orders = purchaseCount ?? 0;
  const pageLoads = pageLoadCount ?? 0;
  const sessions = sessionCount ?? 0;
  const cartAbandons = cartAbandonCount ?? 0;
  const revenueMinor = revenueAmount ?? 0;
  const slowPageLoads = slowPageLoadAmount ?? 0;
  const uninstallSignalAt = later(
    afterLastOpen(lastUninstall, lastOpen),
    afterLastOpen(lastPushTokenInvalid, lastOpen),
  );
  const lastGrievanceAt = later(later(lastComplaint, lastReturn), lastRefund);
  const daysSinceFirstSeen = daysSince(features.firstSeenAt, asOfMs) ?? 0;
  const daysSinceLastPurchase = daysSince(lastPurchase, asOfMs);

  return {
    asOf: asOfIso,
    timezone,
    lifecycleStage:
      daysSinceFirstSeen <= 30 ? "new" : daysSinceFirstSeen <= 180 ? "growth" : "mature",
    daysSinceFirstSeen,
    daysSinceLastSeen: daysSince(features.lastSeenAt, asOfMs) ?? 0,
    daysSinceLastAppOpen: daysSince(lastOpen, asOfMs),
    daysSinceLastLogin: daysSince(lastLogin, asOfMs),
    daysSinceLastPurchase,
    activeDays: {
      d7: active7,
      d30: active30,
      d90: active90,
      d365: active365,
      total: bucketCount + compactedActiveDays,
    },
    valueTier: revenue365Minor > options.highValueMinor ? "high" : "standard",
    revenue365Minor,
    orders: {
      count: orders,
      count365: purchases365,
      revenueMinor,
      averageOrderValueMinor: orders > 0 ? Math.round(revenueMinor / orders) : null,
      repeatPurchaseDays: Math.max(0, (features.purchaseDays?.length ?? 0) - 1),
      couponOrderShare: ratio(couponOrderAmount ?? 0, orders),
    },
    rfm: {
      recencyDays: daysSinceLastPurchase,
      frequency365: purchases365,
      monetary365Minor: revenue365Minor,
    },
    interaction: {
      recentPerDay,
      baselinePerDay,
      change: baselinePerDay > 0 && day.recentDays > 0 ? recentPerDay / baselinePerDay - 1 : null,
    },
    inPromotionDamping: day.inPromotionDamping,
    dampingPromotionDays: day.dampingPromotionDays,
    promotionActivityShare: shareActive > 0 ? shareInPromotion / shareActive : 0,
    promotionDayShare: hasPromotions ? promotionDayShare(facts, day, today, daysSinceFirstSeen) : 0,
    sessions: {
      count: sessions,
      averageDurationSec: sessions > 0 ? (sessionMsAmount ?? 0) / sessions / 1000 : null,
    },
    cartAbandonmentRate: ratio(cartAbandons, cartAbandons + orders),
    complaints: complaintCount ?? 0,
    returnsAndRefunds: (returnCount ?? 0) + (refundCount ?? 0),
    slowPageLoads: { count: slowPageLoads, share: ratio(slowPageLoads, pageLoads) },
    searchesWithoutPurchase30d: purchases30 === 0 ? searches30 : 0,
    deviceChanges: deviceChangeCount ?? 0,
    regionChanges: regionChangeCount ?? 0,
    uninstallSignalAt: uninstallSignalAt ?? null,
    daysSinceLastCartAbandon: daysSince(lastCartAbandon, asOfMs),
    lastGrievanceAt: lastGrievanceAt ?? null,
    silenceSince: features.lastSeenAt,
  };
}
