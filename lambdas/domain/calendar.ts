/**
 * Calendar days in a user's own time zone, as integers (days since 1970-01-01 of the local
 * date), so that buckets and purchase days compare and subtract exactly.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
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

/** A numeric field of formatToParts' output (NaN when it is missing). */
function partOf(parts: readonly Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) {
  for (const part of parts) if (part.type === type) return Number(part.value);
  return Number.NaN;
}

/** The local day as Intl reads it, on every call: what the cache below answers from memory. */
function intlLocalDayNumber(epochMs: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  return Math.floor(
    Date.UTC(partOf(parts, "year"), partOf(parts, "month") - 1, partOf(parts, "day")) / DAY_MS,
  );
}

/*
 * Scoring asks for the local day of one moment per user, ingest for one per event; Intl answers
 * in microseconds. So each zone's offset from UTC is read once per UTC hour and kept: the local
 * day of any instant in that hour is then floor((instant + offset) / day). An hour is only kept
 * when its first and its last second have the same offset; an hour in which the zone changes its
 * offset (a DST change, a zone moving across the date line) is asked of Intl on every call, so
 * the answer is Intl's across every change, at whatever minute of the hour it falls. (Offsets
 * are whole seconds, and no zone changes its offset and back within one hour.) Outside
 * 1900–2199, where Intl's calendar and Date.UTC's reading of two-digit years part ways, every
 * call asks Intl as well.
 */
const CACHED_FROM_MS = Date.UTC(1900, 0, 1);
const CACHED_TO_MS = Date.UTC(2200, 0, 1);
/** Marks an hour with an offset change in it. */
const CHANGES = Number.NaN;
/** Hours kept per zone before its memo starts afresh; a run meets a few, ingest a few thousand. */
const MAX_HOURS_PER_ZONE = 8_192;
/** Zones kept before the memo of zones starts afresh (a guard against junk zone names). */
const MAX_ZONES = 1_024;

interface ZoneOffsets {
  /** Wall clock to the second, hours 00–23. */
  readonly clock: Intl.DateTimeFormat;
  /** UTC hour number → offset in ms, or CHANGES. */
  readonly byHour: Map<number, number>;
  /** The hour asked last and its offset: a scoring run asks for one moment over and over. */
  lastHour: number;
  lastOffset: number;
}

const offsetsByZone = new Map<string, ZoneOffsets>();

function zoneOffsets(timeZone: string): ZoneOffsets {
  let zone = offsetsByZone.get(timeZone);
  if (zone === undefined) {
    // Throws for a zone Intl does not know, as formatToParts' own formatter would.
    formatterFor(timeZone);
    zone = {
      clock: new Intl.DateTimeFormat("en-CA", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
      byHour: new Map(),
      lastHour: Number.NaN,
      lastOffset: Number.NaN,
    };
    if (offsetsByZone.size >= MAX_ZONES) offsetsByZone.clear();
    offsetsByZone.set(timeZone, zone);
  }
  return zone;
}

/**
 * Local wall clock minus UTC, in ms, at the whole second of `epochMs`, as Intl reads it. Offsets
 * change only at whole seconds, so this holds for every instant of that second.
 */
function offsetAt(clock: Intl.DateTimeFormat, epochMs: number): number {
  const second = Math.floor(epochMs / 1000) * 1000;
  const parts = clock.formatToParts(new Date(second));
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const wall = new Date(0);
  wall.setUTCFullYear(partOf(parts, "year"), partOf(parts, "month") - 1, partOf(parts, "day"));
  wall.setUTCHours(partOf(parts, "hour"), partOf(parts, "minute"), partOf(parts, "second"), 0);
  return wall.getTime() - second;
}

/**
 * How far the zone's wall clock is ahead of UTC at `epochMs`, in ms: from the per-hour memo
 * where the hour has one offset, else from Intl at that second.
 * @throws RangeError for a zone Intl does not know.
 */
export function utcOffsetMs(epochMs: number, timeZone: string): number {
  if (timeZone === "UTC") return 0;
  const zone = zoneOffsets(timeZone);
  if (epochMs >= CACHED_FROM_MS && epochMs < CACHED_TO_MS) {
    const offset = hourOffset(zone, Math.floor(epochMs / HOUR_MS));
    if (!Number.isNaN(offset)) return offset;
  }
  return offsetAt(zone.clock, epochMs);
}

function hourOffset(zone: ZoneOffsets, hour: number): number {
  if (hour === zone.lastHour) return zone.lastOffset;
  let offset = zone.byHour.get(hour);
  if (offset === undefined) {
    const start = hour * HOUR_MS;
    const first = offsetAt(zone.clock, start);
    const last = offsetAt(zone.clock, start + HOUR_MS - 1000);
    offset = first === last && Number.isFinite(first) ? first : CHANGES;
    if (zone.byHour.size >= MAX_HOURS_PER_ZONE) zone.byHour.clear();
    zone.byHour.set(hour, offset);
  }
  zone.lastHour = hour;
  zone.lastOffset = offset;
  return offset;
}

/**
 * The last millisecond of local day `dayNumber` in the zone: the instant before the next local
 * midnight. The offset is read again at the first guess, so a clock change at midnight (Beirut,
 * Cairo, Santiago) still lands on the right instant.
 */
export function endOfLocalDay(dayNumber: number, timeZone = "UTC"): Date {
  const nextMidnight = (dayNumber + 1) * DAY_MS;
  const guess = nextMidnight - utcOffsetMs(nextMidnight, timeZone);
  return new Date(nextMidnight - utcOffsetMs(guess, timeZone) - 1);
}

/** The local calendar day of an instant in a time zone, as a day number. */
export function localDayNumber(epochMs: number, timeZone = "UTC"): number {
  if (timeZone === "UTC") return Math.floor(epochMs / DAY_MS);
  if (!(epochMs >= CACHED_FROM_MS && epochMs < CACHED_TO_MS)) {
    return intlLocalDayNumber(epochMs, timeZone);
  }
  const offset = hourOffset(zoneOffsets(timeZone), Math.floor(epochMs / HOUR_MS));
  if (Number.isNaN(offset)) return intlLocalDayNumber(epochMs, timeZone);
  return Math.floor((epochMs + offset) / DAY_MS);
}

export function dayKey(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

export function monthKey(dayNumber: number): string {
  return dayKey(dayNumber).slice(0, 7);
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). Linear in
 * `day`, so a day past the month's end rolls over into the next month as Date.UTC rolls it.
 */
function civilDayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** civilDayNumber(year, month, 1) for the years a record holds, looked up instead of divided. */
const TABLE_FROM_YEAR = 1970;
const TABLE_YEARS = 256;
const MONTH_STARTS = (() => {
  const starts = new Int32Array(TABLE_YEARS * 12);
  for (let year = 0; year < TABLE_YEARS; year += 1) {
    for (let month = 1; month <= 12; month += 1) {
      starts[year * 12 + month - 1] = civilDayNumber(TABLE_FROM_YEAR + year, month, 1);
    }
  }
  return starts;
})();

/** civilDayNumber for a month in 1..12 and a day in 1..31. */
function dayNumberOf(year: number, month: number, day: number): number {
  const offset = year - TABLE_FROM_YEAR;
  return offset >= 0 && offset < TABLE_YEARS
    ? (MONTH_STARTS[offset * 12 + month - 1] as number) + day - 1
    : civilDayNumber(year, month, day);
}

function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : -1;
}

function twoDigits(text: string, index: number): number {
  const high = digit(text, index);
  const low = digit(text, index + 1);
  return high < 0 || low < 0 ? -1 : high * 10 + low;
}

/** Date.parse of `${key}T00:00:00Z` in days: NaN for a key it cannot read. */
function parsedDayNumberOfKey(key: string): number {
  return Math.floor(Date.parse(`${key}T00:00:00Z`) / DAY_MS);
}

/**
 * The day number of a `YYYY-MM-DD` key, read digit by digit: every day bucket is read on every
 * scoring. Anything else (and a month or day out of the range Date.parse accepts) is read by
 * Date.parse, so the answer is Date.parse's for every key; a day past the month's end rolls over
 * exactly as Date.parse rolls it.
 */
export function dayNumberOfKey(key: string): number {
  if (key.length === 10 && key.charCodeAt(4) === 45 && key.charCodeAt(7) === 45) {
    const century = twoDigits(key, 0);
    const yearOfCentury = twoDigits(key, 2);
    const month = twoDigits(key, 5);
    const day = twoDigits(key, 8);
    if ((century | yearOfCentury) >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31) {
      return dayNumberOf(century * 100 + yearOfCentury, month, day);
    }
  }
  return parsedDayNumberOfKey(key);
}

/**
 * Date.parse of the shape toISOString writes (`YYYY-MM-DDTHH:mm:ss.sssZ`, every time a feature
 * record stores), digit by digit; any other text, or a field out of range, goes to Date.parse,
 * so the answer is Date.parse's for every string.
 */
export function epochMsOfIso(iso: string): number {
  if (
    iso.length === 24 &&
    iso.charCodeAt(4) === 45 &&
    iso.charCodeAt(7) === 45 &&
    iso.charCodeAt(10) === 84 &&
    iso.charCodeAt(13) === 58 &&
    iso.charCodeAt(16) === 58 &&
    iso.charCodeAt(19) === 46 &&
    iso.charCodeAt(23) === 90
  ) {
    const century = twoDigits(iso, 0);
    const yearOfCentury = twoDigits(iso, 2);
    const month = twoDigits(iso, 5);
    const day = twoDigits(iso, 8);
    const hour = twoDigits(iso, 11);
    const minute = twoDigits(iso, 14);
    const second = twoDigits(iso, 17);
    const milliTens = twoDigits(iso, 20);
    const milliUnits = digit(iso, 22);
    if (
      (century | yearOfCentury | milliTens | milliUnits) >= 0 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 31 &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59
    ) {
      const days = dayNumberOf(century * 100 + yearOfCentury, month, day);
      return (
        days * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + milliTens * 10 + milliUnits
      );
    }
  }
  return Date.parse(iso);
}

/** 1-based day of the month of a day number. */
export function dayOfMonth(dayNumber: number): number {
  return new Date(dayNumber * DAY_MS).getUTCDate();
}
