/**
 * Buy-till-you-die inputs of one customer as BTYD and lifetimes compute them (the CDNOW
 * conventions): purchases on one day are one purchase-day, the first purchase-day is time 0 and
 * not counted, x = repeat purchase-days up to the calibration end (inclusive), t_x = last − first
 * purchase-day and T = calibration end − first purchase-day, both in weeks (days / 7).
 */
import type { UserFeatures } from "./features.js";

const DAYS_PER_WEEK = 7;

export interface BtydInputs {
  /** Repeat purchase-days on or before the calibration end. */
  readonly x: number;
  /** Recency: weeks from the first to the last purchase-day on or before the calibration end. */
  readonly tx: number;
  /** Age: weeks from the first purchase-day to the calibration end. */
  readonly T: number;
  /** The same two spans in whole days, exact. */
  readonly txDays: number;
  readonly ageDays: number;
}

/**
 * x, t_x and T from the sorted distinct purchase days (day numbers, days since 1970-01-01 in
 * the user's local calendar), counting purchases up to `calibrationEnd` (a day number,
 * inclusive). Undefined when the user had not purchased by then.
 */
export function btydInputs(
  features: Pick<UserFeatures, "purchaseDays">,
  calibrationEnd: number,
): BtydInputs | undefined {
  let first: number | undefined;
  let last: number | undefined;
  let days = 0;
  // Sorted and distinct by contract; min/max/count keep this right even if a caller's list is not.
  const seen = new Set<number>();
  for (const day of features.purchaseDays) {
    if (day > calibrationEnd || seen.has(day)) continue;
    seen.add(day);
    days += 1;
    if (first === undefined || day < first) first = day;
    if (last === undefined || day > last) last = day;
  }
  if (first === undefined || last === undefined) return undefined;
  const txDays = last - first;
  const ageDays = calibrationEnd - first;
  return {
    x: days - 1,
    tx: txDays / DAYS_PER_WEEK,
    T: ageDays / DAYS_PER_WEEK,
    txDays,
    ageDays,
  };
}

export interface BtydCbsRow {
  readonly cust: string;
  readonly x: number;
  readonly tx: number;
  readonly T: number;
}

export const BTYD_CBS_HEADER = "cust,x,t_x,T";

/** `5` → `5`, `213/7` → `30.428571428571427`: the shortest text that reads back as the same double. */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return Object.is(value, -0) ? "0" : String(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function formatBtydCbsRow(row: BtydCbsRow): string {
  return [csvField(row.cust), formatNumber(row.x), formatNumber(row.tx), formatNumber(row.T)].join(
    ",",
  );
}

/** The whole CSV: header, one line per row in the order given, `\n` line ends, final newline. */
export function formatBtydCbsCsv(rows: Iterable<BtydCbsRow>): string {
  const lines = [BTYD_CBS_HEADER];
  for (const row of rows) lines.push(formatBtydCbsRow(row));
  return `${lines.join("\n")}\n`;
}

/**
 * Orders user IDs so runs of digits compare as numbers (`c-2` before `c-10`, `1` … `2357`),
 * independent of locale; IDs that compare equal that way fall back to plain code-unit order.
 */
export function compareUserIds(a: string, b: string): number {
  const chunks = /(\d+|\D+)/g;
  const left = a.match(chunks) ?? [];
  const right = b.match(chunks) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i += 1) {
    const l = left[i] as string;
    const r = right[i] as string;
    const lDigits = /^\d/.test(l);
    const rDigits = /^\d/.test(r);
    if (lDigits && rDigits) {
      const lTrim = l.replace(/^0+(?=\d)/, "");
      const rTrim = r.replace(/^0+(?=\d)/, "");
      if (lTrim.length !== rTrim.length) return lTrim.length - rTrim.length;
      if (lTrim !== rTrim) return lTrim < rTrim ? -1 : 1;
    } else if (l !== r) {
      return l < r ? -1 : 1;
    }
  }
  if (left.length !== right.length) return left.length - right.length;
  return a === b ? 0 : a < b ? -1 : 1;
}
