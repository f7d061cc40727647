/**
 * How a user's activity came and went over the last year: the longest absence they came back
 * from, how many long absences they came back from, and how the current silence compares. A
 * user who has been away three weeks before and returned is not the same risk as one who never
 * missed a week and has now gone quiet — the difference between a seasonal shopper and a quitter.
 */
import { dayNumberOfKey, localDayNumber } from "../calendar.js";
import type { UserFeatures } from "../features.js";

export const GAP_WINDOW_DAYS = 365;
/** An absence at least this long that ended in a return counts as a "came back". */
export const LONG_GAP_DAYS = 14;

export interface ActivityGaps {
  /** Longest run of inactive days between two active days in the window; 0 with < 2 active days. */
  readonly longestGapDays: number;
  /** Absences of LONG_GAP_DAYS or more the user came back from. */
  readonly returnsAfterLongGap: number;
  readonly activeDays365: number;
  /** Inactive days since the last active day up to today (local). */
  readonly currentGapDays: number;
}

// One scratch row of the window, reused: this runs per user per scoring run.
const active = new Uint8Array(GAP_WINDOW_DAYS);

export function activityGaps(
  features: Pick<UserFeatures, "days" | "timezone">,
  asOf: Date,
): ActivityGaps {
  const today = localDayNumber(asOf.getTime(), features.timezone ?? "UTC");
  active.fill(0);
  let activeDays365 = 0;
  for (const key in features.days) {
    const age = today - dayNumberOfKey(key);
    if (age >= 0 && age < GAP_WINDOW_DAYS && active[age] === 0) {
      active[age] = 1;
      activeDays365 += 1;
    }
  }
  let longestGapDays = 0;
  let returnsAfterLongGap = 0;
  let currentGapDays = GAP_WINDOW_DAYS;
  let lastActiveAge = -1;
  // From today backwards: the first active day ends the current silence; every later one closes
  // the absence between it and the previous (more recent) active day.
  for (let age = 0; age < GAP_WINDOW_DAYS; age += 1) {
    if (active[age] === 0) continue;
    if (lastActiveAge < 0) {
      currentGapDays = age;
    } else {
      const gap = age - lastActiveAge - 1;
      if (gap > longestGapDays) longestGapDays = gap;
      if (gap >= LONG_GAP_DAYS) returnsAfterLongGap += 1;
    }
    lastActiveAge = age;
  }
  return { longestGapDays, returnsAfterLongGap, activeDays365, currentGapDays };
}
