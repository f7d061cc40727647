/**
 * Fires each schedule at its times, like an EventBridge rule. Timers are unref'd (they never
 * keep the process alive on their own) and re-armed in steps, since Node timers cannot wait
 * longer than about 24.8 days.
 */
import { errorMessage } from "../errors.js";
import type { LocalLogger } from "../log.js";
import type { LocalSchedule } from "../plan.js";
import { nextFiring, parseScheduleExpression, type ScheduleExpression } from "./expression.js";

const MAX_TIMER_MS = 2_147_483_647;

export interface Scheduler {
  start(): void;
  stop(): void;
  /** When each schedule fires next (for the dashboard and logs). */
  nextFirings(): Readonly<Record<string, string>>;
}

export interface SchedulerOptions {
  readonly schedules: readonly LocalSchedule[];
  readonly fire: (schedule: LocalSchedule, time: Date) => Promise<unknown>;
  readonly logger?: LocalLogger;
  readonly now?: () => Date;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const now = options.now ?? (() => new Date());
  // Parse up front: an expression local mode cannot follow is a start-up error, not a silence.
  const parsed: [LocalSchedule, ScheduleExpression][] = options.schedules.map((schedule) => [
    schedule,
    parseScheduleExpression(schedule.expression),
  ]);
  const timers = new Map<string, NodeJS.Timeout>();
  const upcoming = new Map<string, Date>();
  let running = false;

  function arm(schedule: LocalSchedule, expression: ScheduleExpression, target: Date): void {
    if (!running) return;
    upcoming.set(schedule.name, target);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, target.getTime() - now().getTime()));
    const timer = setTimeout(() => {
      if (!running) return;
      if (now().getTime() < target.getTime()) {
        arm(schedule, expression, target);
        return;
      }
      options.logger?.info("schedule fired", {
        schedule: schedule.name,
        time: target.toISOString(),
      });
      options.fire(schedule, target).catch((error: unknown) => {
        options.logger?.error("scheduled run failed", {
          schedule: schedule.name,
          error: errorMessage(error),
        });
      });
      arm(schedule, expression, nextFiring(expression, target));
    }, delay);
    timer.unref();
    timers.set(schedule.name, timer);
  }

  return {
    start() {
      if (running) return;
      running = true;
      for (const [schedule, expression] of parsed) {
        arm(schedule, expression, nextFiring(expression, now()));
      }
    },
    stop() {
      running = false;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      upcoming.clear();
    },
    nextFirings() {
      return Object.fromEntries([...upcoming].map(([name, time]) => [name, time.toISOString()]));
    },
  };
}
