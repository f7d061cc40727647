import { afterEach, describe, expect, it, vi } from "vitest";
import { buildLocalPlan } from "../../local/plan.js";
import {
  nextFiring,
  parseScheduleExpression,
  UnsupportedScheduleError,
} from "../../local/schedule/expression.js";
import { buildScheduledEvent, eventBridgeTime } from "../../local/schedule/scheduled-event.js";
import { createScheduler } from "../../local/schedule/scheduler.js";

describe("schedule expressions", () => {
  it.each([
    ["rate(1 minute)", 60_000],
    ["rate(5 minutes)", 300_000],
    ["rate(2 hours)", 7_200_000],
    ["rate(1 day)", 86_400_000],
    ["rate(3 days)", 259_200_000],
  ])("parses %s", (expression, everyMs) => {
    expect(parseScheduleExpression(expression)).toEqual({ kind: "rate", everyMs });
  });

  it("parses daily cron expressions in both day-field spellings", () => {
    expect(parseScheduleExpression("cron(0 2 * * ? *)")).toEqual({
      kind: "cron",
      minute: 0,
      hour: 2,
    });
    expect(parseScheduleExpression("cron(30 23 ? * * *)")).toEqual({
      kind: "cron",
      minute: 30,
      hour: 23,
    });
  });

  it("understands every schedule in the topology", () => {
    for (const schedule of buildLocalPlan().schedules) {
      expect(() => parseScheduleExpression(schedule.expression)).not.toThrow();
    }
  });

  it.each([
    "rate(0 minutes)",
    "rate(5 seconds)",
    "cron(0 2 * * MON *)",
    "cron(0 25 * * ? *)",
    "cron(*/5 * * * ? *)",
    "at(2024-01-01T00:00:00)",
    "",
  ])("refuses %j", (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(UnsupportedScheduleError);
  });

  it("finds the next daily firing in UTC, strictly after the given time", () => {
    const daily = parseScheduleExpression("cron(0 2 * * ? *)");
    expect(nextFiring(daily, new Date("2024-05-01T01:59:59Z")).toISOString()).toBe(
      "2024-05-01T02:00:00.000Z",
    );
    expect(nextFiring(daily, new Date("2024-05-01T02:00:00Z")).toISOString()).toBe(
      "2024-05-02T02:00:00.000Z",
    );
    expect(nextFiring(daily, new Date("2024-12-31T23:00:00Z")).toISOString()).toBe(
      "2025-01-01T02:00:00.000Z",
    );
    const rate = parseScheduleExpression("rate(10 minutes)");
    expect(nextFiring(rate, new Date("2024-05-01T00:00:00Z")).toISOString()).toBe(
      "2024-05-01T00:10:00.000Z",
    );
  });
});

describe("scheduled events", () => {
  it("has EventBridge's shape, with whole-second time", () => {
    const event = buildScheduledEvent({
      ruleName: "churnwatch-local-scoring",
      time: new Date("2024-05-01T02:00:00.123Z"),
      region: "us-east-1",
      account: "000000000000",
      id: "id-1",
    });
    expect(event).toEqual({
      version: "0",
      id: "id-1",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "000000000000",
      time: "2024-05-01T02:00:00Z",
      region: "us-east-1",
      resources: ["arn:aws:events:us-east-1:000000000000:rule/churnwatch-local-scoring"],
      detail: {},
    });
    expect(eventBridgeTime(new Date("2024-05-01T00:00:00Z"))).toBe("2024-05-01T00:00:00Z");
  });
});

describe("the scheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires at the schedule's times with the firing time, and stops firing on stop", async () => {
    vi.useFakeTimers({ now: new Date("2024-05-01T01:58:00Z") });
    const fired: string[] = [];
    const scheduler = createScheduler({
      schedules: [
        {
          name: "scoring",
          expression: "cron(0 2 * * ? *)",
          target: "scoreDispatch",
          job: "scoring",
        },
      ],
      fire: async (_schedule, time) => {
        fired.push(time.toISOString());
      },
    });
    scheduler.start();
    expect(scheduler.nextFirings()).toEqual({ scoring: "2024-05-01T02:00:00.000Z" });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toEqual(["2024-05-01T02:00:00.000Z"]);
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(fired).toEqual(["2024-05-01T02:00:00.000Z", "2024-05-02T02:00:00.000Z"]);
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(3 * 86_400_000);
    expect(fired).toHaveLength(2);
  });

  it("keeps firing after a failed run", async () => {
    vi.useFakeTimers({ now: new Date("2024-05-01T00:00:00Z") });
    let calls = 0;
    const scheduler = createScheduler({
      schedules: [
        { name: "tick", expression: "rate(1 minute)", target: "scoreDispatch", job: "tick" },
      ],
      fire: async () => {
        calls++;
        throw new Error("boom");
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(calls).toBe(3);
    scheduler.stop();
  });

  it("refuses an expression it cannot follow when created", () => {
    expect(() =>
      createScheduler({
        schedules: [
          { name: "x", expression: "cron(0 2 * * MON *)", target: "scoreDispatch", job: "x" },
        ],
        fire: async () => undefined,
      }),
    ).toThrow(UnsupportedScheduleError);
  });
});
