/**
 * Quiet hours: when a window ends, in zones with and without DST, for windows that wrap midnight
 * and windows that do not — table-driven around the switches, and as a property held against a
 * plain minute-by-minute walk of the local clock.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ActionConfigError } from "../../../lambdas/domain/actions/config-error.js";
import {
  DEFAULT_QUIET_HOURS,
  isQuietAt,
  parseQuietHours,
  type QuietHoursWindow,
  quietHoursEnd,
} from "../../../lambdas/domain/actions/quiet-hours.js";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function window(span: string): QuietHoursWindow {
  const [start = "", end = ""] = span.split("-");
  return { start, end };
}

describe("quietHoursEnd", () => {
  it.each([
    // zone, window, now (UTC), expected end (UTC) or null
    ["Asia/Shanghai", "21:00-09:00", "2026-06-01T14:00:00Z", "2026-06-02T01:00:00Z"], // 22:00
    ["Asia/Shanghai", "21:00-09:00", "2026-06-01T13:00:00Z", "2026-06-02T01:00:00Z"], // 21:00 sharp
    ["Asia/Shanghai", "21:00-09:00", "2026-06-01T12:59:59.999Z", null], // 20:59:59.999
    ["Asia/Shanghai", "21:00-09:00", "2026-06-01T00:30:00Z", "2026-06-01T01:00:00Z"], // 08:30
    ["Asia/Shanghai", "21:00-09:00", "2026-06-01T01:00:00Z", null], // 09:00: the end is outside
    ["Asia/Shanghai", "21:00-09:00", "2026-06-01T06:00:00Z", null], // 14:00
    ["Asia/Shanghai", "00:00-06:00", "2026-06-01T16:00:00Z", "2026-06-01T22:00:00Z"], // 00:00
    ["Asia/Shanghai", "00:00-06:00", "2026-06-01T15:59:00Z", null], // 23:59
    ["Asia/Shanghai", "13:00-14:00", "2026-06-01T05:30:00Z", "2026-06-01T06:00:00Z"], // 13:30
    ["Asia/Shanghai", "13:00-14:00", "2026-06-01T06:00:00Z", null], // 14:00
    ["Asia/Shanghai", "09:00-09:00", "2026-06-01T01:00:00Z", null], // no quiet hours
    // New York, spring forward 2026-03-08 02:00 EST → 03:00 EDT (07:00Z): a night an hour short.
    ["America/New_York", "21:00-09:00", "2026-03-08T02:00:00Z", "2026-03-08T13:00:00Z"],
    ["America/New_York", "21:00-09:00", "2026-03-08T06:59:59Z", "2026-03-08T13:00:00Z"],
    ["America/New_York", "21:00-09:00", "2026-03-08T07:00:00Z", "2026-03-08T13:00:00Z"],
    // 02:30 does not exist that night: the window ends at the jump, local 03:00.
    ["America/New_York", "00:00-02:30", "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"],
    ["America/New_York", "00:00-06:00", "2026-03-08T05:00:00Z", "2026-03-08T10:00:00Z"],
    // New York, fall back 2026-11-01 02:00 EDT → 01:00 EST (06:00Z): a night an hour longer.
    ["America/New_York", "21:00-09:00", "2026-11-01T01:00:00Z", "2026-11-01T14:00:00Z"],
    ["America/New_York", "00:00-01:30", "2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z"], // 00:30 EDT
    ["America/New_York", "00:00-01:30", "2026-11-01T05:45:00Z", null], // 01:45 EDT
    ["America/New_York", "00:00-01:30", "2026-11-01T06:10:00Z", "2026-11-01T06:30:00Z"], // 01:10 EST
    // 02:00 EDT never shows: the clock goes back to 01:00 inside the window, ends at 02:00 EST.
    ["America/New_York", "00:00-02:00", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z"],
    // Back across the start: 01:00 EST is outside 01:30–09:00 on the local clock.
    ["America/New_York", "01:30-09:00", "2026-11-01T05:45:00Z", "2026-11-01T06:00:00Z"],
    ["America/New_York", "13:00-14:00", "2026-07-01T17:20:00Z", "2026-07-01T18:00:00Z"], // EDT
    ["America/New_York", "13:00-14:00", "2026-01-15T18:20:00Z", "2026-01-15T19:00:00Z"], // EST
    // Berlin: spring 2026-03-29 02:00 CET → 03:00 CEST (01:00Z); autumn 2026-10-25 03:00 → 02:00.
    ["Europe/Berlin", "21:00-09:00", "2026-03-28T20:00:00Z", "2026-03-29T07:00:00Z"],
    ["Europe/Berlin", "21:00-09:00", "2026-10-24T19:00:00Z", "2026-10-25T08:00:00Z"],
    ["Europe/Berlin", "00:00-02:30", "2026-03-29T00:10:00Z", "2026-03-29T01:00:00Z"],
    ["Europe/Berlin", "02:00-02:30", "2026-03-29T00:59:59Z", null],
    ["Europe/Berlin", "13:00-14:00", "2026-07-01T11:15:00Z", "2026-07-01T12:00:00Z"],
    ["Europe/Berlin", "00:00-06:00", "2026-07-01T22:00:00Z", "2026-07-02T04:00:00Z"],
    ["UTC", "21:00-09:00", "2026-01-01T23:59:59.500Z", "2026-01-02T09:00:00Z"],
    ["UTC", "21:00-09:00", "2026-01-02T08:59:59.999Z", "2026-01-02T09:00:00Z"],
    ["UTC", "00:00-06:00", "2026-01-02T00:00:00Z", "2026-01-02T06:00:00Z"],
    ["UTC", "13:00-14:00", "2026-01-02T12:00:00Z", null],
    // Kiritimati is UTC+14: its night ends while it is still the previous evening in UTC.
    ["Pacific/Kiritimati", "21:00-09:00", "2026-06-01T07:00:00Z", "2026-06-01T19:00:00Z"],
    ["Pacific/Kiritimati", "00:00-06:00", "2026-06-01T10:00:00Z", "2026-06-01T16:00:00Z"],
    // 1994-12-31 never happened there (−10 → +14 at 10:00Z); the night runs on into 1995-01-01.
    ["Pacific/Kiritimati", "21:00-09:00", "1994-12-31T08:00:00Z", "1994-12-31T19:00:00Z"],
    ["Pacific/Kiritimati", "23:00-01:00", "1994-12-31T09:30:00Z", "1994-12-31T11:00:00Z"],
  ])("%s %s at %s → %s", (zone, span, now, expected) => {
    const end = quietHoursEnd(new Date(now), zone, window(span));
    expect(end?.toISOString() ?? null).toBe(
      expected === null ? null : new Date(expected).toISOString(),
    );
    expect(isQuietAt(new Date(now), zone, window(span))).toBe(expected !== null);
  });

  it("refuses a zone Intl does not know", () => {
    expect(() => quietHoursEnd(new Date(), "Mars/Base", window("21:00-09:00"))).toThrow(RangeError);
  });
});

const ZONES = [
  "UTC",
  "Asia/Shanghai",
  "America/New_York",
  "Europe/Berlin",
  "Europe/London",
  "Pacific/Kiritimati",
  "Pacific/Apia",
  "Pacific/Chatham",
  "Australia/Lord_Howe",
  "America/Sao_Paulo",
  "America/Santiago",
  "America/St_Johns",
  "Asia/Kathmandu",
  "Asia/Beirut",
  "Africa/Casablanca",
] as const;

/**
 * Offset changes to probe around, with their zone: DST both ways, half-hour DST, switches at
 * midnight, and zones that skipped a whole day.
 */
const CHANGES: readonly (readonly [string, string])[] = [
  ["America/New_York", "2026-03-08T07:00:00Z"],
  ["America/New_York", "2026-11-01T06:00:00Z"],
  ["Europe/Berlin", "2026-03-29T01:00:00Z"],
  ["Europe/Berlin", "2026-10-25T01:00:00Z"],
  ["Europe/London", "2026-10-25T01:00:00Z"],
  ["Australia/Lord_Howe", "2026-04-04T15:00:00Z"],
  ["Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
  ["Pacific/Chatham", "2026-04-04T14:00:00Z"],
  ["America/Santiago", "2026-04-05T03:00:00Z"],
  ["America/Santiago", "2026-09-06T04:00:00Z"],
  ["America/Sao_Paulo", "2018-11-04T03:00:00Z"],
  ["America/Sao_Paulo", "2019-02-17T02:00:00Z"],
  ["Asia/Beirut", "2026-03-28T22:00:00Z"],
  ["America/St_Johns", "2026-03-08T05:30:00Z"],
  ["Pacific/Apia", "2011-12-30T10:00:00Z"],
  ["Pacific/Kiritimati", "1994-12-31T10:00:00Z"],
  ["Africa/Casablanca", "2026-02-15T02:00:00Z"],
];

const plain = new Map<string, Intl.DateTimeFormat>();

/** The local time of day in ms, read straight from Intl on every call. */
function localMsOfDay(epochMs: number, zone: string): number {
  let format = plain.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    plain.set(zone, format);
  }
  const parts = format.formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return ((get("hour") * 60 + get("minute")) * 60 + get("second")) * 1000 + (epochMs % 1000);
}

function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
}

function quiet(epochMs: number, zone: string, start: number, end: number): boolean {
  const minute = localMsOfDay(epochMs, zone) / MINUTE_MS;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

const hhmm = fc
  .integer({ min: 0, max: 24 * 60 - 1 })
  .map((m) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`);

const windows = fc.oneof(
  fc
    .constantFrom(
      "21:00-09:00",
      "00:00-06:00",
      "13:00-14:00",
      // Ends and starts where clocks jump or fall back in one zone or another.
      "22:00-02:30",
      "00:00-02:00",
      "01:30-09:00",
      "23:30-00:30",
    )
    .map(window),
  fc.record({ start: hhmm, end: hhmm }),
);

/** An instant and a zone: anywhere, or in the day before one of the changes above. */
const moments = fc.oneof(
  fc.tuple(
    fc.integer({ min: Date.parse("1970-01-01"), max: Date.parse("2100-01-01") }),
    fc.constantFrom(...ZONES),
  ),
  fc
    .tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -26 * 3_600_000, max: 3_600_000 }))
    .map(([[zone, change], delta]) => [Date.parse(change) + delta, zone] as const),
);

describe("quietHoursEnd, as a property", () => {
  it("is null outside the window, else the first instant after now outside it", () => {
    fc.assert(
      fc.property(moments, windows, ([nowMs, zone], win) => {
        const start = minutesOf(win.start);
        const end = minutesOf(win.end);
        const result = quietHoursEnd(new Date(nowMs), zone, win);
        if (start === end || !quiet(nowMs, zone, start, end)) {
          expect(result).toBeNull();
          return;
        }
        expect(result).not.toBeNull();
        const at = result?.getTime() ?? Number.NaN;
        expect(at).toBeGreaterThan(nowMs);
        expect(at - nowMs).toBeLessThanOrEqual(2 * DAY_MS);
        // The window ends there: outside at the result, inside just before it.
        expect(quiet(at, zone, start, end)).toBe(false);
        expect(quiet(at - 1, zone, start, end)).toBe(true);
        // Its local time is the window's end, unless the clock jumped right there.
        const jumped = localMsOfDay(at, zone) !== (localMsOfDay(at - 1000, zone) + 1000) % DAY_MS;
        if (!jumped) expect(localMsOfDay(at, zone)).toBe(end * MINUTE_MS);
        // Nothing in between is outside (offsets and windows are whole minutes).
        for (let t = nowMs; t < at; t += MINUTE_MS) {
          expect(quiet(t, zone, start, end)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseQuietHours", () => {
  it("defaults to 21:00–09:00 on every channel in Asia/Shanghai", () => {
    expect(DEFAULT_QUIET_HOURS).toEqual({
      byChannel: {
        email: { start: "21:00", end: "09:00" },
        push: { start: "21:00", end: "09:00" },
        sms: { start: "21:00", end: "09:00" },
      },
      defaultTimeZone: "Asia/Shanghai",
    });
    expect(parseQuietHours("{}")).toEqual(DEFAULT_QUIET_HOURS);
  });

  it("applies `default` to channels not named and keeps per-channel windows", () => {
    expect(
      parseQuietHours(
        '{"default":{"start":"22:00","end":"08:00"},"sms":{"start":"20:00","end":"10:00"},"timezone":"Europe/Berlin"}',
      ),
    ).toEqual({
      byChannel: {
        email: { start: "22:00", end: "08:00" },
        push: { start: "22:00", end: "08:00" },
        sms: { start: "20:00", end: "10:00" },
      },
      defaultTimeZone: "Europe/Berlin",
    });
    expect(parseQuietHours({ push: { start: "00:00", end: "00:00" } }).byChannel).toMatchObject({
      push: { start: "00:00", end: "00:00" },
      email: { start: "21:00", end: "09:00" },
    });
  });

  it.each([
    ["bad JSON", '{"sms":', /^quietHours: not valid JSON: /],
    ["a list", "[]", /^quietHours: must be an object, not a list$/],
    [
      "an hour past 23",
      { sms: { start: "25:00", end: "09:00" } },
      /^quietHours\.sms\.start: "25:00" is not a time HH:MM$/,
    ],
    [
      "24:00",
      { default: { start: "21:00", end: "24:00" } },
      /^quietHours\.default\.end: "24:00" is not a time HH:MM$/,
    ],
    [
      "a time without a leading zero",
      { email: { start: "9:00", end: "21:00" } },
      /^quietHours\.email\.start: "9:00" is not a time HH:MM$/,
    ],
    [
      "a number",
      { push: { start: 21, end: "09:00" } },
      /^quietHours\.push\.start: 21 is not a time HH:MM$/,
    ],
    ["a missing end", { push: { start: "21:00" } }, /^quietHours\.push\.end: is required$/],
    [
      "an unknown time zone",
      { timezone: "Mars/Base" },
      /^quietHours\.timezone: "Mars\/Base" is not an IANA time zone/,
    ],
    [
      "an unknown channel",
      { fax: { start: "21:00", end: "09:00" } },
      /^quietHours\.fax: is not a known key \(known: default, email, push, sms, timezone\)$/,
    ],
    [
      "an unknown key in a window",
      { sms: { start: "21:00", end: "09:00", days: [] } },
      /^quietHours\.sms\.days: is not a known key \(known: start, end\)$/,
    ],
  ])("refuses %s with the exact place", (_, raw, message) => {
    expect(() => parseQuietHours(raw)).toThrow(ActionConfigError);
    expect(() => parseQuietHours(raw)).toThrow(message);
  });
});
