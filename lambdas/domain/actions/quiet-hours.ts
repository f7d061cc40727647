/**
 * Quiet hours: a window of the user's local night in which no retention message goes out. A
 * message planned inside it is deferred to the instant the window ends, so it arrives in the
 * morning instead of waking anyone — in the user's own time zone, across DST changes.
 */
import { z } from "zod";
import { CHANNELS, type Channel } from "../../../lib/topology.js";
import { isIanaTimeZone, utcOffsetMs } from "../calendar.js";
import { parseConfig, shown, strictObject } from "./config-error.js";

/**
 * Local wall-clock times `HH:MM`. The window holds from `start` (included) to `end` (excluded) and
 * may wrap midnight (21:00–09:00); `start` equal to `end` means no quiet hours.
 */
export interface QuietHoursWindow {
  readonly start: string;
  readonly end: string;
}

export interface QuietHoursConfig {
  readonly byChannel: Readonly<Record<Channel, QuietHoursWindow>>;
  /** For users whose contact record names no time zone. */
  readonly defaultTimeZone: string;
}

const NIGHT: QuietHoursWindow = { start: "21:00", end: "09:00" };

/** 21:00–09:00 on every channel; users without a time zone are taken to be in China. */
export const DEFAULT_QUIET_HOURS: QuietHoursConfig = {
  byChannel: { email: NIGHT, push: NIGHT, sms: NIGHT },
  defaultTimeZone: "Asia/Shanghai",
};

const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const notATime = (issue: { input?: unknown }) =>
  issue.input === undefined ? "is required" : `${shown(issue.input)} is not a time HH:MM`;

const time = z.string({ error: notATime }).regex(TIME_PATTERN, { error: notATime });
const windowSchema = strictObject({ start: time, end: time });

const quietHoursSchema = strictObject({
  default: windowSchema.optional(),
  email: windowSchema.optional(),
  push: windowSchema.optional(),
  sms: windowSchema.optional(),
  timezone: z
    .string()
    .refine(isIanaTimeZone, {
      error: (issue) => `${shown(issue.input)} is not an IANA time zone such as Asia/Shanghai`,
    })
    .optional(),
}).transform((parsed): QuietHoursConfig => {
  const fallback = parsed.default ?? NIGHT;
  const byChannel = Object.fromEntries(
    CHANNELS.map((channel) => [channel, parsed[channel] ?? fallback]),
  ) as Record<Channel, QuietHoursWindow>;
  return { byChannel, defaultTimeZone: parsed.timezone ?? DEFAULT_QUIET_HOURS.defaultTimeZone };
});

/**
 * Parses quiet hours given as JSON text or a value, e.g.
 * `{"default":{"start":"21:00","end":"09:00"},"sms":{"start":"20:00","end":"10:00"},"timezone":"Europe/Berlin"}`.
 * `default` (21:00–09:00 when left out) covers every channel not named; `timezone` (default
 * Asia/Shanghai) is for users without one.
 * @throws ActionConfigError naming the exact place, e.g. `quietHours.sms.start: "25:00" is not a time HH:MM`.
 */
export function parseQuietHours(raw: string | unknown): QuietHoursConfig {
  return parseConfig(quietHoursSchema, raw, "quietHours");
}

function msOfTime(value: string): number {
  const match = TIME_PATTERN.exec(value);
  if (!match) throw new RangeError(`quiet hours: "${value}" is not a time HH:MM`);
  return (Number(match[1]) * 60 + Number(match[2])) * MINUTE_MS;
}

/** Whether a local time of day (ms since local midnight) lies in [start, end), wrapping or not. */
function inWindow(msOfDay: number, start: number, end: number): boolean {
  return start < end ? msOfDay >= start && msOfDay < end : msOfDay >= start || msOfDay < end;
}

function msOfDay(localMs: number): number {
  return ((localMs % DAY_MS) + DAY_MS) % DAY_MS;
}

/**
 * The first whole second in (from, to] whose offset is not `offset`, with its offset; undefined
 * when the offset holds throughout. Probed hourly, then bisected: no zone changes its offset and
 * back within an hour.
 */
function firstOffsetChange(
  timeZone: string,
  from: number,
  to: number,
  offset: number,
): { readonly at: number; readonly offset: number } | undefined {
  let previous = from;
  while (previous < to) {
    const probe = Math.min(previous + HOUR_MS, to);
    const probed = utcOffsetMs(probe, timeZone);
    if (probed !== offset) {
      let low = Math.floor(previous / 1000) * 1000;
      let high = Math.floor(probe / 1000) * 1000;
      while (high - low > 1000) {
        const middle = low + Math.floor((high - low) / 2000) * 1000;
        if (utcOffsetMs(middle, timeZone) === offset) low = middle;
        else high = middle;
      }
      return { at: high, offset: utcOffsetMs(high, timeZone) };
    }
    previous = probe;
  }
  return undefined;
}

/** Whether `now` falls inside the window on the local clock of `timeZone`. */
export function isQuietAt(now: Date, timeZone: string, window: QuietHoursWindow): boolean {
  const start = msOfTime(window.start);
  const end = msOfTime(window.end);
  if (start === end) return false;
  const epochMs = now.getTime();
  return inWindow(msOfDay(epochMs + utcOffsetMs(epochMs, timeZone)), start, end);
}

/**
 * When the quiet hours that `now` falls in end: null when `now` is outside the window on the
 * local clock of `timeZone`; otherwise the first instant after `now` whose local time is outside
 * it. That is the next local `end` on an ordinary day. Where a DST gap swallows the end (window
 * until 02:30 on a night the clocks jump from 02:00 to 03:00) it is the instant of the jump, the
 * first one after the missing local time. Where clocks fall back inside the window the night is
 * longer by that much; where they fall back across `start` (a window from 01:30 on a night
 * 02:00 becomes 01:00) the local clock is briefly outside the window and the result is that
 * instant — exactly when a fresh message would pass the quiet-hours check too.
 * @throws RangeError for a zone Intl does not know or a time that is not `HH:MM`.
 */
export function quietHoursEnd(now: Date, timeZone: string, window: QuietHoursWindow): Date | null {
  const start = msOfTime(window.start);
  const end = msOfTime(window.end);
  if (start === end) return null;
  let at = now.getTime();
  let offset = utcOffsetMs(at, timeZone);
  if (!inWindow(msOfDay(at + offset), start, end)) return null;
  // Each pass crosses one offset change; a day holds at most a few.
  for (;;) {
    const untilEnd = (end - msOfDay(at + offset) + DAY_MS) % DAY_MS || DAY_MS;
    const change = firstOffsetChange(timeZone, at, at + untilEnd, offset);
    if (change === undefined) return new Date(at + untilEnd);
    at = change.at;
    offset = change.offset;
    if (!inWindow(msOfDay(at + offset), start, end)) return new Date(at);
  }
}
