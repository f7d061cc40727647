/**
 * Parses the as-of time of a scoring run (`--as-of`, `POST /_local/schedules/…/run`). Strict on
 * purpose: `Date.parse` accepts things like "3/4" whose meaning depends on the machine's locale
 * and time zone, and a run scored on the wrong day is worse than an error.
 */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export class AsOfError extends Error {
  override readonly name = "AsOfError";
}

function validCalendarDate(year: number, month: number, day: number): boolean {
  const probe = new Date(Date.UTC(year, month - 1, day));
  return (
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day
  );
}

/**
 * `2024-05-01` → midnight UTC that day; `2024-05-01T09:30[:00[.000]][Z|+02:00]` → that instant
 * (UTC when no offset is given).
 */
export function parseAsOf(raw: string): Date {
  const text = raw.trim();
  const dateOnly = DATE_ONLY.exec(text);
  const dateTime = dateOnly ? undefined : DATE_TIME.exec(text);
  const match = dateOnly ?? dateTime;
  if (!match) {
    throw new AsOfError(
      `"${raw}" is not a date: use YYYY-MM-DD or an ISO 8601 date-time such as 2024-05-01T02:00:00Z`,
    );
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!validCalendarDate(year, month, day)) throw new AsOfError(`"${raw}" is not a calendar date`);
  if (dateOnly) return new Date(Date.UTC(year, month - 1, day));
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) throw new AsOfError(`"${raw}" is not a valid time`);
  const zone = match[8] ?? "Z";
  const fraction = match[7] ? `.${match[7].slice(0, 3).padEnd(3, "0")}` : "";
  const iso = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${String(second).padStart(2, "0")}${fraction}${
    zone.toUpperCase() === "Z"
      ? "Z"
      : zone.includes(":")
        ? zone
        : `${zone.slice(0, 3)}:${zone.slice(3)}`
  }`;
  const parsed = new Date(iso);
  if (Number.isNaN(parsed.getTime())) throw new AsOfError(`"${raw}" is not a valid date-time`);
  return parsed;
}
