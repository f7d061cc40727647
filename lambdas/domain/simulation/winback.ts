/**
 * A win-back experiment with a known treatment effect, on a simulated shop (shop.ts), so that
 * the win-back report (domain/winback.ts) can be checked against the truth.
 *
 * ## The experiment
 * A scoring run as of `asOf` warns some users; the plan step assigns each warned user to an
 * experiment's control group or to a variant (domain/actions/experiments.ts) and messages the
 * variants. The simulator reads those assignments back and decides what each targeted user does
 * in the win-back window: the local days (day of asOf, day of asOf + N] in the user's time zone,
 * exactly the days the report counts.
 *
 * ## Potential outcomes
 * For every targeted user, in either group, the simulator knows both outcomes:
 * - untreated, Y(0): the user's natural future (the generator's own events) has a purchase in
 *   the window — the *natural win-back*;
 * - treated, Y(1) = Y(0) or R, where R ("responds") is a draw u < E from the user's own stream,
 *   made for every targeted user alike (so the draw does not depend on the group).
 * A user in a variant lives Y(1): one who would not come back naturally and responds gets one
 * extra visit with a purchase (about their usual basket) on a uniformly drawn day of the
 * window. A control user lives Y(0). Natural events are never changed or removed.
 *
 * The effect applies to everyone assigned to a variant (intention to treat), whatever became of
 * the message: this is what the report measures (it counts every assigned user as targeted), and
 * in the simulated shop every user has consented to e-mail, so every variant user is contacted
 * (a message published, or marketing alerted for high-value users) unless a sender's guard
 * (frequency cap, campaign cooldown) drops it later — which ITT deliberately ignores.
 *
 * ## The true effect
 * With p₀ the natural win-back rate of the targeted users (both groups, from Y(0)), the effect
 * of being assigned to a variant on the win-back rate is
 *   **uplift = E × (1 − p₀)**
 * — the number the report's 95 % interval for variant − control should cover. The simulator also
 * gives the sample's own average effect (the share of targeted users with R and not Y(0)) and the
 * realised rates per arm, which the report must reproduce exactly.
 *
 * Pure: no I/O.
 */
import { dayKey, dayNumberOfKey, localDayNumber } from "../calendar.js";
import type { BehaviourEvent } from "../events.js";
import {
  activeDayEventsOf,
  CHURNING_TYPES,
  type SimShop,
  type SimUser,
  type TruthRow,
  winbackPurchaseEvents,
  winbackStream,
} from "./shop.js";

/** A targeted user's experiment arm, as the plan step recorded it. */
export interface ArmAssignment {
  readonly userId: string;
  readonly experimentId: string;
  readonly group: "control" | "variant";
  /** `control`, or the variant's id. */
  readonly arm: string;
}

export interface WinbackTreatment {
  /** E: the chance that a treated user who would not come back naturally does, in [0, 1]. */
  readonly effect: number;
  /** The scoring run's as-of: the window starts on its local day. */
  readonly asOf: Date;
  /** N: the window's length in days. */
  readonly windowDays: number;
}

/** Day offsets (from the shop's start) of a window: after `after`, up to `through` included. */
export interface WinbackWindow {
  readonly after: number;
  readonly through: number;
}

export interface TargetedOutcome extends ArmAssignment {
  readonly window: WinbackWindow;
  /** Y(0): a purchase in the window in the user's natural future. */
  readonly naturalWinback: boolean;
  /** R: would be won back by the treatment (u < E), drawn for both groups alike. */
  readonly responds: boolean;
  /** The day offset of the purchase the treatment added, or null when it added none. */
  readonly treatmentDay: number | null;
  /** The events of that purchase (empty when none). */
  readonly treatmentEvents: readonly BehaviourEvent[];
}

export function checkTreatment(treatment: WinbackTreatment): void {
  const { effect, asOf, windowDays } = treatment;
  if (!(Number.isFinite(effect) && effect >= 0 && effect <= 1)) {
    throw new RangeError(`the treatment effect must be a probability from 0 to 1, got ${effect}`);
  }
  if (!(asOf instanceof Date) || Number.isNaN(asOf.getTime())) {
    throw new RangeError("asOf must be a valid date");
  }
  if (!(Number.isInteger(windowDays) && windowDays >= 1)) {
    throw new RangeError(`windowDays must be a whole number ≥ 1, got ${windowDays}`);
  }
}

/** The report's window for this user: the local days (day of asOf, day of asOf + N]. */
export function winbackWindow(
  user: SimUser,
  shop: SimShop,
  asOf: Date,
  windowDays: number,
): WinbackWindow {
  const after = localDayNumber(asOf.getTime(), user.timezone) - dayNumberOfKey(shop.start);
  return { after, through: after + windowDays };
}

/** The day offsets on which the user's natural events have a purchase, in order. */
export function naturalPurchaseDays(user: SimUser, shop: SimShop): number[] {
  const days: number[] = [];
  for (const { day, events } of activeDayEventsOf(user, shop)) {
    if (events.some((event) => event.type === "purchase")) days.push(day);
  }
  return days;
}

/**
 * What a targeted user does in the window, and the purchase the treatment adds, if any.
 * @throws RangeError when the window runs past the simulated period or starts before it.
 */
export function targetedOutcome(
  user: SimUser,
  shop: SimShop,
  assignment: ArmAssignment,
  treatment: WinbackTreatment,
): TargetedOutcome {
  checkTreatment(treatment);
  const window = winbackWindow(user, shop, treatment.asOf, treatment.windowDays);
  if (window.after < 0 || window.through > shop.days - 1) {
    throw new RangeError(
      `the ${treatment.windowDays}-day window after ${treatment.asOf.toISOString()} (${user.userId}: days ${
        window.after + 1
      } to ${window.through}) is not inside the simulated days 0 to ${shop.days - 1}`,
    );
  }
  const naturalWinback = naturalPurchaseDays(user, shop).some(
    (day) => day > window.after && day <= window.through,
  );
  // Both draws for every targeted user, in this order, whatever the group: the response and its
  // day are fixed by (seed, user) alone, and E only moves the threshold.
  const random = winbackStream(user, shop);
  const responds = random.next() < treatment.effect;
  const day = random.int(window.after + 1, window.through);
  const treated = assignment.group === "variant" && responds && !naturalWinback;
  return {
    ...assignment,
    window,
    naturalWinback,
    responds,
    treatmentDay: treated ? day : null,
    treatmentEvents: treated ? winbackPurchaseEvents(user, shop, day, random) : [],
  };
}

/** Whether an event happened before the instant (the scoring run sees only those). */
export function happenedBefore(event: BehaviourEvent, instantMs: number): boolean {
  return Date.parse(event.occurredAt) < instantMs;
}

/** The user's natural events before the instant, in time order. */
export function* eventsBefore(
  user: SimUser,
  shop: SimShop,
  instantMs: number,
): Generator<BehaviourEvent> {
  for (const { events } of activeDayEventsOf(user, shop)) {
    for (const event of events) if (happenedBefore(event, instantMs)) yield event;
  }
}

/**
 * The user's events from the instant on: the natural ones, and the treatment's purchase on its
 * day (after that day's natural visit, if any), in day order.
 */
export function* eventsFrom(
  user: SimUser,
  shop: SimShop,
  instantMs: number,
  outcome?: Pick<TargetedOutcome, "treatmentDay" | "treatmentEvents">,
): Generator<BehaviourEvent> {
  const extraDay = outcome?.treatmentDay ?? null;
  let extraDone = extraDay === null;
  for (const { day, events } of activeDayEventsOf(user, shop)) {
    if (!extraDone && (extraDay as number) < day) {
      yield* outcome?.treatmentEvents ?? [];
      extraDone = true;
    }
    for (const event of events) if (!happenedBefore(event, instantMs)) yield event;
    if (!extraDone && extraDay === day) {
      yield* outcome?.treatmentEvents ?? [];
      extraDone = true;
    }
  }
  if (!extraDone) yield* outcome?.treatmentEvents ?? [];
}

export interface ArmTruth {
  readonly arm: string;
  readonly group: "control" | "variant";
  readonly targeted: number;
  /** Users with a natural purchase in the window, Y(0). */
  readonly naturalWinback: number;
  /** Users won back as they really lived: Y(1) in a variant, Y(0) in control. */
  readonly wonBack: number;
  /** wonBack / targeted. */
  readonly rate: number | null;
  /** Purchases the treatment added (variants only). */
  readonly treatmentPurchases: number;
}

export interface ExperimentTruth {
  readonly experimentId: string;
  readonly targeted: number;
  /** p₀: the natural win-back rate of every targeted user, both groups. */
  readonly naturalWinbackRate: number | null;
  /**
   * E × (1 − p₀): the effect of assignment to a variant on the win-back rate — what the
   * report's 95 % interval of variant − control should cover.
   */
  readonly trueUplift: number | null;
  /** The sample's own average effect: share of targeted users with R and not Y(0). */
  readonly sampleUplift: number | null;
  readonly control: ArmTruth | null;
  readonly variants: readonly ArmTruth[];
  /** Per variant: its realised rate − control's (what the report's point estimate must be). */
  readonly realisedUplift: Readonly<Record<string, number>>;
}

export interface WinbackTruth {
  readonly effect: number;
  readonly windowDays: number;
  readonly asOf: string;
  readonly experiments: readonly ExperimentTruth[];
}

function armTruth(arm: string, outcomes: readonly TargetedOutcome[]): ArmTruth {
  const group = outcomes[0]?.group ?? "control";
  const treated = outcomes.filter((o) => o.treatmentDay !== null).length;
  const natural = outcomes.filter((o) => o.naturalWinback).length;
  const wonBack = natural + treated;
  return {
    arm,
    group,
    targeted: outcomes.length,
    naturalWinback: natural,
    wonBack,
    rate: outcomes.length > 0 ? wonBack / outcomes.length : null,
    treatmentPurchases: treated,
  };
}

/** The truth of each experiment, from the outcomes of its targeted users (any order). */
export function winbackTruth(
  outcomes: readonly TargetedOutcome[],
  treatment: WinbackTreatment,
): WinbackTruth {
  checkTreatment(treatment);
  const byExperiment = new Map<string, TargetedOutcome[]>();
  for (const outcome of outcomes) {
    const list = byExperiment.get(outcome.experimentId) ?? [];
    list.push(outcome);
    byExperiment.set(outcome.experimentId, list);
  }
  const experiments: ExperimentTruth[] = [...byExperiment.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([experimentId, list]) => {
      const arms = new Map<string, TargetedOutcome[]>();
      for (const outcome of list) {
        const key = outcome.group === "control" ? "control" : outcome.arm;
        arms.set(key, [...(arms.get(key) ?? []), outcome]);
      }
      const control = arms.has("control") ? armTruth("control", arms.get("control") ?? []) : null;
      const variants = [...arms.entries()]
        .filter(([arm]) => arm !== "control")
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([arm, armOutcomes]) => armTruth(arm, armOutcomes));
      const n = list.length;
      const p0 = n > 0 ? list.filter((o) => o.naturalWinback).length / n : null;
      const realisedUplift: Record<string, number> = {};
      for (const variant of variants) {
        if (control?.rate != null && variant.rate !== null) {
          realisedUplift[variant.arm] = variant.rate - control.rate;
        }
      }
      return {
        experimentId,
        targeted: n,
        naturalWinbackRate: p0,
        trueUplift: p0 === null ? null : treatment.effect * (1 - p0),
        sampleUplift: n > 0 ? list.filter((o) => o.responds && !o.naturalWinback).length / n : null,
        control,
        variants,
        realisedUplift,
      };
    });
  return {
    effect: treatment.effect,
    windowDays: treatment.windowDays,
    asOf: treatment.asOf.toISOString(),
    experiments,
  };
}

/**
 * The ground truth as the users really lived: a treated user's added purchase is activity, so it
 * can move their last active day (and a churner's churn date: last active + churnDays).
 */
export function treatedTruth(
  shop: SimShop,
  outcomes: Iterable<Pick<TargetedOutcome, "userId" | "treatmentDay">>,
): TruthRow[] {
  const start = dayNumberOfKey(shop.start);
  const extraDay = new Map<string, number>();
  for (const outcome of outcomes) {
    if (outcome.treatmentDay !== null) extraDay.set(outcome.userId, outcome.treatmentDay);
  }
  return shop.truth.map((row) => {
    const day = extraDay.get(row.userId);
    if (day === undefined) return row;
    const last =
      row.lastActiveDate === null ? day : Math.max(dayNumberOfKey(row.lastActiveDate) - start, day);
    return {
      ...row,
      lastActiveDate: dayKey(start + last),
      churnDate: CHURNING_TYPES.has(row.type)
        ? dayKey(start + last + shop.churnDays)
        : row.churnDate,
    };
  });
}
