/**
 * The baselines churnwatch has to beat. A model that cannot outrank "days since last seen" or a
 * textbook RFM segmentation adds nothing a spreadsheet could not, so the report always shows
 * them side by side.
 */
import { bucketOfGroup, rankGroups } from "./rank-groups.js";

export interface BaselineRow {
  /** Days since last activity; null when the user was never active or never bought. */
  readonly recencyDays: number | null;
  readonly frequency: number;
  readonly monetaryMinor: number;
}

function recencyOrWorst(rows: readonly BaselineRow[]): number[] {
  let worst = 0;
  for (const row of rows) {
    if (row.recencyDays !== null && row.recencyDays > worst) worst = row.recencyDays;
  }
  // One day beyond the longest observed silence: riskiest, but finite so every sort and
  // difference stays well defined (Infinity − Infinity is NaN).
  return rows.map((row) => row.recencyDays ?? worst + 1);
}

/** Days since last activity as the risk score: the longer the silence, the riskier. */
export function recencyScores(rows: readonly BaselineRow[]): number[] {
  return recencyOrWorst(rows);
}

/**
 * Quintile scores 1–5, 5 for the largest values. A group of equal values shares the quintile
 * holding its centre, so ties never straddle quintiles and the input order does not
 * matter; with heavy ties (most users with one order) some quintiles stay empty.
 */
export function quintiles(values: readonly number[]): number[] {
  const out = new Array<number>(values.length).fill(0);
  const { order, groups } = rankGroups(values, "ascending");
  for (const group of groups) {
    const q = bucketOfGroup(group, values.length, 5);
    for (let k = group.start; k < group.end; k += 1) out[order[k] as number] = q;
  }
  return out;
}

export interface RfmScore {
  /** 5 = most recent. */
  readonly r: number;
  /** 5 = most frequent. */
  readonly f: number;
  /** 5 = highest spend. */
  readonly m: number;
  /** (15 − (R + F + M)) / 12: 0 for the best customers, 1 for the worst. */
  readonly risk: number;
}

export function rfmScores(rows: readonly BaselineRow[]): RfmScore[] {
  // Recency is reversed by negating it: the most recent users get the largest values.
  const r = quintiles(recencyOrWorst(rows).map((days) => -days));
  const f = quintiles(rows.map((row) => row.frequency));
  const m = quintiles(rows.map((row) => row.monetaryMinor));
  return rows.map((_, i) => {
    const ri = r[i] as number;
    const fi = f[i] as number;
    const mi = m[i] as number;
    return { r: ri, f: fi, m: mi, risk: (15 - (ri + fi + mi)) / 12 };
  });
}

export function rfmRiskScores(rows: readonly BaselineRow[]): number[] {
  return rfmScores(rows).map((score) => score.risk);
}
