/**
 * The indicators the reports name, derived from the stored feature record as of a moment. The
 * record keeps only order-independent aggregates; everything that depends on "now" (windows,
 * stages, tiers, trends) is computed here, so it is always current and never stored stale.
 */
import { dayNumberOfKey, localDayNumber } from "./calendar.js";
import type { EventType } from "./events.js";
import type { Tally, UserFeatures } from "./features.js";
import {
  DEFAULT_PROMOTION_DAMPING_DAYS,
  isInPromotionDamping,
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

/** Event types a user does on purpose; the rest are signals about the user (device, uninstall). */
const INTERACTIONS: readonly EventType[] = [
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
];

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
   * Share of the user's active days in the last 180 that fell inside promotions (0 without a
   * calendar or without activity): near 1 for a promotion hunter.
   */
  readonly promotionActivityShare: number;
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

function daysSince(iso: string | undefined, asOfMs: number): number | null {
  return iso === undefined ? null : Math.floor((asOfMs - Date.parse(iso)) / DAY_MS);
}

function sumTally(tally: Tally | undefined, keys: readonly string[]): number {
  if (!tally) return 0;
  let total = 0;
  for (const key of keys) total += (tally as Record<string, number>)[key] ?? 0;
  return total;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** Day buckets whose local day lies in (today − n, today]. */
function window(features: UserFeatures, today: number, n: number): Tally[] {
  const buckets: Tally[] = [];
  for (const [key, tally] of Object.entries(features.days ?? {})) {
    const day = dayNumberOfKey(key);
    if (day <= today && day > today - n) buckets.push(tally);
  }
  return buckets;
}

/** Window over which promotionActivityShare is measured. */
const PROMOTION_SHARE_DAYS = 180;

/** Interactions over the non-promotion days in (lastDay − n, lastDay], and how many days those are. */
function interactionsOutsidePromotions(
  features: UserFeatures,
  calendar: PromotionCalendar,
  lastDay: number,
  n: number,
): { total: number; days: number } {
  let total = 0;
  for (const [key, tally] of Object.entries(features.days ?? {})) {
    const day = dayNumberOfKey(key);
    if (day <= lastDay && day > lastDay - n && !isPromotionDay(calendar, day)) {
      total += sumTally(tally, INTERACTIONS);
    }
  }
  let days = 0;
  for (let day = lastDay - n + 1; day <= lastDay; day += 1) {
    if (!isPromotionDay(calendar, day)) days += 1;
  }
  return { total, days };
}

function promotionActivityShare(
  features: UserFeatures,
  calendar: PromotionCalendar,
  today: number,
): number {
  if (calendar.ranges.length === 0) return 0;
  let active = 0;
  let inPromotion = 0;
  for (const key of Object.keys(features.days ?? {})) {
    const day = dayNumberOfKey(key);
    if (day > today || day <= today - PROMOTION_SHARE_DAYS) continue;
    active += 1;
    if (isPromotionDay(calendar, day)) inPromotion += 1;
  }
  return active > 0 ? inPromotion / active : 0;
}

function popcount(mask: number): number {
  let bits = 0;
  for (let m = mask >>> 0; m > 0; m &= m - 1) bits += 1;
  return bits;
}

export function deriveIndicators(
  features: UserFeatures,
  asOf: Date,
  options: IndicatorOptions = DEFAULT_INDICATOR_OPTIONS,
): Indicators {
  const asOfMs = asOf.getTime();
  const timezone = features.timezone ?? "UTC";
  const today = localDayNumber(asOfMs, timezone);
  const counts = features.countsByType;
  const amounts = features.amounts ?? {};
  const sumWindow = (n: number, keys: readonly string[]) =>
    window(features, today, n).reduce((total, tally) => total + sumTally(tally, keys), 0);
  const activeIn = (n: number) => window(features, today, n).length;

  const daysSinceFirstSeen = daysSince(features.firstSeenAt, asOfMs) ?? 0;
  const revenue365Minor = sumWindow(365, ["revenueMinor"]);
  const purchases365 = sumWindow(365, ["purchase"]);
  const purchases30 = sumWindow(30, ["purchase"]);
  const calendar = promotionCalendar(options.promotions ?? NO_PROMOTIONS);
  // Both windows leave promotion days out, so neither the sale's spike nor its lull is compared
  // with ordinary days.
  const recent = interactionsOutsidePromotions(features, calendar, today, options.recentDays);
  const baseline = interactionsOutsidePromotions(
    features,
    calendar,
    today - options.recentDays,
    options.baselineDays,
  );
  const recentPerDay = recent.days > 0 ? recent.total / recent.days : 0;
  const baselinePerDay = baseline.days > 0 ? baseline.total / baseline.days : 0;
  const orders = counts.purchase ?? 0;
  const pageLoads = counts.page_load ?? 0;
  const sessions = counts.session ?? 0;
  const cartAbandons = counts.cart_abandon ?? 0;
  const lastOpen = features.lastSeenByType.app_open;
  const uninstallSignalAt = [
    features.lastSeenByType.uninstall,
    features.lastSeenByType.push_token_invalid,
  ]
    .filter((at): at is string => at !== undefined && (lastOpen === undefined || at > lastOpen))
    .sort()
    .at(-1);
  const compactedActiveDays = Object.values(features.months ?? {}).reduce(
    (total, month) => total + popcount(month.activeDayMask),
    0,
  );

  return {
    asOf: asOf.toISOString(),
    timezone,
    lifecycleStage:
      daysSinceFirstSeen <= 30 ? "new" : daysSinceFirstSeen <= 180 ? "growth" : "mature",
    daysSinceFirstSeen,
    daysSinceLastSeen: daysSince(features.lastSeenAt, asOfMs) ?? 0,
    daysSinceLastAppOpen: daysSince(lastOpen, asOfMs),
    daysSinceLastLogin: daysSince(features.lastSeenByType.login, asOfMs),
    daysSinceLastPurchase: daysSince(features.lastSeenByType.purchase, asOfMs),
    activeDays: {
      d7: activeIn(7),
      d30: activeIn(30),
      d90: activeIn(90),
      d365: activeIn(365),
      total: Object.keys(features.days ?? {}).length + compactedActiveDays,
    },
    valueTier: revenue365Minor > options.highValueMinor ? "high" : "standard",
    revenue365Minor,
    orders: {
      count: orders,
      count365: purchases365,
      revenueMinor: amounts.revenueMinor ?? 0,
      averageOrderValueMinor: orders > 0 ? Math.round((amounts.revenueMinor ?? 0) / orders) : null,
      repeatPurchaseDays: Math.max(0, (features.purchaseDays?.length ?? 0) - 1),
      couponOrderShare: ratio(amounts.couponOrders ?? 0, orders),
    },
    rfm: {
      recencyDays: daysSince(features.lastSeenByType.purchase, asOfMs),
      frequency365: purchases365,
      monetary365Minor: revenue365Minor,
    },
    interaction: {
      recentPerDay,
      baselinePerDay,
      change: baselinePerDay > 0 && recent.days > 0 ? recentPerDay / baselinePerDay - 1 : null,
    },
    inPromotionDamping: isInPromotionDamping(
      calendar,
      today,
      options.promotionDampingDays ?? DEFAULT_PROMOTION_DAMPING_DAYS,
    ),
    promotionActivityShare: promotionActivityShare(features, calendar, today),
    sessions: {
      count: sessions,
      averageDurationSec: sessions > 0 ? (amounts.sessionMs ?? 0) / sessions / 1000 : null,
    },
    cartAbandonmentRate: ratio(cartAbandons, cartAbandons + orders),
    complaints: counts.complaint ?? 0,
    returnsAndRefunds: (counts.return ?? 0) + (counts.refund ?? 0),
    slowPageLoads: {
      count: amounts.slowPageLoads ?? 0,
      share: ratio(amounts.slowPageLoads ?? 0, pageLoads),
    },
    searchesWithoutPurchase30d: purchases30 === 0 ? sumWindow(30, ["search"]) : 0,
    deviceChanges: counts.device_change ?? 0,
    regionChanges: counts.region_change ?? 0,
    uninstallSignalAt: uninstallSignalAt ?? null,
    daysSinceLastCartAbandon: daysSince(features.lastSeenByType.cart_abandon, asOfMs),
    lastGrievanceAt:
      [
        features.lastSeenByType.complaint,
        features.lastSeenByType.return,
        features.lastSeenByType.refund,
      ]
        .filter((at): at is string => at !== undefined)
        .sort()
        .at(-1) ?? null,
    silenceSince: features.lastSeenAt,
  };
}
