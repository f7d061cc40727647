/**
 * deriveIndicators is written for speed: one pass over the day buckets, a digit-by-digit date
 * parse, options-derived facts remembered between calls. This file keeps the plain definition
 * beside it — every window filtered and summed on its own, dates through Date.parse — and checks
 * over random records, moments and calendars that the two agree on every field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dayNumberOfKey, localDayNumber } from "../../lambdas/domain/calendar.js";
import { EVENT_TYPES, type EventType } from "../../lambdas/domain/events.js";
import type { AmountKey, MonthTally, Tally, UserFeatures } from "../../lambdas/domain/features.js";
import {
  DEFAULT_INDICATOR_OPTIONS,
  deriveIndicators,
  type IndicatorOptions,
  type Indicators,
} from "../../lambdas/domain/indicators.js";
import {
  DEFAULT_PROMOTION_DAMPING_DAYS,
  isInPromotionDamping,
  isPromotionDay,
  type Promotion,
  type PromotionCalendar,
  promotionCalendar,
} from "../../lambdas/domain/promotions.js";

// ---------------------------------------------------------------------------------------------
// The reference: the definition of each indicator, written out the straightforward way.
// ---------------------------------------------------------------------------------------------

const REFERENCE_INTERACTIONS: readonly EventType[] = [
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

const DAY_MS = 86_400_000;

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
      total += sumTally(tally, REFERENCE_INTERACTIONS);
    }
  }
  let days = 0;
  for (let day = lastDay - n + 1; day <= lastDay; day += 1) {
    if (!isPromotionDay(calendar, day)) days += 1;
  }
  return { total, days };
}

function promotionDayShare(
  calendar: PromotionCalendar,
  today: number,
  daysSinceFirstSeen: number,
): number {
  if (calendar.ranges.length === 0) return 0;
  const window = Math.min(180, Math.max(1, daysSinceFirstSeen + 1));
  let promotionDays = 0;
  for (let day = today - window + 1; day <= today; day += 1) {
    if (isPromotionDay(calendar, day)) promotionDays += 1;
  }
  return promotionDays / window;
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
    if (day > today || day <= today - 180) continue;
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

function referenceIndicators(
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
  const calendar = promotionCalendar(options.promotions ?? []);
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
    dampingPromotionDays:
      calendar.ranges
        .filter(
          ([first, last]) =>
            first <= today &&
            today <= last + (options.promotionDampingDays ?? DEFAULT_PROMOTION_DAMPING_DAYS),
        )
        .at(-1) ?? null,
    promotionActivityShare: promotionActivityShare(features, calendar, today),
    promotionDayShare: promotionDayShare(calendar, today, daysSinceFirstSeen),
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

// ---------------------------------------------------------------------------------------------
// Random records, moments and options.
// ---------------------------------------------------------------------------------------------

const FROM_MS = Date.parse("2024-06-01T00:00:00Z");
const TO_MS = Date.parse("2026-12-31T00:00:00Z");
const FROM_DAY = Math.floor(FROM_MS / DAY_MS);
const TO_DAY = Math.floor(TO_MS / DAY_MS);
const ZONES = [
  undefined,
  "UTC",
  "Asia/Shanghai",
  "America/New_York",
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
] as const;
const AMOUNT_KEYS: readonly AmountKey[] = [
  "revenueMinor",
  "refundMinor",
  "sessionMs",
  "slowPageLoads",
  "zeroResultSearches",
  "couponOrders",
];
const TALLY_KEYS: readonly (EventType | AmountKey)[] = [...EVENT_TYPES, ...AMOUNT_KEYS];

const dayKeyOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** Mostly well-formed day keys; now and then one Date.parse reads oddly or not at all. */
const dayKeyArbitrary = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: FROM_DAY, max: TO_DAY }).map(dayKeyOf) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "2026-02-30",
      "2025-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-1-01",
      "not-a-day",
      "+02026-01-0",
    ),
  },
);

/** A tally with a random subset of keys in a random order (so in many object shapes). */
const tallyArbitrary: fc.Arbitrary<Tally> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...TALLY_KEYS), fc.oneof(fc.nat(20), fc.nat(2_000_000))), {
    selector: ([key]) => key,
    maxLength: 8,
  })
  .map((entries) => Object.fromEntries(entries) as Tally);

/** Mostly `toISOString` output; sometimes a shape only Date.parse reads. */
const isoArbitrary = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.integer({ min: FROM_MS, max: TO_MS }).map((ms) => new Date(ms).toISOString()),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: FROM_MS, max: TO_MS })
      .map((ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")),
  },
  { weight: 1, arbitrary: fc.constantFrom("2026-02-30T10:00:00.000Z", "2026-05-01T24:00:00.000Z") },
);

function partialRecordOf<V>(
  keys: readonly string[],
  value: fc.Arbitrary<V>,
): fc.Arbitrary<Record<string, V>> {
  return fc
    .uniqueArray(fc.tuple(fc.constantFrom(...keys), value), {
      selector: ([key]) => key,
      maxLength: keys.length,
    })
    .map((entries) => Object.fromEntries(entries));
}

const monthArbitrary: fc.Arbitrary<[string, MonthTally]> = fc.tuple(
  fc.integer({ min: FROM_DAY - 400, max: FROM_DAY }).map((day) => dayKeyOf(day).slice(0, 7)),
  fc.record({
    tally: tallyArbitrary,
    activeDayMask: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
);

const featuresArbitrary: fc.Arbitrary<UserFeatures> = fc
  .record({
    days: fc.uniqueArray(fc.tuple(dayKeyArbitrary, tallyArbitrary), {
      selector: ([key]) => key,
      maxLength: 160,
    }),
    months: fc.option(fc.uniqueArray(monthArbitrary, { selector: ([key]) => key, maxLength: 6 }), {
      nil: undefined,
    }),
    counts: partialRecordOf(EVENT_TYPES, fc.nat(500)),
    amounts: fc.option(partialRecordOf(AMOUNT_KEYS, fc.nat(5_000_000)), { nil: undefined }),
    lastSeen: partialRecordOf(EVENT_TYPES, isoArbitrary),
    firstSeenAt: isoArbitrary,
    lastSeenAt: isoArbitrary,
    purchaseDays: fc.option(fc.uniqueArray(fc.integer({ min: FROM_DAY, max: TO_DAY })), {
      nil: undefined,
    }),
    timezone: fc.constantFrom(...ZONES),
  })
  .map(
    (r) =>
      ({
        schemaVersion: 2,
        appId: "app",
        userId: "u",
        firstSeenAt: r.firstSeenAt,
        lastSeenAt: r.lastSeenAt,
        firstSeenByType: {},
        lastSeenByType: r.lastSeen,
        eventCount: 0,
        countsByType: r.counts,
        amounts: r.amounts,
        days: Object.fromEntries(r.days),
        months: r.months === undefined ? undefined : Object.fromEntries(r.months),
        purchaseDays: r.purchaseDays?.sort((a, b) => a - b),
        ...(r.timezone === undefined ? {} : { timezone: r.timezone }),
      }) as unknown as UserFeatures,
  );

const promotionArbitrary: fc.Arbitrary<Promotion> = fc
  .tuple(fc.integer({ min: FROM_DAY, max: TO_DAY }), fc.integer({ min: 0, max: 30 }), fc.nat())
  .map(([first, length, n]) => ({
    name: `p${n}`,
    from: dayKeyOf(first),
    to: dayKeyOf(first + length),
  }));

const optionsArbitrary: fc.Arbitrary<IndicatorOptions> = fc
  .record({
    highValueMinor: fc.oneof(fc.constant(500_000), fc.nat(3_000_000)),
    recentDays: fc.integer({ min: 1, max: 60 }),
    baselineDays: fc.integer({ min: 1, max: 120 }),
    promotions: fc.option(fc.array(promotionArbitrary, { maxLength: 6 }), { nil: undefined }),
    promotionDampingDays: fc.option(fc.integer({ min: 0, max: 90 }), { nil: undefined }),
  })
  .map(
    (o) =>
      Object.fromEntries(
        Object.entries(o).filter(([, value]) => value !== undefined),
      ) as unknown as IndicatorOptions,
  );

const asOfArbitrary = fc
  .integer({ min: FROM_MS, max: TO_MS + 200 * DAY_MS })
  .map((ms) => new Date(ms));

describe("deriveIndicators against its plain definition", () => {
  it("agrees on every field for random records, moments and calendars", () => {
    fc.assert(
      fc.property(
        featuresArbitrary,
        fc.array(asOfArbitrary, { minLength: 1, maxLength: 3 }),
        optionsArbitrary,
        (features, moments, options) => {
          // Several moments with one options object: what is remembered per options and per
          // day must not leak from one call into the next.
          for (const asOf of moments) {
            expect(deriveIndicators(features, asOf, options)).toStrictEqual(
              referenceIndicators(features, asOf, options),
            );
            expect(deriveIndicators(features, asOf)).toStrictEqual(
              referenceIndicators(features, asOf),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("agrees on users who are active every day, where every window is full", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FROM_DAY + 400, max: TO_DAY }),
        fc.integer({ min: 1, max: 400 }),
        tallyArbitrary,
        optionsArbitrary,
        fc.constantFrom(...ZONES),
        (lastDay, span, tally, options, timezone) => {
          const days: Record<string, Tally> = {};
          for (let day = lastDay - span + 1; day <= lastDay; day += 1) days[dayKeyOf(day)] = tally;
          const features = {
            schemaVersion: 2,
            appId: "app",
            userId: "u",
            firstSeenAt: new Date((lastDay - span + 1) * DAY_MS).toISOString(),
            lastSeenAt: new Date(lastDay * DAY_MS + 3_600_000).toISOString(),
            firstSeenByType: {},
            lastSeenByType: {},
            eventCount: span,
            countsByType: {},
            amounts: {},
            days,
            months: {},
            purchaseDays: [],
            ...(timezone === undefined ? {} : { timezone }),
          } as UserFeatures;
          const asOf = new Date(lastDay * DAY_MS + 20 * 3_600_000);
          expect(deriveIndicators(features, asOf, options)).toStrictEqual(
            referenceIndicators(features, asOf, options),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
