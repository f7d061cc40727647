/**
 * The EventBridge schedule expressions local mode understands: `rate(N minute[s]|hour[s]|day[s])`
 * and daily `cron(M H * * ? *)` (UTC, as on EventBridge). Anything else is refused at start-up
 * rather than silently never firing.
 */
export type ScheduleExpression =
  | { readonly kind: "rate"; readonly everyMs: number }
  | { readonly kind: "cron"; readonly minute: number; readonly hour: number };

const UNIT_MS: Readonly<Record<string, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export class UnsupportedScheduleError extends Error {
  override readonly name = "UnsupportedScheduleError";
}

function integerIn(raw: string, min: number, max: number): number | undefined {
  if (!/^\d{1,2}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(text);
  if (rate) {
    const amount = Number(rate[1]);
    const unit = (rate[2] as string).replace(/s$/, "");
    if (!Number.isSafeInteger(amount) || amount < 1) {
      throw new UnsupportedScheduleError(`rate must be a positive whole number: ${expression}`);
    }
    return { kind: "rate", everyMs: amount * (UNIT_MS[unit] as number) };
  }
  const cron = /^cron\(([^)]*)\)$/.exec(text);
  if (cron) {
    const fields = (cron[1] as string).trim().split(/\s+/);
    const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields;
    const minuteValue = minute === undefined ? undefined : integerIn(minute, 0, 59);
    const hourValue = hour === undefined ? undefined : integerIn(hour, 0, 23);
    const daily =
      fields.length === 6 &&
      (dayOfMonth === "*" || dayOfMonth === "?") &&
      month === "*" &&
      (dayOfWeek === "*" || dayOfWeek === "?") &&
      year === "*";
    if (daily && minuteValue !== undefined && hourValue !== undefined) {
      return { kind: "cron", minute: minuteValue, hour: hourValue };
    }
  }
  throw new UnsupportedScheduleError(
    `local mode supports rate(N minutes|hours|days) and daily cron(M H * * ? *), not ${expression}`,
  );
}

/** The first firing strictly after `after` (for a rate, counted from `after`). */
export function nextFiring(schedule: ScheduleExpression, after: Date): Date {
  if (schedule.kind === "rate") return new Date(after.getTime() + schedule.everyMs);
  const candidate = new Date(
    Date.UTC(
      after.getUTCFullYear(),
      after.getUTCMonth(),
      after.getUTCDate(),
      schedule.hour,
      schedule.minute,
    ),
  );
  if (candidate.getTime() <= after.getTime()) candidate.setUTCDate(candidate.getUTCDate() + 1);
  return candidate;
}
