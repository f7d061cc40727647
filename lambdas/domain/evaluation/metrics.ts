/**
 * Classification and ranking metrics for judging churn scores against what happened.
 *
 * A user is flagged when score ≥ threshold. A ratio whose denominator is zero (precision with
 * nobody flagged, recall without positives, a decile nobody fell into) is `null`, not 0 or NaN:
 * "undefined" must not read as "bad" in a report, and null survives JSON.
 */
import { bucketOfGroup, rankGroups } from "./rank-groups.js";

type Labels = ArrayLike<boolean | 0 | 1>;

export interface Confusion {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
}

export interface Classification extends Confusion {
  readonly threshold: number;
  readonly flagged: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

function checkLengths(what: string, scores: ArrayLike<number>, labels: Labels): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`${what}: ${scores.length} scores but ${labels.length} labels`);
  }
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}

export function confusionAt(
  scores: ArrayLike<number>,
  labels: Labels,
  threshold: number,
): Confusion {
  checkLengths("confusionAt", scores, labels);
  let truePositives = 0;
  let falsePositives = 0;
  let trueNegatives = 0;
  let falseNegatives = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const flagged = (scores[i] as number) >= threshold;
    if (labels[i]) {
      if (flagged) truePositives += 1;
      else falseNegatives += 1;
    } else if (flagged) falsePositives += 1;
    else trueNegatives += 1;
  }
  return { truePositives, falsePositives, trueNegatives, falseNegatives };
}

export function precisionOf(c: Confusion): number | null {
  return ratio(c.truePositives, c.truePositives + c.falsePositives);
}

export function recallOf(c: Confusion): number | null {
  return ratio(c.truePositives, c.truePositives + c.falseNegatives);
}

/** 2TP / (2TP + FP + FN): the harmonic mean of precision and recall without dividing twice. */
export function f1Of(c: Confusion): number | null {
  return ratio(2 * c.truePositives, 2 * c.truePositives + c.falsePositives + c.falseNegatives);
}

export function classifyAt(
  scores: ArrayLike<number>,
  labels: Labels,
  threshold: number,
): Classification {
  const c = confusionAt(scores, labels, threshold);
  return {
    ...c,
    threshold,
    flagged: c.truePositives + c.falsePositives,
    precision: precisionOf(c),
    recall: recallOf(c),
    f1: f1Of(c),
  };
}

/**
 * The highest threshold whose recall is at least `recall` — the one that flags the fewest users
 * for that recall. It is always one of the scores. Null without positives: no threshold can
 * catch a share of nobody.
 */
export function thresholdForRecall(
  scores: ArrayLike<number>,
  labels: Labels,
  recall: number,
): number | null {
  checkLengths("thresholdForRecall", scores, labels);
  if (!(recall > 0 && recall <= 1)) {
    throw new RangeError(`thresholdForRecall: recall must be in (0, 1], got ${recall}`);
  }
  let positives = 0;
  for (let i = 0; i < labels.length; i += 1) if (labels[i]) positives += 1;
  if (positives === 0) return null;
  const { order, groups } = rankGroups(scores, "descending");
  let caught = 0;
  for (const group of groups) {
    for (let k = group.start; k < group.end; k += 1) if (labels[order[k] as number]) caught += 1;
    // Compare counts, not a division, so recall 1/3 is reached by exactly 1 of 3 positives.
    if (caught >= recall * positives - 1e-9) return group.value;
  }
  return null;
}

export interface CountThreshold {
  /** +Infinity when flagging nobody is closest to the count asked for. */
  readonly threshold: number;
  readonly flagged: number;
}

/**
 * The threshold flagging the number of users closest to `count`. Ties in score make some counts
 * unreachable; between two equally close counts the smaller wins, so a baseline compared at
 * "the same number of flagged users" is never handed extra users.
 */
export function thresholdForCount(scores: ArrayLike<number>, count: number): CountThreshold {
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(`thresholdForCount: count must be a whole number ≥ 0, got ${count}`);
  }
  let best: CountThreshold = { threshold: Number.POSITIVE_INFINITY, flagged: 0 };
  for (const group of rankGroups(scores, "descending").groups) {
    if (Math.abs(group.end - count) < Math.abs(best.flagged - count)) {
      best = { threshold: group.value, flagged: group.end };
    }
    if (group.end >= count) break;
  }
  return best;
}

export interface LiftRow {
  /** 1 holds the highest scores. */
  readonly decile: number;
  readonly users: number;
  readonly positives: number;
  /** Share of this decile's users that are positive. */
  readonly rate: number | null;
  /** rate over the population's positive rate: 3 means three times as many churners as random. */
  readonly lift: number | null;
  /** Share of all positives in deciles 1..this one. */
  readonly cumulativeRecall: number | null;
}

/**
 * Lift by score decile. Users are sorted by score, highest first; a group of equal scores goes
 * whole into the decile holding the group's centre position (see `bucketOfGroup`), so equal
 * scores are never split by input order. Deciles are therefore only roughly n/10 users each,
 * and can be empty when one score is shared by many users.
 */
export function liftByDecile(scores: ArrayLike<number>, labels: Labels): LiftRow[] {
  checkLengths("liftByDecile", scores, labels);
  const n = scores.length;
  const users = new Array<number>(10).fill(0);
  const positives = new Array<number>(10).fill(0);
  let totalPositives = 0;
  const { order, groups } = rankGroups(scores, "descending");
  for (const group of groups) {
    const decile = bucketOfGroup(group, n, 10) - 1;
    users[decile] = (users[decile] as number) + group.end - group.start;
    for (let k = group.start; k < group.end; k += 1) {
      if (labels[order[k] as number]) {
        positives[decile] = (positives[decile] as number) + 1;
        totalPositives += 1;
      }
    }
  }
  const baseRate = ratio(totalPositives, n);
  let cumulative = 0;
  return users.map((count, i) => {
    const hits = positives[i] as number;
    cumulative += hits;
    const rate = ratio(hits, count);
    return {
      decile: i + 1,
      users: count,
      positives: hits,
      rate,
      lift: rate === null || !baseRate ? null : rate / baseRate,
      cumulativeRecall: ratio(cumulative, totalPositives),
    };
  });
}

/** Mean squared error of scores read as probabilities; lower is better, 0.25 is a coin flip. */
export function brier(scores: ArrayLike<number>, labels: Labels): number | null {
  checkLengths("brier", scores, labels);
  if (scores.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const error = (scores[i] as number) - (labels[i] ? 1 : 0);
    sum += error * error;
  }
  return sum / scores.length;
}

/**
 * The q-quantile by linear interpolation between order statistics (Hyndman & Fan type 7, the
 * default of R and NumPy). NaN entries are missing values and skipped; nothing left gives null.
 */
export function quantile(values: Iterable<number>, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length === 0) return null;
  const h = (sorted.length - 1) * q;
  const lower = Math.floor(h);
  const low = sorted[lower] as number;
  const high = sorted[Math.min(lower + 1, sorted.length - 1)] as number;
  return high === low ? low : low + (h - lower) * (high - low);
}

export function median(values: Iterable<number>): number | null {
  return quantile(values, 0.5);
}
