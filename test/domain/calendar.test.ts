/**
 * calendar.ts answers from memory what Intl and Date.parse would answer: the local day from a
 * zone's offset kept per UTC hour, day keys and ISO times read digit by digit. Each is held here
 * against the plain computation, over random instants, zones and strings, and densely around the
 * offset changes of zones that have them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dayNumberOfKey,
  endOfLocalDay,
  epochMsOfIso,
  localDayNumber,
} from "../../lambdas/domain/calendar.js";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const plainFormatters = new Map<string, Intl.DateTimeFormat>();

/** The uncached computation: Intl's calendar date of the instant in the zone, as a day number. */
function intlDay(epochMs: number, timeZone: string): number {
  let formatter = plainFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    plainFormatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return Math.floor(Date.UTC(get("year"), get("month") - 1, get("day")) / DAY_MS);
}

const ZONES = [
  "UTC",
  "Etc/GMT+12",
  "America/New_York",
  "America/Sao_Paulo",
  "America/St_Johns",
  "Europe/London",
  "Europe/Dublin",
  "Europe/Moscow",
  "Africa/Casablanca",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Asia/Shanghai",
  "Australia/Lord_Howe",
  "Australia/Adelaide",
  "Pacific/Chatham",
  "Pacific/Kiritimati",
  "Pacific/Apia",
  "Pacific/Pago_Pago",
] as const;

/**
 * Offset changes (UTC instants) to sweep across: DST both ways, half- and quarter-hour zones,
 * Lord Howe's half-hour DST, zones that moved across the date line (a skipped day), and a few
 * historical ones far from the present.
 */
const CHANGES: readonly (readonly [string, string])[] = [
  ["America/New_York", "2026-03-08T07:00:00Z"],
  ["America/New_York", "2026-11-01T06:00:00Z"],
  ["America/New_York", "1918-03-31T07:00:00Z"],
  ["Europe/London", "2026-03-29T01:00:00Z"],
  ["Europe/London", "2026-10-25T01:00:00Z"],
  ["Europe/London", "1968-02-18T02:00:00Z"],
  ["Europe/Dublin", "2026-10-25T01:00:00Z"],
  ["America/St_Johns", "2026-03-08T05:30:00Z"],
  ["America/Sao_Paulo", "2018-11-04T03:00:00Z"],
  ["America/Sao_Paulo", "2019-02-17T02:00:00Z"],
  ["Asia/Kolkata", "1945-10-14T17:30:00Z"],
  ["Asia/Kathmandu", "1985-12-31T18:30:00Z"],
  ["Australia/Lord_Howe", "2026-04-04T15:00:00Z"],
  ["Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
  ["Australia/Adelaide", "2026-04-04T16:30:00Z"],
  ["Pacific/Chatham", "2026-04-04T14:00:00Z"],
  ["Pacific/Chatham", "2026-09-26T14:00:00Z"],
  ["Pacific/Kiritimati", "1994-12-31T10:00:00Z"],
  ["Pacific/Apia", "2011-12-30T10:00:00Z"],
  ["Africa/Casablanca", "2026-02-15T02:00:00Z"],
  ["Europe/Moscow", "2011-03-27T00:00:00Z"],
  ["Europe/Moscow", "2014-10-25T22:00:00Z"],
];

const FROM_MS = Date.UTC(1890, 0, 1);
const TO_MS = Date.UTC(2210, 0, 1);

describe("localDayNumber", () => {
  it("agrees with Intl at random instants in random zones", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FROM_MS, max: TO_MS }),
        fc.constantFrom(...ZONES),
        (epochMs, zone) => {
          expect(localDayNumber(epochMs, zone)).toBe(intlDay(epochMs, zone));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("agrees with Intl at instants near one another, as a run and ingest ask", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2028, 0, 1) }),
        fc.array(fc.integer({ min: -3 * DAY_MS, max: 3 * DAY_MS }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.constantFrom(...ZONES),
        (start, steps, zone) => {
          for (const step of steps) {
            expect(localDayNumber(start + step, zone)).toBe(intlDay(start + step, zone));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(CHANGES)("agrees with Intl minute by minute across a change in %s at %s", (zone, at) => {
    const change = Date.parse(at);
    // Not a change in name only: the offset differs on either side (so the hour is really tested).
    const offset = (ms: number) => intlWallMs(ms, zone) - ms;
    expect(offset(change - 12 * 3_600_000)).not.toBe(offset(change + 12 * 3_600_000));
    // Both directions, so the hours on either side are remembered before and after the one
    // with the change is asked about.
    for (let ms = change - 26 * 3_600_000; ms <= change + 26 * 3_600_000; ms += 7 * MINUTE_MS) {
      expect(localDayNumber(ms, zone), new Date(ms).toISOString()).toBe(intlDay(ms, zone));
    }
    for (let ms = change + 26 * 3_600_000; ms >= change - 26 * 3_600_000; ms -= 60_001) {
      expect(localDayNumber(ms, zone), new Date(ms).toISOString()).toBe(intlDay(ms, zone));
    }
    for (let ms = change - 2_000; ms <= change + 2_000; ms += 1) {
      expect(localDayNumber(ms, zone)).toBe(intlDay(ms, zone));
    }
  });

  it("agrees with Intl around every local midnight of a year, to the millisecond", () => {
    for (const zone of ZONES) {
      for (let day = 20_454; day < 20_454 + 366; day += 1) {
        // Midnight in the zone is somewhere in this UTC window; probe it on a coarse grid and
        // then at the exact boundary and its neighbours.
        const step = day % 5 === 0 ? 20 * MINUTE_MS : 3 * 3_600_000;
        for (let ms = day * DAY_MS - 15 * 3_600_000; ms <= day * DAY_MS + 15 * 3_600_000; ) {
          expect(localDayNumber(ms, zone)).toBe(intlDay(ms, zone));
          ms += step;
        }
        const boundary = (day + 1) * DAY_MS - (intlWallMs(day * DAY_MS, zone) - day * DAY_MS);
        for (const ms of [boundary - 1, boundary, boundary + 1]) {
          expect(localDayNumber(ms, zone), `${zone} ${new Date(ms).toISOString()}`).toBe(
            intlDay(ms, zone),
          );
        }
      }
    }
  });

  it("fails as Intl does on an instant or a zone it cannot read", () => {
    expect(() => localDayNumber(Number.NaN, "Asia/Shanghai")).toThrow(RangeError);
    expect(() => localDayNumber(Date.UTC(2026, 0, 1), "Not/AZone")).toThrow(RangeError);
    expect(localDayNumber(Number.NaN)).toBeNaN();
  });
});

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The local wall clock of an instant read as UTC, through Intl. */
function intlWallMs(epochMs: number, timeZone: string): number {
  let clock = wallClocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    wallClocks.set(timeZone, clock);
  }
  const parts = clock.formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
}

const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: length, maxLength: length });
/** Any four digits, mostly years around the ones records hold (read from a table). */
const yearDigits = fc.oneof(
  digits(4),
  fc.integer({ min: 1960, max: 2240 }).map(String),
  fc.integer({ min: 1960, max: 2240 }).map(String),
);

describe("dayNumberOfKey", () => {
  const parsed = (key: string) => Math.floor(Date.parse(`${key}T00:00:00Z`) / DAY_MS);

  it("reads YYYY-MM-DD keys as Date.parse does, rolling over days past the month's end", () => {
    fc.assert(
      fc.property(
        yearDigits,
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        (year, month, day) => {
          const key = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
          expect(Object.is(dayNumberOfKey(key), parsed(key)), key).toBe(true);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it.each([
    "2026-02-29",
    "2024-02-29",
    "2026-02-31",
    "2100-02-29",
    "2000-02-30",
    "0000-01-01",
    "0099-12-31",
    "1969-12-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-1-01",
    "2026-01-1a",
    "+02026-01-0",
    "not-a-day",
    "",
  ])("reads %j as Date.parse does", (key) => {
    expect(Object.is(dayNumberOfKey(key), parsed(key))).toBe(true);
  });
});

describe("epochMsOfIso", () => {
  it("reads ISO times as Date.parse does", () => {
    const iso = fc.oneof(
      fc
        .integer({ min: Date.UTC(-1000, 0, 1), max: Date.UTC(9999, 11, 31) })
        .map((ms) => new Date(ms).toISOString()),
      fc
        .tuple(
          yearDigits,
          fc.integer({ min: 0, max: 13 }),
          fc.integer({ min: 0, max: 32 }),
          fc.integer({ min: 0, max: 25 }),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 60 }),
          digits(3),
        )
        .map(
          ([year, month, day, hour, minute, second, ms]) =>
            `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}.${ms}Z`,
        ),
      fc.constantFrom(
        "2026-05-01T24:00:00.000Z",
        "2026-02-30T10:00:00.000Z",
        "2026-05-01T10:00:00Z",
        "2026-05-01T10:00:00.000+08:00",
        "2026-05-01 10:00:00.000Z",
        "garbage",
      ),
    );
    fc.assert(
      fc.property(iso, (text) => {
        expect(Object.is(epochMsOfIso(text), Date.parse(text)), text).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });
});

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

describe("endOfLocalDay", () => {
  it.each([
    ["UTC", "2026-03-28", "2026-03-28T23:59:59.999Z"],
    ["Asia/Shanghai", "2026-11-11", "2026-11-11T15:59:59.999Z"],
    // New York springs forward at 02:00 on 2026-03-08 and falls back at 02:00 on 2026-11-01.
    ["America/New_York", "2026-03-07", "2026-03-08T04:59:59.999Z"],
    ["America/New_York", "2026-03-08", "2026-03-09T03:59:59.999Z"],
    ["America/New_York", "2026-11-01", "2026-11-02T04:59:59.999Z"],
    // Beirut goes from 00:00 straight to 01:00 on 2026-03-29: the 28th ends at 22:00 UTC.
    ["Asia/Beirut", "2026-03-28", "2026-03-28T21:59:59.999Z"],
    // Santiago goes back from 00:00 to 23:00 on 2026-04-05: the 4th ends at the second midnight.
    ["America/Santiago", "2026-04-04", "2026-04-05T03:59:59.999Z"],
  ])("in %s, %s ends at %s", (zone, key, expected) => {
    expect(endOfLocalDay(dayNumberOfKey(key), zone).toISOString()).toBe(expected);
  });

  it("is always the last millisecond of that local day", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: dayNumberOfKey("2000-01-01"), max: dayNumberOfKey("2040-12-31") }),
        fc.constantFrom(
          "UTC",
          "Europe/Berlin",
          "America/Sao_Paulo",
          "Asia/Beirut",
          "Pacific/Chatham",
        ),
        (day, zone) => {
          const end = endOfLocalDay(day, zone).getTime();
          expect(localDayNumber(end, zone)).toBe(day);
          expect(localDayNumber(end + 1, zone)).toBe(day + 1);
        },
      ),
    );
  });
});
