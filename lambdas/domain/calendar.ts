/**
 * Calendar days in a user's own time zone, as integers (days since 1970-01-01 of the local
 * date), so that buckets and purchase days compare and subtract exactly.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isIanaTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The local calendar day of an instant in a time zone, as a day number. */
export function localDayNumber(epochMs: number, timeZone = "UTC"): number {
  if (timeZone === "UTC") return Math.floor(epochMs / DAY_MS);
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return Math.floor(Date.UTC(get("year"), get("month") - 1, get("day")) / DAY_MS);
}

export function dayKey(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

export function monthKey(dayNumber: number): string {
  return dayKey(dayNumber).slice(0, 7);
}

export function dayNumberOfKey(key: string): number {
  return Math.floor(Date.parse(`${key}T00:00:00Z`) / DAY_MS);
}

/** 1-based day of the month of a day number. */
export function dayOfMonth(dayNumber: number): number {
  return new Date(dayNumber * DAY_MS).getUTCDate();
}
