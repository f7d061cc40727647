/**
 * A simulated shop whose users follow known behaviour types, so churnwatch can be scored against
 * a ground truth that real data never gives: who was really leaving, and when.
 *
 * ## Behaviour types and the default mix
 * | type | share | behaviour | churns |
 * |---|---|---|---|
 * | loyal | 30% | steady activity, a little more during promotions | no |
 * | declining | 18% | steady, then the activity rate decays over 3–8 weeks and stops | yes |
 * | sudden_quitter | 12% | steady to the last day, no warning | yes |
 * | promotion_hunter | 15% | active in promotion windows and the 2 days before, rarely between | no |
 * | seasonal | 15% | active spells of 2–6 weeks, quiet spells of 2–4 weeks, returns | no |
 * | complainer | 10% | slow pages throughout; a complaint (with a return when there was an order), then activity fades over 10–35 days and stops | yes |
 * `mix` overrides the shares (weights, normalised; a type left out gets none).
 *
 * ## Churn definition (ground truth)
 * A user has churned once they have been inactive for `churnDays` (default 30) consecutive
 * days and never come back — the inactivity-window definition behind Braze and Amplitude churn
 * prediction. With L the final active day (local date in the user's time zone), the inactive
 * days are L+1 … L+churnDays, and the churn date is the day that completes the window:
 * **churnDate = L + churnDays** (final active 2026-01-01, 30 days → churned on 2026-01-31).
 * Only the churning types have a churn date. It is the truth the simulator knows, so it can lie
 * after the simulated period; non-churning types have null even when a promotion hunter or a
 * seasonal user happens to be silent for longer — that is exactly the false alarm a good model
 * must avoid.
 *
 * ## Volume
 * About 0.35–0.45 active days per user per day from sign-up on, one session of about 3–4 events
 * per active day, so that 10,000 users × 180 days is a few million events: minutes, not hours,
 * through the ingestion API.
 *
 * ## Time
 * Day d is the local calendar date start + d in the user's time zone. All zones used are at or
 * ahead of UTC, so no local day of the period ends after start + days (UTC); events that would
 * fall before `start` are moved to it.
 */
import { dayKey, dayNumberOfKey } from "../calendar.js";
import type { BehaviourEvent, EventType } from "../events.js";
import { createRandom, type Random } from "./random.js";

const DAY_MS = 86_400_000;

export const BEHAVIOUR_TYPES = [
  "loyal",
  "declining",
  "sudden_quitter",
  "promotion_hunter",
  "seasonal",
  "complainer",
] as const;
export type BehaviourType = (typeof BEHAVIOUR_TYPES)[number];

export const CHURNING_TYPES: ReadonlySet<BehaviourType> = new Set<BehaviourType>([
  "declining",
  "sudden_quitter",
  "complainer",
]);

export const DEFAULT_BEHAVIOUR_MIX: Readonly<Record<BehaviourType, number>> = {
  loyal: 0.3,
  declining: 0.18,
  sudden_quitter: 0.12,
  promotion_hunter: 0.15,
  seasonal: 0.15,
  complainer: 0.1,
};

export const DEFAULT_CHURN_DAYS = 30;

const TIME_ZONES = [
  "Asia/Shanghai",
  "Asia/Hong_Kong",
  "Asia/Taipei",
  "Asia/Singapore",
  "Asia/Tokyo",
] as const;
const TIME_ZONE_WEIGHTS = [0.82, 0.06, 0.05, 0.04, 0.03];

export type SimPlatform = "android" | "ios" | "mini_program" | "web";
const PLATFORMS: readonly SimPlatform[] = ["android", "ios", "mini_program", "web"];
const PLATFORM_WEIGHTS = [0.45, 0.3, 0.2, 0.05];

/** Local hour of a session: quiet at night, a lunch peak and the evening peak of mobile shopping. */
const HOUR_WEIGHTS = [
  2, 1, 0.5, 0.3, 0.3, 0.5, 1, 3, 5, 5, 5, 6, 8, 8, 5, 5, 5, 6, 7, 9, 11, 12, 10, 5,
];
const HOURS = HOUR_WEIGHTS.map((_, hour) => hour);

const QUERIES = ["dress", "phone case", "sneakers", "tea", "skincare", "snacks", "headphones"];

/** Share of existing customers at the start; the rest sign up during the first 60% of days. */
const EXISTING_SHARE = 0.65;
/** A churner is around at least this long after sign-up before the final active day. */
const MIN_LIFETIME_DAYS = 14;

export interface Promotion {
  readonly name: string;
  /** First day, YYYY-MM-DD. */
  readonly from: string;
  /** Last day, included. */
  readonly to: string;
}

export interface SimulateShopOptions {
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  /** The first simulated day, at UTC midnight. */
  readonly start: Date;
  /** Generated when left out: a 3-day sale every 30–45 days. */
  readonly promotions?: readonly Promotion[];
  readonly mix?: Readonly<Partial<Record<BehaviourType, number>>>;
  readonly churnDays?: number;
  /**
   * Carried for win-back experiments (recorded in the shop); the natural behaviour does not use
   * it: winback.ts applies it once the experiment's assignment is known.
   */
  readonly treatmentEffect?: number;
}

export interface SimUser {
  /** `sim-` and the 1-based user number, six digits or more. */
  readonly userId: string;
  /** 0-based; with the seed it fixes all of the user's random streams. */
  readonly index: number;
  readonly type: BehaviourType;
  readonly timezone: string;
  readonly platform: SimPlatform;
  /** Day offset of sign-up; 0 for users who were customers before the period. */
  readonly joinDay: number;
  /** Chance of being active on an ordinary day while steady (promotion hunters: between sales). */
  readonly baseRate: number;
  /** Median basket in CNY. */
  readonly basketCny: number;
  /** Churners: the planned, and actual, final active day offset. */
  readonly finalDay: number | null;
  /** Declining users and complainers: activity fades from this day offset. */
  readonly fadeFromDay: number | null;
  readonly complaintDay: number | null;
}

export interface TruthRow {
  readonly userId: string;
  readonly type: BehaviourType;
  readonly lastActiveDate: string | null;
  readonly churnDate: string | null;
}

export interface SimShop {
  readonly seed: number;
  /** First day, YYYY-MM-DD (UTC). */
  readonly start: string;
  readonly days: number;
  readonly churnDays: number;
  /** The normalised mix actually used. */
  readonly mix: Readonly<Record<BehaviourType, number>>;
  readonly promotions: readonly Promotion[];
  readonly treatmentEffect: number | null;
  readonly users: readonly SimUser[];
  readonly truth: readonly TruthRow[];
}

/** What the day-by-day generators need, derived once per shop. */
interface ShopContext {
  readonly seed: number;
  readonly days: number;
  readonly startDayNumber: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Per day offset: 0 ordinary, PROMO in a sale, EVE in the 2 days before one. */
  readonly dayKinds: Uint8Array;
  /** Per day offset: 1-based number of the sale under way, 0 outside sales. */
  readonly saleNumbers: Uint16Array;
}

const PROMO = 1;
const EVE = 2;
const EVE_DAYS = 2;

/** Stream keys for `Random.fork`: one per purpose, so adding draws to one leaves the others. */
const STREAM_PROMOTIONS = 1;
const STREAM_PROFILE = 2;
const STREAM_ACTIVITY = 3;
const STREAM_EVENTS = 4;
const STREAM_WINBACK = 5;

function isDateKey(key: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(key) && dayKey(dayNumberOfKey(key)) === key;
}

function checkOptions(options: SimulateShopOptions): void {
  const { users, days, seed, start } = options;
  if (!(Number.isInteger(users) && users >= 0)) {
    throw new RangeError(`users must be a whole number ≥ 0, got ${users}`);
  }
  if (!(Number.isInteger(days) && days >= 1)) {
    throw new RangeError(`days must be a whole number ≥ 1, got ${days}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!(start instanceof Date) || Number.isNaN(start.getTime()) || start.getTime() % DAY_MS) {
    throw new RangeError("start must be a valid date at UTC midnight");
  }
  const churnDays = options.churnDays ?? DEFAULT_CHURN_DAYS;
  if (!(Number.isInteger(churnDays) && churnDays >= 1)) {
    throw new RangeError(`churnDays must be a whole number ≥ 1, got ${churnDays}`);
  }
  if (options.treatmentEffect !== undefined && !Number.isFinite(options.treatmentEffect)) {
    throw new RangeError(`treatmentEffect must be finite, got ${options.treatmentEffect}`);
  }
}

function normaliseMix(
  mix: Readonly<Partial<Record<BehaviourType, number>>> | undefined,
): Record<BehaviourType, number> {
  if (mix === undefined) return { ...DEFAULT_BEHAVIOUR_MIX };
  for (const key of Object.keys(mix)) {
    if (!(BEHAVIOUR_TYPES as readonly string[]).includes(key)) {
      throw new RangeError(`mix: unknown behaviour type ${key}`);
    }
  }
  let total = 0;
  for (const type of BEHAVIOUR_TYPES) {
    const weight = mix[type] ?? 0;
    if (!(Number.isFinite(weight) && weight >= 0)) {
      throw new RangeError(`mix: ${type} must be a finite weight ≥ 0, got ${weight}`);
    }
    total += weight;
  }
  if (total <= 0) throw new RangeError("mix: the weights sum to 0");
  const out = {} as Record<BehaviourType, number>;
  for (const type of BEHAVIOUR_TYPES) out[type] = (mix[type] ?? 0) / total;
  return out;
}

function generatePromotions(startDayNumber: number, days: number, random: Random): Promotion[] {
  const promotions: Promotion[] = [];
  for (let from = random.int(10, 25), n = 1; from < days; from += random.int(30, 45), n += 1) {
    promotions.push({
      name: `sale-${n}`,
      from: dayKey(startDayNumber + from),
      to: dayKey(startDayNumber + from + 2),
    });
  }
  return promotions;
}

function checkPromotions(promotions: readonly Promotion[]): Promotion[] {
  const sorted = [...promotions].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  sorted.forEach((promotion, i) => {
    if (!isDateKey(promotion.from) || !isDateKey(promotion.to) || promotion.to < promotion.from) {
      throw new RangeError(`promotion ${promotion.name}: needs YYYY-MM-DD dates with from ≤ to`);
    }
    const previous = sorted[i - 1];
    if (previous && promotion.from <= previous.to) {
      throw new RangeError(`promotions ${previous.name} and ${promotion.name} overlap`);
    }
  });
  return sorted;
}

function buildContext(
  seed: number,
  days: number,
  startDayNumber: number,
  promotions: readonly Promotion[],
): ShopContext {
  const dayKinds = new Uint8Array(days);
  const saleNumbers = new Uint16Array(days);
  promotions.forEach((promotion, i) => {
    const from = dayNumberOfKey(promotion.from) - startDayNumber;
    const to = dayNumberOfKey(promotion.to) - startDayNumber;
    for (let d = Math.max(0, from); d <= Math.min(days - 1, to); d += 1) {
      dayKinds[d] = PROMO;
      saleNumbers[d] = i + 1;
    }
    for (let d = Math.max(0, from - EVE_DAYS); d < Math.min(days, from); d += 1) {
      if (dayKinds[d] !== PROMO) dayKinds[d] = EVE;
    }
  });
  const startMs = startDayNumber * DAY_MS;
  return {
    seed,
    days,
    startDayNumber,
    startMs,
    endMs: startMs + days * DAY_MS,
    dayKinds,
    saleNumbers,
  };
}

const contexts = new WeakMap<SimShop, ShopContext>();

function contextOf(shop: SimShop): ShopContext {
  let context = contexts.get(shop);
  if (!context) {
    context = buildContext(shop.seed, shop.days, dayNumberOfKey(shop.start), shop.promotions);
    contexts.set(shop, context);
  }
  return context;
}

function userStream(seed: number, index: number, stream: number): Random {
  return createRandom(seed).fork(index, stream);
}

/**
 * The user's stream for a win-back experiment (winback.ts): apart from the natural behaviour's
 * streams, so a treatment changes none of the user's natural events.
 */
export function winbackStream(user: SimUser, shop: SimShop): Random {
  return userStream(shop.seed, user.index, STREAM_WINBACK);
}

const BASE_RATE: Readonly<Record<BehaviourType, readonly [number, number]>> = {
  loyal: [0.5, 0.9],
  declining: [0.45, 0.8],
  sudden_quitter: [0.45, 0.85],
  promotion_hunter: [0.02, 0.05],
  seasonal: [0.5, 0.85],
  complainer: [0.45, 0.8],
};

function makeUser(
  index: number,
  context: ShopContext,
  mix: Readonly<Record<BehaviourType, number>>,
): SimUser {
  const random = userStream(context.seed, index, STREAM_PROFILE);
  const type = random.choice(
    BEHAVIOUR_TYPES,
    BEHAVIOUR_TYPES.map((t) => mix[t]),
  );
  const timezone = random.choice(TIME_ZONES, TIME_ZONE_WEIGHTS);
  const platform = random.choice(PLATFORMS, PLATFORM_WEIGHTS);
  const lastJoinDay = Math.floor(context.days * 0.6);
  const joinDay = random.chance(EXISTING_SHARE) || lastJoinDay < 1 ? 0 : random.int(1, lastJoinDay);
  const [low, high] = BASE_RATE[type];
  const baseRate = random.uniform(low, high);
  const basketCny = random.logNormal(120, 0.6);
  let finalDay: number | null = null;
  let fadeFromDay: number | null = null;
  let complaintDay: number | null = null;
  if (CHURNING_TYPES.has(type)) {
    const last = context.days - 1;
    finalDay = random.int(Math.min(joinDay + MIN_LIFETIME_DAYS, last), last);
    if (type === "declining") fadeFromDay = Math.max(joinDay, finalDay - random.int(21, 56));
    if (type === "complainer") {
      complaintDay = Math.max(joinDay, finalDay - random.int(10, 35));
      fadeFromDay = complaintDay;
    }
  }
  return {
    userId: `sim-${String(index + 1).padStart(6, "0")}`,
    index,
    type,
    timezone,
    platform,
    joinDay,
    baseRate,
    basketCny,
    finalDay,
    fadeFromDay,
    complaintDay,
  };
}

/** The days a user is active, as day offsets in increasing order. */
function activeDays(user: SimUser, context: ShopContext): number[] {
  const random = userStream(context.seed, user.index, STREAM_ACTIVITY);
  const out: number[] = [];
  const stop = user.finalDay === null ? context.days - 1 : user.finalDay;
  // Seasonal users alternate spells; a customer from before the period may be mid-spell.
  let quiet = user.joinDay === 0 && random.chance(0.35);
  let spellLeft = quiet ? random.int(1, 28) : random.int(user.joinDay === 0 ? 1 : 14, 42);
  for (let d = user.joinDay; d <= stop; d += 1) {
    const kind = context.dayKinds[d];
    let rate = user.baseRate;
    if (user.type === "promotion_hunter") {
      rate = kind === PROMO ? 0.85 : kind === EVE ? 0.25 : user.baseRate;
    } else {
      if (user.type === "seasonal") {
        if (spellLeft === 0) {
          quiet = !quiet;
          spellLeft = quiet ? random.int(14, 28) : random.int(14, 42);
        }
        spellLeft -= 1;
        if (quiet) rate = 0;
      }
      if (user.fadeFromDay !== null && user.finalDay !== null && d > user.fadeFromDay) {
        // Reaches about 8% of the steady rate by the final day, whatever the fade's length.
        const tau = Math.max(2, (user.finalDay - user.fadeFromDay) / 2.5);
        rate *= Math.exp(-(d - user.fadeFromDay) / tau);
      }
      if (kind === PROMO) rate = Math.min(0.95, rate * 1.3);
    }
    const drawn = random.next() < rate;
    const forced =
      (d === user.joinDay && user.joinDay > 0) || d === user.finalDay || d === user.complaintDay;
    if (drawn || forced) out.push(d);
  }
  return out;
}

/** The day offsets (from the shop's start) on which the user is active, in order. */
export function activeDaysOf(user: SimUser, shop: SimShop): number[] {
  return activeDays(user, contextOf(shop));
}

export function simulateShop(options: SimulateShopOptions): SimShop {
  checkOptions(options);
  const { users: userCount, days, seed } = options;
  const startDayNumber = Math.floor(options.start.getTime() / DAY_MS);
  const churnDays = options.churnDays ?? DEFAULT_CHURN_DAYS;
  const mix = normaliseMix(options.mix);
  const promotions =
    options.promotions === undefined
      ? generatePromotions(startDayNumber, days, createRandom(seed).fork(STREAM_PROMOTIONS))
      : checkPromotions(options.promotions);
  const context = buildContext(seed, days, startDayNumber, promotions);
  const users: SimUser[] = [];
  const truth: TruthRow[] = [];
  for (let index = 0; index < userCount; index += 1) {
    const user = makeUser(index, context, mix);
    const active = activeDays(user, context);
    const last = active[active.length - 1];
    users.push(user);
    truth.push({
      userId: user.userId,
      type: user.type,
      lastActiveDate: last === undefined ? null : dayKey(startDayNumber + last),
      churnDate: user.finalDay === null ? null : dayKey(startDayNumber + user.finalDay + churnDays),
    });
  }
  const shop: SimShop = {
    seed,
    start: dayKey(startDayNumber),
    days,
    churnDays,
    mix,
    promotions,
    treatmentEffect: options.treatmentEffect ?? null,
    users,
    truth,
  };
  contexts.set(shop, context);
  return shop;
}

const offsets = new Map<string, number>();

/** The zone's UTC offset in minutes on a local day, read at local noon to stay clear of DST jumps. */
function offsetMinutes(timeZone: string, dayNumber: number): number {
  const key = `${timeZone}|${dayNumber}`;
  let minutes = offsets.get(key);
  if (minutes === undefined) {
    const name =
      new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
        .formatToParts(new Date(dayNumber * DAY_MS + DAY_MS / 2))
        .find((part) => part.type === "timeZoneName")?.value ?? "GMT";
    const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
    minutes = match ? (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
    offsets.set(key, minutes);
  }
  return minutes;
}

function isoWithOffset(epochMs: number, minutes: number): string {
  const local = new Date(epochMs + minutes * 60_000).toISOString().slice(0, 19);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${local}${sign}${hh}:${mm}`;
}

interface Step {
  readonly type: EventType;
  readonly properties?: BehaviourEvent["properties"];
}

interface UserState {
  orders: number;
  lastOrder: { readonly orderId: string; readonly amount: number } | null;
}

function dayOfSteps(
  user: SimUser,
  d: number,
  context: ShopContext,
  random: Random,
  state: UserState,
): Step[] {
  const kind = context.dayKinds[d];
  const inSale = kind === PROMO;
  const complainer = user.type === "complainer";
  const steps: Step[] = [{ type: "app_open" }];
  if (random.chance(0.15)) steps.push({ type: "login" });
  if (random.chance(0.25)) {
    steps.push({
      type: "search",
      properties: {
        query: random.choice(
          QUERIES,
          QUERIES.map(() => 1),
        ),
        resultCount: random.poisson(18),
      },
    });
  }
  const productId = `sku-${random.int(1, 400)}`;
  if (random.chance(0.6)) steps.push({ type: "product_view", properties: { productId } });
  const afterComplaint = user.complaintDay !== null && d >= user.complaintDay;
  if (random.chance(afterComplaint ? 0.6 : 0.35)) {
    // Complainers see slow pages: median 2 s, a quarter over the 3 s the reports warn about.
    const ms = Math.round(random.logNormal(complainer ? 2000 : 800, 0.6));
    steps.push({ type: "page_load", properties: { ms, page: "product" } });
  }
  const hunting = user.type === "promotion_hunter" && inSale;
  if (random.chance(hunting ? 0.5 : inSale ? 0.3 : 0.2)) {
    steps.push({ type: "add_to_cart", properties: { productId } });
    if (random.chance(inSale ? 0.6 : 0.45)) {
      state.orders += 1;
      const orderId = `so-${context.seed}-${user.index + 1}-${state.orders}`;
      const discount = inSale ? 0.85 : 1;
      const amount = Math.max(
        1,
        Math.round(random.logNormal(user.basketCny, 0.5) * discount * 100) / 100,
      );
      const coupon = inSale && random.chance(0.6);
      steps.push({
        type: "purchase",
        properties: {
          orderId,
          amount,
          currency: "CNY",
          ...(coupon ? { couponCode: `SALE${context.saleNumbers[d]}` } : {}),
        },
      });
      state.lastOrder = { orderId, amount };
    } else if (random.chance(0.5)) {
      steps.push({ type: "cart_abandon" });
    }
  }
  if (d === user.complaintDay) {
    steps.push({ type: "complaint" }, { type: "support_contact" });
    if (state.lastOrder) {
      steps.push({ type: "return", properties: { ...state.lastOrder, currency: "CNY" } });
    }
    steps.push({ type: "review", properties: { rating: random.int(1, 2) } });
  } else if (state.lastOrder && random.chance(0.03)) {
    steps.push({
      type: "review",
      properties: { rating: complainer ? random.int(1, 3) : random.int(3, 5) },
    });
  }
  if (random.chance(0.5)) steps.push({ type: "session" });
  return steps;
}

/**
 * One visit on day offset `d`: the steps spaced 10–150 s apart at a local hour drawn from
 * HOUR_WEIGHTS, kept inside the simulated period, with event IDs `<idPrefix>-<step>`.
 */
function sessionEvents(
  user: SimUser,
  d: number,
  steps: readonly Step[],
  context: ShopContext,
  random: Random,
  idPrefix: string,
): BehaviourEvent[] {
  const eventContext = { platform: user.platform, timezone: user.timezone };
  const at: number[] = [0];
  for (let i = 1; i < steps.length; i += 1) at.push((at[i - 1] as number) + random.int(10, 150));
  const span = at[at.length - 1] as number;
  // The session event closes the visit, so its duration covers everything before it.
  const durationSec = span + random.int(5, 60);
  const hour = random.choice(HOURS, HOUR_WEIGHTS);
  const localSecond = Math.min(hour * 3600 + random.int(0, 3599), DAY_MS / 1000 - 1 - span);
  const dayNumber = context.startDayNumber + d;
  const minutes = offsetMinutes(user.timezone, dayNumber);
  const localMidnightMs = dayNumber * DAY_MS - minutes * 60_000;
  const first = Math.min(
    Math.max(localMidnightMs + localSecond * 1000, context.startMs),
    context.endMs - (span + 1) * 1000,
  );
  return steps.map((step, i) => {
    const offset = at[i] as number;
    const properties = step.type === "session" ? { durationSec } : step.properties;
    // The inferred event type makes `properties` a required key even for types whose schema
    // lets it be absent; leaving it out keeps the JSON posted to the API minimal.
    return {
      eventId: `${idPrefix}-${i}`,
      userId: user.userId,
      type: step.type,
      occurredAt: isoWithOffset(first + offset * 1000, minutes),
      ...(properties === undefined ? {} : { properties }),
      context: { ...eventContext },
    } as BehaviourEvent;
  });
}

/** One active day of a user: its day offset and the events of its session, in time order. */
export interface SimDay {
  readonly day: number;
  readonly events: readonly BehaviourEvent[];
}

/** The user's active days with their events, in order (what `eventsOf` flattens). */
export function* activeDayEventsOf(user: SimUser, shop: SimShop): Generator<SimDay> {
  const context = contextOf(shop);
  const random = userStream(context.seed, user.index, STREAM_EVENTS);
  const state: UserState = { orders: 0, lastOrder: null };
  for (const d of activeDays(user, context)) {
    const steps = dayOfSteps(user, d, context, random, state);
    yield {
      day: d,
      events: sessionEvents(
        user,
        d,
        steps,
        context,
        random,
        `se-${context.seed}-${user.index + 1}-${d}`,
      ),
    };
  }
}

/**
 * The user's events, in time order: one short session per active day. A generator, so a whole
 * shop never needs to be in memory at once; the same shop and user always give the same events.
 */
export function* eventsOf(user: SimUser, shop: SimShop): Generator<BehaviourEvent> {
  for (const { events } of activeDayEventsOf(user, shop)) yield* events;
}

/**
 * An extra visit with a purchase on day offset `d`, the win-back a retention action caused
 * (lambdas/domain/simulation/winback.ts): app open, product view, add to cart, checkout,
 * a purchase of about the user's usual basket (CNY, log-normal around their median) and the
 * session. Its event and order IDs (`sw-…`, `so-…-w<d>`) never clash with the natural ones.
 * `random` decides everything drawn, so the same stream gives the same visit.
 */
export function winbackPurchaseEvents(
  user: SimUser,
  shop: SimShop,
  d: number,
  random: Random,
): BehaviourEvent[] {
  const context = contextOf(shop);
  if (!(Number.isInteger(d) && d >= 0 && d < context.days)) {
    throw new RangeError(`day ${d} is outside the simulated period (0 to ${context.days - 1})`);
  }
  const productId = `sku-${random.int(1, 400)}`;
  const amount = Math.max(1, Math.round(random.logNormal(user.basketCny, 0.5) * 100) / 100);
  const steps: Step[] = [
    { type: "app_open" },
    { type: "product_view", properties: { productId } },
    { type: "add_to_cart", properties: { productId } },
    { type: "checkout_start" },
    {
      type: "purchase",
      properties: {
        orderId: `so-${context.seed}-${user.index + 1}-w${d}`,
        amount,
        currency: "CNY",
      },
    },
    { type: "session" },
  ];
  return sessionEvents(
    user,
    d,
    steps,
    context,
    random,
    `sw-${context.seed}-${user.index + 1}-${d}`,
  );
}

/** Every user's events, user by user, each user's in time order. */
export function* simulatedEvents(shop: SimShop): Generator<BehaviourEvent> {
  for (const user of shop.users) yield* eventsOf(user, shop);
}
