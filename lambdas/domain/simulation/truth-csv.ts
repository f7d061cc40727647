/**
 * The simulator's ground truth as CSV, `userId,type,lastActiveDate,churnDate`, one user a line;
 * an empty date means null. `simulate` writes it and `evaluate` reads it back, possibly much
 * later and after hand edits, so a bad file fails on the first bad line, naming it.
 * User IDs cannot hold commas or quotes (see events.ts), so no quoting is needed.
 */
import { dayKey, dayNumberOfKey } from "../calendar.js";
import { userIdSchema } from "../events.js";
import { BEHAVIOUR_TYPES, type BehaviourType, type TruthRow } from "./shop.js";

export const TRUTH_CSV_HEADER = "userId,type,lastActiveDate,churnDate";

export class TruthCsvError extends Error {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`truth CSV line ${line}: ${reason}`);
    this.name = "TruthCsvError";
  }
}

export function formatTruthRow(row: TruthRow): string {
  return [row.userId, row.type, row.lastActiveDate ?? "", row.churnDate ?? ""].join(",");
}

/** Header and one line per row, each ending in a newline. */
export function formatTruthCsv(rows: Iterable<TruthRow>): string {
  const lines = [TRUTH_CSV_HEADER];
  for (const row of rows) lines.push(formatTruthRow(row));
  return `${lines.join("\n")}\n`;
}

function parseDate(value: string, column: string, line: number): string | null {
  if (value === "") return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || dayKey(dayNumberOfKey(value)) !== value) {
    throw new TruthCsvError(line, `${column} "${value}" is not a YYYY-MM-DD date`);
  }
  return value;
}

/** Accepts LF or CRLF, a byte-order mark and blank lines; rejects a repeated user. */
export function parseTruthCsv(text: string): TruthRow[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== "");
  if (headerIndex < 0) throw new TruthCsvError(1, "the file is empty");
  if (lines[headerIndex]?.trim() !== TRUTH_CSV_HEADER) {
    throw new TruthCsvError(headerIndex + 1, `expected the header "${TRUTH_CSV_HEADER}"`);
  }
  const rows: TruthRow[] = [];
  const seen = new Set<string>();
  for (let i = headerIndex + 1; i < lines.length; i += 1) {
    const raw = lines[i] as string;
    if (raw.trim() === "") continue;
    const line = i + 1;
    const fields = raw.split(",").map((field) => field.trim());
    if (fields.length !== 4) {
      throw new TruthCsvError(line, `expected 4 fields, found ${fields.length}`);
    }
    const [userId, type, lastActive, churn] = fields as [string, string, string, string];
    if (!userIdSchema.safeParse(userId).success) {
      throw new TruthCsvError(line, `"${userId}" is not a valid user ID`);
    }
    if (seen.has(userId)) throw new TruthCsvError(line, `user ${userId} appears twice`);
    seen.add(userId);
    if (!(BEHAVIOUR_TYPES as readonly string[]).includes(type)) {
      throw new TruthCsvError(line, `unknown type "${type}"`);
    }
    const lastActiveDate = parseDate(lastActive, "lastActiveDate", line);
    const churnDate = parseDate(churn, "churnDate", line);
    if (churnDate !== null && lastActiveDate !== null && churnDate <= lastActiveDate) {
      throw new TruthCsvError(line, "churnDate must come after lastActiveDate");
    }
    rows.push({ userId, type: type as BehaviourType, lastActiveDate, churnDate });
  }
  return rows;
}
