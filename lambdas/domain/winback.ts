/**
 * Win-back measurement: of the users a warning was acted on (or deliberately not acted on, in
 * an experiment's control group), how many came back within N days, per experiment and arm, and
 * whether a variant did better than its control.
 *
 * - The unit is the user: per experiment, each user is measured once, from their first action
 *   in the period (a later warning of the same user in the same experiment is counted as a
 *   repeat, not measured again, so no user weighs twice in the test).
 * - Intention to treat: everyone assigned to an arm counts as targeted, whether or not a message
 *   went out (no consent, a guard, an escalation), so the variant is compared with a control
 *   that was chosen the same way. `no_action` records (the policy did nothing) are not targeted.
 * - The window starts at the action's `asOf` for every arm and covers the local days
 *   (day of asOf, day of asOf + N] in the user's time zone, like the churn labels
 *   (`activityAfter`): day buckets are the profile's granularity.
 * - Won back: a purchase in the window, or (`activity`) any interaction the churn indicators
 *   count.
 * - Uplift = variant rate − control rate, with Newcombe's hybrid score interval (method 10,
 *   from two Wilson intervals) and a two-sided p-value: the pooled two-proportion z-test, or
 *   Fisher's exact test when an expected cell count is below 5.
 * - Opened/clicked come from engagement events in the profile (`email_opened`, `push_opened`,
 *   `sms_clicked`) on a channel a message was delivered on, and are null (unknown) unless the
 *   profiles can tell: the app must report that event type at all, and no compacted month may
 *   blur the window.
 *
 * Pure: no I/O, no AWS imports.
 */
import type { Channel } from "../../lib/topology.js";
import type { ActionRecord, DeliveryRecord } from "./actions/action-record.js";
import { activityAfter } from "./as-of.js";
import { dayNumberOfKey, localDayNumber } from "./calendar.js";
import { type CurrencyTable, toBaseMinor } from "./currency.js";
import type { EventType } from "./events.js";
import type { Tally, UserFeatures } from "./features.js";
import { logGamma } from "./models/special.js";

export type WinbackKind = "purchase" | "activity";

/** Cost of one message sent, per channel, in major units of the base currency. */
export type MessageCosts = Readonly<Record<Channel, number>>;

/** Defaults in CNY: an SMS, an e-mail, a push. */
export const DEFAULT_MESSAGE_COSTS: MessageCosts = Object.freeze({
  sms: 0.05,
  email: 0.001,
  push: 0,
});

export const DEFAULT_WINBACK_WINDOW_DAYS = 30;
export const MAX_WINBACK_WINDOW_DAYS = 365;

/** The 97.5 % quantile of the standard normal: two-sided 95 %. */
export const Z_95 = 1.959963984540054;

const DAY_MS = 86_400_000;
const CHANNEL_ORDER: readonly Channel[] = ["email", "push", "sms"];

/** What a delivered message on each channel can lead to, as the app reports it. */
export const ENGAGEMENT: Readonly<
  Record<Channel, { readonly type: EventType; readonly kind: "opened" | "clicked" }>
> = Object.freeze({
  email: { type: "email_opened", kind: "opened" },
  push: { type: "push_opened", kind: "opened" },
  sms: { type: "sms_clicked", kind: "clicked" },
});

// ── Statistics ───────────────────────────────────────────────────────────────────────────────

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Wilson's score interval for `successes` of `trials` (trials ≥ 1). */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval {
  checkCounts(successes, trials);
  const z2 = z * z;
  const denominator = trials + z2;
  const center = (successes + z2 / 2) / denominator;
  const half = (z / denominator) * Math.sqrt((successes * (trials - successes)) / trials + z2 / 4);
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/**
 * Newcombe's hybrid score interval (1998, method 10) for p1 − p2: the difference's distance to
 * each end combines the two Wilson intervals' distances on the matching sides.
 */
export function newcombeInterval(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
  z = Z_95,
): Interval {
  const p1 = successes1 / trials1;
  const p2 = successes2 / trials2;
  const w1 = wilsonInterval(successes1, trials1, z);
  const w2 = wilsonInterval(successes2, trials2, z);
  const difference = p1 - p2;
  const low = difference - Math.hypot(p1 - w1.low, w2.high - p2);
  const high = difference + Math.hypot(w1.high - p1, p2 - w2.low);
  return { low: Math.max(-1, low), high: Math.min(1, high) };
}

function checkCounts(successes: number, trials: number): void {
  if (!(Number.isInteger(trials) && trials >= 1)) {
    throw new RangeError(`trials must be a positive whole number, got ${trials}`);
  }
  if (!(Number.isInteger(successes) && successes >= 0 && successes <= trials)) {
    throw new RangeError(`successes must be a whole number from 0 to ${trials}, got ${successes}`);
  }
}

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/**
 * The complementary error function in double precision: below 2 the everywhere-positive
 * series erf(x) = 2/√π · e^(−x²) · Σ (2x²)^n x / (1·3·…·(2n+1)); from 2 on the continued
 * fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))), evaluated from the tail.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n += 1) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term <= sum * 1e-17) break;
    }
    return 1 - TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0;
  let tail = x;
  for (let k = 120; k >= 1; k -= 1) tail = x + k / 2 / tail;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / tail;
}

/** Two-sided p-value of the pooled two-proportion z-test (1 when both rates are 0 or 1). */
export function twoProportionZTest(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
): { readonly z: number; readonly pValue: number } {
  checkCounts(successes1, trials1);
  checkCounts(successes2, trials2);
  const pooled = (successes1 + successes2) / (trials1 + trials2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / trials1 + 1 / trials2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (successes1 / trials1 - successes2 / trials2) / se;
  return { z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * Fisher's exact test of the 2×2 table [[a, b], [c, d]], two-sided: the probability, under the
 * hypergeometric law of the fixed margins, of every table no more likely than the one observed
 * (with R's relative tolerance of 1e-7, so ties computed with rounding noise count as ties).
 */
export function fisherExactTwoSided(a: number, b: number, c: number, d: number): number {
  for (const cell of [a, b, c, d]) {
    if (!(Number.isInteger(cell) && cell >= 0)) {
      throw new RangeError(`cells must be whole numbers ≥ 0, got ${[a, b, c, d].join(", ")}`);
    }
  }
  const row1 = a + b;
  const row2 = c + d;
  const column1 = a + c;
  const total = row1 + row2;
  const base = logChoose(total, column1);
  const logP = (k: number) => logChoose(row1, k) + logChoose(row2, column1 - k) - base;
  const observed = logP(a) + Math.log1p(1e-7);
  let sum = 0;
  for (let k = Math.max(0, column1 - row2); k <= Math.min(row1, column1); k += 1) {
    const value = logP(k);
    if (value <= observed) sum += Math.exp(value);
  }
  return Math.min(1, sum);
}

export interface ProportionComparison {
  /** successes1/trials1 − successes2/trials2. */
  readonly difference: number;
  readonly ci95: Interval;
  readonly pValue: number;
  readonly test: "z-test" | "fisher-exact";
}

/** Difference of two proportions with its 95 % interval and a two-sided test of equality. */
export function compareProportions(
  successes1: number,
  trials1: number,
  successes2: number,
  trials2: number,
): ProportionComparison {
  checkCounts(successes1, trials1);
  checkCounts(successes2, trials2);
  const total = trials1 + trials2;
  const won = successes1 + successes2;
  const expected = [trials1, trials2].flatMap((rows) => [
    (rows * won) / total,
    (rows * (total - won)) / total,
  ]);
  const exact = expected.some((cell) => cell < 5);
  return {
    difference: successes1 / trials1 - successes2 / trials2,
    ci95: newcombeInterval(successes1, trials1, successes2, trials2),
    pValue: exact
      ? fisherExactTwoSided(successes1, trials1 - successes1, successes2, trials2 - successes2)
      : twoProportionZTest(successes1, trials1, successes2, trials2).pValue,
    test: exact ? "fisher-exact" : "z-test",
  };
}

// ── The profile's window ─────────────────────────────────────────────────────────────────────

function lastSeenMs(features: UserFeatures): number {
  return typeof features.lastSeenAt === "string" ? Date.parse(features.lastSeenAt) : Number.NaN;
}

/**
 * Sums of the given tally keys on the local days (day of asOf, day of asOf + windowDays] in the
 * user's time zone, the window `activityAfter` counts. A key is null (unknown) when a compacted
 * month that holds some of it straddles an end of the window: its days cannot be told apart.
 */
export function windowSums<K extends string>(
  features: UserFeatures,
  asOf: Date,
  windowDays: number,
  keys: readonly K[],
): Record<K, number | null> {
  const sums = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number | null>;
  const asOfMs = asOf.getTime();
  if (lastSeenMs(features) <= asOfMs) return sums;
  const start = localDayNumber(asOfMs, features.timezone ?? "UTC");
  const end = start + windowDays;
  const add = (tally: Tally, known: boolean) => {
    for (const key of keys) {
      const value = (tally as Record<string, number | undefined>)[key] ?? 0;
      if (!value) continue;
      const current = sums[key];
      sums[key] = known && current !== null ? current + value : null;
    }
  };
  for (const [key, tally] of Object.entries(features.days ?? {})) {
    const day = dayNumberOfKey(key);
    if (day > start && day <= end) add(tally, true);
  }
  for (const [key, month] of Object.entries(features.months ?? {})) {
    const first = dayNumberOfKey(`${key}-01`);
    const mask = month.activeDayMask >>> 0;
    const low = mask === 0 ? first : first + 31 - Math.clz32(mask & -mask);
    const high = mask === 0 ? first : first + 31 - Math.clz32(mask);
    if (high <= start || low > end) continue;
    add(month.tally, low > start && high <= end);
  }
  return sums;
}

// ── The report ───────────────────────────────────────────────────────────────────────────────

export interface WinbackOptions {
  readonly windowDays: number;
  readonly winback: WinbackKind;
  readonly messageCosts: MessageCosts;
  /** Converts offer amounts into the base currency (revenue is stored in it already). */
  readonly currency: CurrencyTable;
  /** Windows ending after this are still open. */
  readonly now: Date;
}

export interface WinbackInput {
  /** Every action record of the app in the period (the selection of whom to measure is here). */
  readonly actions: readonly ActionRecord[];
  /** Deliveries per action, keyed by `actionKey(userId, warningId)`; missing = none. */
  readonly deliveries: ReadonlyMap<string, readonly DeliveryRecord[]>;
  /** Profiles by userId; missing = no profile (counted, never won back). */
  readonly profiles: ReadonlyMap<string, UserFeatures>;
}

export interface ArmCost {
  /** Messages sent per channel (deliveries with status `sent`). */
  readonly messagesByChannel: Readonly<Record<Channel, number>>;
  /** Σ messages × cost of their channel. */
  readonly messages: number;
  /** Σ offer amounts of won-back treated users whose action published an offer. */
  readonly offers: number;
  readonly total: number;
}

export interface Uplift {
  /** Variant rate − control rate. */
  readonly difference: number;
  readonly ci95: Interval;
  readonly pValue: number;
  readonly test: "z-test" | "fisher-exact";
  /** (variant rate − control rate) × variant targeted: users won back because of the variant. */
  readonly incrementalWonBack: number;
  /** Variant cost / incremental won back, when that is positive. */
  readonly costPerIncrementalWonBack: number | null;
}

export interface ArmReport {
  /** `control`, the variant's name, or `all` outside experiments. */
  readonly arm: string;
  readonly group: "control" | "variant" | "none";
  /** Users assigned to the arm (intention to treat). */
  readonly targeted: number;
  /** Users whose message was handed to a channel (action outcome `published`). */
  readonly sent: number;
  /** Users with a delivery the provider accepted (status `sent`; no delivery receipts yet). */
  readonly delivered: number;
  /** Users who opened an e-mail or push they were delivered, in the window; null = unknown. */
  readonly opened: number | null;
  /** Users who clicked an SMS they were delivered, in the window; null = unknown. */
  readonly clicked: number | null;
  readonly wonBack: number;
  /** wonBack / targeted. */
  readonly rate: number | null;
  /** Wilson 95 % interval of the rate. */
  readonly rateCi95: Interval | null;
  /** Revenue of the won-back users in their windows, base currency, major units. */
  readonly revenueWonBack: number;
  readonly cost: ArmCost;
  readonly costPerWonBack: number | null;
  /** Users whose window has not closed yet: they may still come back. */
  readonly windowsOpen: number;
  /** Users without a profile (counted as not won back). */
  readonly missingProfiles: number;
  /** Variants only, when the experiment has a control with users. */
  readonly uplift: Uplift | null;
}

export interface ExperimentReport {
  /** null: actions outside any experiment (one arm, `all`, and no uplift). */
  readonly experimentId: string | null;
  readonly control: ArmReport | null;
  readonly variants: readonly ArmReport[];
  /** Later actions of users already measured from an earlier action. */
  readonly repeatActions: number;
  /** Actions in the experiment without an arm. */
  readonly unassigned: number;
  /** `no_action` records: the policy did nothing, so nobody was targeted. */
  readonly noAction: number;
}

export interface WinbackReport {
  readonly generatedAt: string;
  readonly winback: WinbackKind;
  readonly windowDays: number;
  /** Base currency of revenue and costs. */
  readonly currency: string;
  readonly messageCosts: MessageCosts;
  readonly experiments: readonly ExperimentReport[];
  readonly warnings: readonly string[];
}

/** How deliveries are keyed in WinbackInput. */
export function actionKey(userId: string, warningId: string): string {
  return `${userId}\u0000${warningId}`;
}

function byTime(a: ActionRecord, b: ActionRecord): number {
  const difference = Date.parse(a.asOf) - Date.parse(b.asOf);
  if (difference !== 0) return difference;
  return a.warningId < b.warningId ? -1 : a.warningId > b.warningId ? 1 : 0;
}

/** The action each (experiment, user) is measured from: the user's first targeted one. */
export function measuredActions(actions: readonly ActionRecord[]): ActionRecord[] {
  const first = new Map<string, ActionRecord>();
  for (const action of actions) {
    if (action.outcome === "no_action" || Number.isNaN(Date.parse(action.asOf))) continue;
    const key = `${action.experimentId ?? ""}\u0000${action.userId}`;
    const current = first.get(key);
    if (!current || byTime(action, current) < 0) first.set(key, action);
  }
  return [...first.values()];
}

interface Observation {
  readonly action: ActionRecord;
  readonly sent: boolean;
  readonly delivered: boolean;
  /** true/false; null = cannot tell; undefined = nothing on such a channel was delivered. */
  readonly opened: boolean | null | undefined;
  readonly clicked: boolean | null | undefined;
  readonly wonBack: boolean;
  readonly revenueMinor: number;
  readonly messagesByChannel: Record<Channel, number>;
  readonly offerMinor: number;
  readonly unpricedOffer: boolean;
  readonly windowOpen: boolean;
  readonly missingProfile: boolean;
}

function armOf(action: ActionRecord): { arm: string; group: ArmReport["group"] } | null {
  if (action.experimentId === null) return { arm: "all", group: "none" };
  if (action.group === "control") return { arm: "control", group: "control" };
  if (action.group === "variant" || action.variant !== null) {
    return { arm: action.variant ?? "variant", group: "variant" };
  }
  return null;
}

function observe(
  action: ActionRecord,
  deliveries: readonly DeliveryRecord[],
  profile: UserFeatures | undefined,
  tracked: ReadonlySet<EventType>,
  options: WinbackOptions,
): Observation {
  const asOf = new Date(action.asOf);
  const messagesByChannel: Record<Channel, number> = { email: 0, push: 0, sms: 0 };
  for (const delivery of deliveries) {
    if (delivery.status === "sent" && delivery.channel in messagesByChannel) {
      messagesByChannel[delivery.channel] += 1;
    }
  }
  const wonBack = profile
    ? activityAfter(profile, asOf, options.windowDays, options.winback) > 0
    : false;
  const sums = profile
    ? windowSums(profile, asOf, options.windowDays, [
        "revenueMinor",
        "email_opened",
        "push_opened",
        "sms_clicked",
      ])
    : undefined;
  const engaged = (kind: "opened" | "clicked"): boolean | null | undefined => {
    let result: boolean | null | undefined;
    for (const channel of CHANNEL_ORDER) {
      const engagement = ENGAGEMENT[channel];
      if (engagement.kind !== kind || messagesByChannel[channel] === 0) continue;
      const count = sums?.[engagement.type as "email_opened" | "push_opened" | "sms_clicked"];
      if (count !== undefined && count !== null && count > 0) return true;
      const known = sums !== undefined && count !== null && tracked.has(engagement.type);
      if (!known) result = null;
      else if (result === undefined) result = false;
    }
    return result;
  };
  let offerMinor = 0;
  let unpricedOffer = false;
  if (wonBack && action.offer && action.outcome === "published" && action.group !== "control") {
    const minor = toBaseMinor(action.offer.amount, action.offer.currency, options.currency);
    if (minor === undefined) unpricedOffer = true;
    else offerMinor = minor;
  }
  return {
    action,
    sent: action.outcome === "published",
    delivered: deliveries.some((delivery) => delivery.status === "sent"),
    opened: engaged("opened"),
    clicked: engaged("clicked"),
    wonBack,
    revenueMinor: wonBack ? Math.max(0, sums?.revenueMinor ?? 0) : 0,
    messagesByChannel,
    offerMinor,
    unpricedOffer,
    windowOpen: asOf.getTime() + options.windowDays * DAY_MS > options.now.getTime(),
    missingProfile: profile === undefined,
  };
}

/** Money in major units without binary noise (costs of 0.001 add up to 0.003, not 0.0030000…1). */
function money(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function countOrUnknown(values: readonly (boolean | null | undefined)[]): number | null {
  let count = 0;
  let applicable = 0;
  for (const value of values) {
    if (value === null) return null;
    if (value === undefined) continue;
    applicable += 1;
    if (value) count += 1;
  }
  return applicable === 0 ? null : count;
}

function summarizeArm(
  arm: string,
  group: ArmReport["group"],
  observations: readonly Observation[],
  costs: MessageCosts,
): Omit<ArmReport, "uplift"> {
  const targeted = observations.length;
  const wonBack = observations.filter((o) => o.wonBack).length;
  const messagesByChannel: Record<Channel, number> = { email: 0, push: 0, sms: 0 };
  let offerMinor = 0;
  let revenueMinor = 0;
  for (const o of observations) {
    for (const channel of CHANNEL_ORDER) {
      messagesByChannel[channel] += o.messagesByChannel[channel];
    }
    offerMinor += o.offerMinor;
    revenueMinor += o.revenueMinor;
  }
  const messages = CHANNEL_ORDER.reduce(
    (sum, channel) => sum + messagesByChannel[channel] * costs[channel],
    0,
  );
  const total = money(messages + offerMinor / 100);
  return {
    arm,
    group,
    targeted,
    sent: observations.filter((o) => o.sent).length,
    delivered: observations.filter((o) => o.delivered).length,
    opened: countOrUnknown(observations.map((o) => o.opened)),
    clicked: countOrUnknown(observations.map((o) => o.clicked)),
    wonBack,
    rate: targeted > 0 ? wonBack / targeted : null,
    rateCi95: targeted > 0 ? wilsonInterval(wonBack, targeted) : null,
    revenueWonBack: money(revenueMinor / 100),
    cost: {
      messagesByChannel,
      messages: money(messages),
      offers: money(offerMinor / 100),
      total,
    },
    costPerWonBack: wonBack > 0 ? money(total / wonBack) : null,
    windowsOpen: observations.filter((o) => o.windowOpen).length,
    missingProfiles: observations.filter((o) => o.missingProfile).length,
  };
}

function upliftOf(variant: Omit<ArmReport, "uplift">, control: Omit<ArmReport, "uplift">): Uplift {
  const comparison = compareProportions(
    variant.wonBack,
    variant.targeted,
    control.wonBack,
    control.targeted,
  );
  const incremental = comparison.difference * variant.targeted;
  return {
    ...comparison,
    incrementalWonBack: Math.round(incremental * 1e6) / 1e6,
    costPerIncrementalWonBack: incremental > 0 ? money(variant.cost.total / incremental) : null,
  };
}

/** The engagement event types the app reports at all: only for those can a 0 be told from "unknown". */
function trackedEngagement(profiles: ReadonlyMap<string, UserFeatures>): Set<EventType> {
  const tracked = new Set<EventType>();
  for (const profile of profiles.values()) {
    for (const { type } of Object.values(ENGAGEMENT)) {
      if ((profile.countsByType?.[type] ?? 0) > 0) tracked.add(type);
    }
  }
  return tracked;
}

export function buildWinbackReport(input: WinbackInput, options: WinbackOptions): WinbackReport {
  if (
    !(
      Number.isInteger(options.windowDays) &&
      options.windowDays >= 1 &&
      options.windowDays <= MAX_WINBACK_WINDOW_DAYS
    )
  ) {
    throw new RangeError(
      `windowDays must be a whole number from 1 to ${MAX_WINBACK_WINDOW_DAYS}, got ${options.windowDays}`,
    );
  }
  const tracked = trackedEngagement(input.profiles);
  const measured = new Set(measuredActions(input.actions));
  const experiments = new Map<
    string | null,
    {
      arms: Map<string, { group: ArmReport["group"]; observations: Observation[] }>;
      repeatActions: number;
      unassigned: number;
      noAction: number;
    }
  >();
  const experimentOf = (id: string | null) => {
    let experiment = experiments.get(id);
    if (!experiment) {
      experiment = { arms: new Map(), repeatActions: 0, unassigned: 0, noAction: 0 };
      experiments.set(id, experiment);
    }
    return experiment;
  };
  let unreadable = 0;
  let unpricedOffers = 0;
  for (const action of input.actions) {
    const experiment = experimentOf(action.experimentId);
    if (action.outcome === "no_action") {
      experiment.noAction += 1;
      continue;
    }
    if (Number.isNaN(Date.parse(action.asOf))) {
      unreadable += 1;
      continue;
    }
    if (!measured.has(action)) {
      experiment.repeatActions += 1;
      continue;
    }
    const arm = armOf(action);
    if (!arm) {
      experiment.unassigned += 1;
      continue;
    }
    const observation = observe(
      action,
      input.deliveries.get(actionKey(action.userId, action.warningId)) ?? [],
      input.profiles.get(action.userId),
      tracked,
      options,
    );
    if (observation.unpricedOffer) unpricedOffers += 1;
    const slot = experiment.arms.get(arm.arm) ?? { group: arm.group, observations: [] };
    slot.observations.push(observation);
    experiment.arms.set(arm.arm, slot);
  }

  const reports: ExperimentReport[] = [];
  let windowsOpen = 0;
  let missingProfiles = 0;
  for (const [experimentId, experiment] of experiments) {
    const summaries = [...experiment.arms.entries()].map(([arm, { group, observations }]) =>
      summarizeArm(arm, group, observations, options.messageCosts),
    );
    for (const summary of summaries) {
      windowsOpen += summary.windowsOpen;
      missingProfiles += summary.missingProfiles;
    }
    const control = summaries.find((summary) => summary.group === "control");
    const variants = summaries
      .filter((summary) => summary.group !== "control")
      .sort((a, b) => (a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : 0))
      .map((variant) => ({
        ...variant,
        uplift:
          control && variant.group === "variant" && variant.targeted > 0 && control.targeted > 0
            ? upliftOf(variant, control)
            : null,
      }));
    reports.push({
      experimentId,
      control: control ? { ...control, uplift: null } : null,
      variants,
      repeatActions: experiment.repeatActions,
      unassigned: experiment.unassigned,
      noAction: experiment.noAction,
    });
  }
  reports.sort((a, b) =>
    a.experimentId === b.experimentId
      ? 0
      : a.experimentId === null
        ? 1
        : b.experimentId === null
          ? -1
          : a.experimentId < b.experimentId
            ? -1
            : 1,
  );

  const warnings: string[] = [];
  if (windowsOpen > 0) {
    warnings.push(
      `${windowsOpen} user(s) are still inside their ${options.windowDays}-day window: they may still come back, so rates are provisional`,
    );
  }
  if (missingProfiles > 0) {
    warnings.push(`${missingProfiles} user(s) have no profile and count as not won back`);
  }
  if (unreadable > 0) warnings.push(`${unreadable} action record(s) have no readable asOf`);
  if (unpricedOffers > 0) {
    warnings.push(
      `${unpricedOffers} offer(s) are in a currency without a rate to ${options.currency.base} and are not in the costs`,
    );
  }
  for (const report of reports) {
    if (report.experimentId !== null && report.control === null && report.variants.length > 0) {
      warnings.push(`experiment ${report.experimentId} has no control users: no uplift`);
    }
  }
  return {
    generatedAt: options.now.toISOString(),
    winback: options.winback,
    windowDays: options.windowDays,
    currency: options.currency.base,
    messageCosts: options.messageCosts,
    experiments: reports,
    warnings,
  };
}
