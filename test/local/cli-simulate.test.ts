/**
 * `churnwatch simulate`: its arguments (bad ones exit 2 before any work), the suggested next
 * commands, the streamed JSONL file, and the whole run against an in-memory fake of local mode
 * (promotion calendar with overlap checks, an event store that drops known event IDs).
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionRecord } from "../../lambdas/domain/actions/action-record.js";
import { assignGroup } from "../../lambdas/domain/actions/experiments.js";
import { DEFAULT_EXPERIMENT } from "../../lambdas/domain/actions/policy.js";
import { dayKey, dayNumberOfKey } from "../../lambdas/domain/calendar.js";
import {
  checkPromotionAgainst,
  type Promotion,
  PromotionError,
} from "../../lambdas/domain/promotions.js";
import {
  type SimUser,
  simulatedEvents,
  simulateShop,
} from "../../lambdas/domain/simulation/shop.js";
import { formatTruthCsv } from "../../lambdas/domain/simulation/truth-csv.js";
import {
  targetedOutcome,
  treatedTruth,
  winbackTruth,
} from "../../lambdas/domain/simulation/winback.js";
import { parseSimulateArgs } from "../../local/cli/commands/simulate.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import { LocalModeError } from "../../local/errors.js";
import { type ListActions, serveActions } from "../../local/http/actions-route.js";
import { registerPromotions } from "../../local/simulate/register-promotions.js";
import {
  nextCommands,
  reportCommand,
  runSimulate,
  type SimulateDeps,
  type SimulateOptions,
  type SimulateSummary,
  winbackTruthFile,
} from "../../local/simulate/run-simulate.js";
import { assignmentsOf } from "../../local/simulate/treatment.js";
import { writeEventsJsonl } from "../../local/simulate/write-events-jsonl.js";

const DAY_MS = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY_MS);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "churnwatch-sim-unit-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

const BASE = ["simulate", "--users", "10", "--days", "30", "--seed", "1"];

describe("churnwatch simulate arguments", () => {
  it.each([
    [["simulate", "--days", "30", "--seed", "1"], /--users N \(1 to 1,000,000\) is required/],
    [["simulate", "--users", "10", "--seed", "1"], /--days D \(1 to 3650\) is required/],
    [["simulate", "--users", "10", "--days", "30"], /--seed S is required/],
    [[...BASE, "--users", "0"], /--users must be a whole number from 1 to 1000000, got "0"/],
    [[...BASE, "--users", "1.5"], /--users must be a whole number from 1 to 1000000, got "1.5"/],
    [[...BASE, "--users", "1000001"], /--users must be a whole number from 1 to 1000000/],
    [[...BASE, "--users", "many"], /--users must be a whole number/],
    [[...BASE, "--days", "0"], /--days must be a whole number from 1 to 3650, got "0"/],
    [[...BASE, "--days", "3651"], /--days must be a whole number from 1 to 3650/],
    [[...BASE, "--seed", "1.5"], /--seed must be an integer, got "1.5"/],
    [[...BASE, "--seed", "x"], /--seed must be an integer, got "x"/],
    [[...BASE, "--seed", "99999999999999999999"], /--seed must be an integer/],
    [[...BASE, "--start", "2025-02-30"], /--start must be a calendar date YYYY-MM-DD/],
    [[...BASE, "--start", "1/2/2025"], /--start must be a calendar date YYYY-MM-DD/],
    [[...BASE, "--start", dayKey(TODAY - 29)], /not over yet.*events from the future/s],
    [
      [...BASE, "--start", "1989-12-20"],
      /--start 1989-12-20 is before the event horizon 1990-01-01T00:00:00.000Z/,
    ],
    [
      [...BASE, "--truth", "/no/such/dir/truth.csv"],
      /the directory \/no\/such\/dir does not exist/,
    ],
    [[...BASE, "--truth", "."], /--truth \. is a directory/],
    [[...BASE, "--events", ""], /--events needs a file name/],
    [[...BASE, "--wait-timeout", "0"], /--wait-timeout must be a whole number of at least 1/],
    [[...BASE, "--url", "ftp://x"], /--url must start with http/],
    [[...BASE, "extra"], /unexpected argument "extra"/],
    [[...BASE, "--bogus"], /Unknown option '--bogus'/],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(/churnwatch simulate: /);
    expect(err()).toMatch(message);
  });

  it("refuses a start before a configured EVENT_HORIZON", async () => {
    const { io, err } = fakeIo({ EVENT_HORIZON: "2001-01-01T00:00:00Z" });
    expect(await runCli([...BASE, "--start", "2000-12-31"], io)).toBe(2);
    expect(err()).toMatch(/before the event horizon 2001-01-01T00:00:00.000Z/);
  });

  it.each([[["simulate", "--help"]], [["help", "simulate"]]])(
    "%j prints help and exits 0",
    async (argv) => {
      const { io, out } = fakeIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(out()).toMatch(/Usage: churnwatch simulate --users N --days D --seed S/);
    },
  );

  it("is listed in the main help, after replay", async () => {
    const { io, out } = fakeIo();
    expect(await runCli(["--help"], io)).toBe(0);
    expect(out()).toMatch(/replay .*\n\s+simulate /);
  });

  it("defaults to a period ending yesterday (UTC) and local mode's address", () => {
    const now = new Date("2026-05-10T15:30:00Z");
    const options = parseSimulateArgs(
      { users: "1000", days: "180", seed: "-7", json: true },
      [],
      { PORT: "4001" },
      now,
    );
    expect(options).toEqual({
      users: 1000,
      days: 180,
      seed: -7,
      start: "2025-11-11",
      truthFile: "./churnwatch-truth.csv",
      url: "http://127.0.0.1:4001",
      apiKey: "local-dev-key",
      defaultUrl: true,
      json: true,
      wait: true,
      waitTimeoutMs: 120_000,
      batchSize: 500,
    });
    // 2025-11-11 + 179 days is 2026-05-09, the day before `now`.
    expect(dayKey(dayNumberOfKey(options.start) + 179)).toBe("2026-05-09");
  });

  it("accepts a start whose last day is yesterday, and the flags given", () => {
    const now = new Date("2026-05-10T00:00:00Z");
    const options = parseSimulateArgs(
      {
        users: "40",
        days: "10",
        seed: "3",
        start: "2026-04-30",
        truth: join(dir, "t.csv"),
        events: join(dir, "e.jsonl"),
        url: "http://127.0.0.1:9/",
        "api-key": "k",
        "no-wait": true,
        "wait-timeout": "5",
      },
      [],
      {},
      now,
    );
    expect(options).toMatchObject({
      start: "2026-04-30",
      truthFile: join(dir, "t.csv"),
      eventsFile: join(dir, "e.jsonl"),
      url: "http://127.0.0.1:9",
      apiKey: "k",
      defaultUrl: false,
      wait: false,
      waitTimeoutMs: 5000,
    });
    expect(() =>
      parseSimulateArgs({ users: "40", days: "11", seed: "3", start: "2026-04-30" }, [], {}, now),
    ).toThrow(/runs to 2026-05-10, which is not over yet.*--start 2026-04-29 or earlier/s);
  });
});

describe("nextCommands", () => {
  it("trains 60 days before the end and evaluates to the last day", () => {
    expect(
      nextCommands({ start: "2025-01-01", days: 180 }, "./truth.csv", {
        url: "http://127.0.0.1:3000",
        defaultUrl: true,
      }),
    ).toEqual([
      "npx churnwatch train --as-of 2025-05-01 --horizon 30",
      "npx churnwatch evaluate --calibration-end 2025-04-30 --holdout-end 2025-06-29 --truth ./truth.csv",
    ]);
  });

  it("names a non-default server, and suggests nothing for a period under 90 days", () => {
    const server = { url: "http://host:4000", defaultUrl: false };
    expect(nextCommands({ start: "2025-01-01", days: 90 }, "t.csv", server)[0]).toBe(
      "npx churnwatch train --as-of 2025-01-31 --horizon 30 --url http://host:4000",
    );
    expect(nextCommands({ start: "2025-01-01", days: 89 }, "t.csv", server)).toEqual([]);
  });
});

describe("writeEventsJsonl", () => {
  it("writes one event a line, the generator's events in order", async () => {
    const shop = simulateShop({ users: 6, days: 40, seed: 9, start: new Date("2025-03-01") });
    const file = join(dir, "six.jsonl");
    const progress: number[] = [];
    const written = await writeEventsJsonl(simulatedEvents(shop), file, (n) => progress.push(n));
    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => JSON.parse(line))).toEqual([...simulatedEvents(shop)]);
    expect(written).toEqual({ events: lines.length, bytes: (await stat(file)).size });
    expect(progress.at(-1)).toBe(lines.length);
  });
});

// ---------------------------------------------------------------------------------------------
// The whole run against a fake local mode.

interface FakeServer {
  readonly fetch: typeof fetch;
  readonly calls: string[];
  readonly promotions: Promotion[];
  readonly eventIds: Set<string>;
}

function fakeLocalMode(options: { promotionsRoute?: boolean } = {}): FakeServer {
  const calls: string[] = [];
  const promotions: Promotion[] = [];
  const eventIds = new Set<string>();
  const json = (status: number, value: unknown) => new Response(JSON.stringify(value), { status });
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    calls.push(`${method} ${url.pathname}`);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    switch (url.pathname) {
      case "/_local/promotions": {
        if (options.promotionsRoute === false) return json(404, { message: "Not Found" });
        if (method === "GET") {
          return json(200, {
            appId: "default",
            promotions: promotions.map((p) => ({ ...p, source: "stored" })),
          });
        }
        try {
          checkPromotionAgainst(promotions, body as Promotion, "promotion");
        } catch (error) {
          if (error instanceof PromotionError) return json(400, { message: error.reason });
          throw error;
        }
        promotions.push(body as Promotion);
        return json(201, { appId: "default", promotion: body });
      }
      case "/_local/stats":
        return json(200, { events: eventIds.size, queues: { events: { deadLetters: 0 } } });
      case "/_local/idle":
        return json(200, { idle: true, busyPollers: 0, queues: {} });
      case "/health":
        return json(200, { status: "ok" });
      case "/v1/events": {
        const events = (body as { events: { eventId: string }[] }).events;
        for (const event of events) eventIds.add(event.eventId);
        return json(202, { accepted: events.length, duplicates: 0, rejected: [] });
      }
      default:
        return json(404, { message: "Not Found" });
    }
  }) as typeof fetch;
  return { fetch: fetchImpl, calls, promotions, eventIds };
}

function runDeps(server: FakeServer) {
  const out: string[] = [];
  const err: string[] = [];
  let clock = 0;
  const deps: SimulateDeps = {
    fetch: server.fetch,
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => (clock += 5),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    interactive: false,
    pollMs: 1,
    tempDir: dir,
  };
  return { deps, out: () => out.join(""), err: () => err.join("") };
}

function simulateOptions(extra: Partial<SimulateOptions> = {}): SimulateOptions {
  return {
    users: 30,
    days: 120,
    seed: 5,
    start: "2025-01-01",
    truthFile: join(dir, "truth.csv"),
    url: "http://local.test",
    apiKey: "k",
    defaultUrl: false,
    json: true,
    wait: true,
    waitTimeoutMs: 1000,
    batchSize: 500,
    ...extra,
  };
}

async function tempEventFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith("churnwatch-simulate-"));
}

describe("runSimulate", () => {
  const shop = simulateShop({ users: 30, days: 120, seed: 5, start: new Date("2025-01-01") });
  const generated = [...simulatedEvents(shop)].length;
  const server = fakeLocalMode();

  it("registers the promotions first, posts every event, writes the truth, removes the temp file", async () => {
    const run = runDeps(server);
    const { summary, exitCode } = await runSimulate(simulateOptions(), run.deps);
    expect(exitCode).toBe(0);
    const printed = JSON.parse(run.out()) as SimulateSummary;
    expect(printed).toEqual(JSON.parse(JSON.stringify(summary)));

    const firstPost = server.calls.indexOf("POST /v1/events");
    const lastPromotion = server.calls.lastIndexOf("POST /_local/promotions");
    expect(lastPromotion).toBeGreaterThan(-1);
    expect(lastPromotion).toBeLessThan(firstPost);
    expect(server.promotions).toEqual(shop.promotions);
    expect(summary.promotions.map((p) => p.status)).toEqual(shop.promotions.map(() => "added"));

    expect(await readFile(join(dir, "truth.csv"), "utf8")).toBe(formatTruthCsv(shop.truth));
    expect(await tempEventFiles()).toEqual([]);
    expect(summary.files).toEqual({ truth: join(dir, "truth.csv"), events: null });

    expect(summary.events).toMatchObject({
      generated,
      posted: generated,
      accepted: generated,
      rejected: 0,
      applied: generated,
      alreadyKnown: 0,
    });
    expect(server.eventIds.size).toBe(generated);
    expect(summary.shop).toEqual({
      seed: 5,
      start: "2025-01-01",
      end: "2025-04-30",
      days: 120,
      users: 30,
      churnDays: 30,
    });
    const byType = Object.values(summary.usersByType).reduce((a, b) => a + b, 0);
    expect(byType).toBe(30);
    expect(summary.churners).toBe(shop.truth.filter((row) => row.churnDate !== null).length);
    expect(summary.next).toEqual([
      "npx churnwatch train --as-of 2025-03-02 --horizon 30 --url http://local.test",
      `npx churnwatch evaluate --calibration-end 2025-03-01 --holdout-end 2025-04-30 --truth ${join(
        dir,
        "truth.csv",
      )} --url http://local.test`,
    ]);
  });

  it("runs again unchanged: promotions already registered, every event already known", async () => {
    const run = runDeps(server);
    const { summary, exitCode } = await runSimulate(simulateOptions({ json: false }), run.deps);
    expect(exitCode).toBe(0);
    expect(summary.promotions.map((p) => p.status)).toEqual(
      shop.promotions.map(() => "already registered"),
    );
    expect(summary.events).toMatchObject({ applied: 0, alreadyKnown: generated });
    expect(run.out()).toMatch(/simulated shop: 30 users × 120 days, 2025-01-01 to 2025-04-30/);
    expect(run.out()).toMatch(/already registered\)/);
    expect(run.out()).toMatch(/note: .* events were applied before/);
    expect(run.out()).toMatch(/next:\n {2}npx churnwatch train --as-of 2025-03-02/);
  });

  it("stops with exit code 1 and the server's reason when another shop's promotions clash", async () => {
    const calls = server.calls.length;
    const run = runDeps(server);
    const truthBefore = await readFile(join(dir, "truth.csv"), "utf8");
    const failure = runSimulate(
      simulateOptions({ seed: 6, truthFile: join(dir, "t6.csv") }),
      run.deps,
    );
    await expect(failure).rejects.toBeInstanceOf(LocalModeError);
    await expect(failure).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /the server refused promotion "sale-1" \(.*\): the name "sale-1" is already used/,
      ),
    });
    expect(server.calls.slice(calls)).not.toContain("POST /v1/events");
    expect(await readFile(join(dir, "truth.csv"), "utf8")).toBe(truthBefore);
    await expect(stat(join(dir, "t6.csv"))).rejects.toThrow();
    expect(await tempEventFiles()).toEqual([]);
  });

  it("keeps the events in --events FILE and prints a text summary", async () => {
    const fresh = fakeLocalMode();
    const run = runDeps(fresh);
    const eventsFile = join(dir, "kept.jsonl");
    const { summary } = await runSimulate(
      simulateOptions({ json: false, eventsFile, wait: false, defaultUrl: true }),
      run.deps,
    );
    const lines = (await readFile(eventsFile, "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(generated);
    expect(summary.files.events).toBe(eventsFile);
    expect(summary.events.applied).toBeNull();
    expect(run.out()).toContain(`events file  ${eventsFile}`);
    expect(run.out()).toMatch(/pipeline {5}not waited for \(--no-wait\)/);
    expect(run.out()).toMatch(/npx churnwatch train --as-of 2025-03-02 --horizon 30\n/);
  });

  it("needs local mode's promotions endpoint", async () => {
    const run = runDeps(fakeLocalMode({ promotionsRoute: false }));
    await expect(runSimulate(simulateOptions(), run.deps)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /has no \/_local\/promotions: simulate needs churnwatch local mode/,
      ),
    });
  });
});

describe("registerPromotions", () => {
  it("counts an identical promotion as done and adds the rest in order", async () => {
    const server = fakeLocalMode();
    server.promotions.push({ name: "a", from: "2025-01-05", to: "2025-01-07" });
    const result = await registerPromotions(
      [
        { name: "a", from: "2025-01-05", to: "2025-01-07" },
        { name: "b", from: "2025-02-05", to: "2025-02-07" },
      ],
      { url: "http://local.test", apiKey: "k", fetch: server.fetch },
    );
    expect(result.map((p) => `${p.name}:${p.status}`)).toEqual(["a:already registered", "b:added"]);
  });

  it("reports an overlap with another name as the server words it", async () => {
    const server = fakeLocalMode();
    server.promotions.push({ name: "double-11", from: "2025-01-04", to: "2025-01-06" });
    await expect(
      registerPromotions([{ name: "sale-1", from: "2025-01-05", to: "2025-01-07" }], {
        url: "http://local.test",
        apiKey: "k",
        fetch: server.fetch,
      }),
    ).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/"sale-1" \(2025-01-05..2025-01-07\) overlaps "double-11"/),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// --treatment-effect: a win-back experiment with a known effect.

describe("churnwatch simulate --treatment-effect arguments", () => {
  const WINBACK = ["simulate", "--users", "10", "--days", "60", "--seed", "1"];

  it.each([
    [
      [...WINBACK, "--treatment-effect", "1.5"],
      /--treatment-effect must be a probability from 0 to 1/,
    ],
    [[...WINBACK, "--treatment-effect=-0.1"], /--treatment-effect must be a probability/],
    [[...WINBACK, "--treatment-effect", "30%"], /--treatment-effect must be a probability/],
    [[...WINBACK, "--treatment-at", "2026-01-01"], /--treatment-at needs --treatment-effect E/],
    [[...WINBACK, "--winback-window", "7"], /--winback-window needs --treatment-effect E/],
    [
      [...WINBACK, "--treatment-effect", "0.3", "--winback-window", "0"],
      /--winback-window must be a whole number from 1 to 365/,
    ],
    [
      [...WINBACK, "--treatment-effect", "0.3", "--no-wait"],
      /--no-wait cannot go with --treatment-effect/,
    ],
    [
      [...BASE, "--treatment-effect", "0.3"],
      /--days 30 is too short for a 30-day win-back window: .* --days 45 or more/,
    ],
    [
      [...WINBACK, "--treatment-effect", "0.3", "--treatment-at", "2026-02-30"],
      /--treatment-at must be a calendar date YYYY-MM-DD/,
    ],
    [
      [
        ...WINBACK,
        "--start",
        "2026-01-01",
        "--treatment-effect",
        "0.3",
        "--winback-window",
        "14",
        "--treatment-at",
        "2026-02-16",
      ],
      /--treatment-at 2026-02-16 must be from 2026-01-15 .* to 2026-02-15 \(its 14-day window ends on the last simulated day, 2026-03-01\)/,
    ],
    [
      [
        ...WINBACK,
        "--start",
        "2026-01-01",
        "--treatment-effect",
        "0.3",
        "--treatment-at",
        "2026-01-14",
      ],
      /--treatment-at 2026-01-14 must be from 2026-01-15 \(14 days of history\)/,
    ],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(/churnwatch simulate: /);
    expect(err()).toMatch(message);
  });

  it("defaults the treatment day to the last one whose window fits, and the window to 30 days", () => {
    const now = new Date("2026-05-10T00:00:00Z");
    const base = { users: "40", days: "60", seed: "3", start: "2026-01-01" };
    const options = parseSimulateArgs(
      { ...base, truth: join(dir, "t.csv"), "treatment-effect": "0.3", "winback-window": "14" },
      [],
      {},
      now,
    );
    // 2026-01-01 + 59 is 2026-03-01, the last day; its window of 14 days starts after 2026-02-15.
    expect(options.treatment).toEqual({
      effect: 0.3,
      at: "2026-02-15",
      windowDays: 14,
      truthJson: join(dir, "t.winback.json"),
    });
    expect(
      parseSimulateArgs(
        { ...base, "treatment-effect": "1", "treatment-at": "2026-01-20" },
        [],
        {},
        now,
      ).treatment,
    ).toEqual({
      effect: 1,
      at: "2026-01-20",
      windowDays: 30,
      truthJson: "./churnwatch-truth.winback.json",
    });
    expect(
      parseSimulateArgs({ ...base, "treatment-effect": "0" }, [], {}, now).treatment?.effect,
    ).toBe(0);
  });

  it("documents the experiment in --help", async () => {
    const { io, out } = fakeIo();
    expect(await runCli(["simulate", "--help"], io)).toBe(0);
    expect(out()).toMatch(/--treatment-effect E/);
    expect(out()).toMatch(/--treatment-at YYYY-MM-DD/);
    expect(out()).toMatch(/--winback-window N/);
    expect(out()).toMatch(/TRUE uplift E × \(1 - p0\)/);
    expect(out()).toMatch(/intention to treat/);
  });
});

describe("winbackTruthFile and reportCommand", () => {
  it("put the win-back truth next to the truth CSV and name the report to run", () => {
    expect(winbackTruthFile("./churnwatch-truth.csv")).toBe("./churnwatch-truth.winback.json");
    expect(winbackTruthFile("/x/truth")).toBe("/x/truth.winback.json");
    expect(
      reportCommand(
        "retention-default",
        { at: "2026-02-15", windowDays: 14 },
        {
          url: "http://127.0.0.1:3000",
          defaultUrl: true,
        },
      ),
    ).toBe(
      "npx churnwatch report --experiment retention-default --window-days 14 --from 2026-02-15 --to 2026-02-15",
    );
  });
});

function actionRecord(fields: Partial<ActionRecord> & Pick<ActionRecord, "userId">): ActionRecord {
  return {
    appId: "default",
    warningId: `w-${fields.userId}`,
    runId: "scoring@2026-02-15T00:00:00.000Z",
    asOf: "2026-02-15T00:00:00.000Z",
    plannedAt: "2026-11-23T10:00:00.000Z",
    tier: "high",
    score: 0.8,
    valueTier: "standard",
    lifecycleStage: "growth",
    topReason: "no_login",
    ruleId: "high-coupon",
    campaign: "coupon",
    experimentId: "retention-default",
    group: "variant",
    variant: "A",
    template: "coupon_offer",
    offer: null,
    channel: "email",
    outcome: "published",
    reason: null,
    escalated: false,
    ...fields,
  };
}

describe("assignmentsOf", () => {
  it("measures the run's targeted users as the report does", () => {
    const asOf = new Date("2026-02-15T00:00:00Z");
    const result = assignmentsOf(
      [
        actionRecord({ userId: "b" }),
        actionRecord({
          userId: "a",
          group: "control",
          variant: null,
          outcome: "control",
          channel: null,
        }),
        actionRecord({ userId: "c", outcome: "escalated", channel: null, escalated: true }),
        actionRecord({
          userId: "d",
          outcome: "no_action",
          group: null,
          variant: null,
          experimentId: null,
        }),
        actionRecord({ userId: "e", experimentId: null, group: null, variant: null }),
        // Another run the same day, and one another day: not this run's.
        actionRecord({ userId: "f", asOf: "2026-02-15T12:00:00.000Z" }),
        actionRecord({ userId: "g", asOf: "2026-02-14T00:00:00.000Z" }),
        // A second action of b in the same run: measured once, from the first.
        actionRecord({ userId: "b", warningId: "w-b-2", group: "control", variant: null }),
      ],
      asOf,
    );
    expect(result.assigned).toEqual([
      { userId: "a", experimentId: "retention-default", group: "control", arm: "control" },
      { userId: "b", experimentId: "retention-default", group: "variant", arm: "A" },
      { userId: "c", experimentId: "retention-default", group: "variant", arm: "A" },
    ]);
    expect(result).toMatchObject({
      noAction: 1,
      unassigned: 1,
      otherRunsThatDay: 1,
      outcomes: { control: 1, published: 1, escalated: 1 },
    });
  });
});

describe("GET /_local/actions (serveActions)", () => {
  async function serve(list: ListActions, path: string): Promise<{ status: number; body: string }> {
    const server = createServer((request, response) => {
      void serveActions(list, "k", request, response).catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.text() };
    } finally {
      server.close();
    }
  }

  it("streams the key's app's actions page by page as one JSON document", async () => {
    const filters: unknown[] = [];
    const list: ListActions = async (_key, filter) => {
      filters.push(filter);
      async function* pages() {
        yield [actionRecord({ userId: "a" }), actionRecord({ userId: "b" })];
        yield [];
        yield [actionRecord({ userId: "c" })];
      }
      return { appId: "default", pages: pages() };
    };
    const answer = await serve(list, "/_local/actions?experiment=retention-default");
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.body) as {
      appId: string;
      actions: ActionRecord[];
      count: number;
    };
    expect(body.appId).toBe("default");
    expect(body.count).toBe(3);
    expect(body.actions.map((a) => a.userId)).toEqual(["a", "b", "c"]);
    expect(body.actions[0]).toEqual(actionRecord({ userId: "a" }));
    expect(filters).toEqual([{ experimentId: "retention-default" }]);
    expect(JSON.parse((await serve(list, "/_local/actions")).body).count).toBe(3);
    expect(filters[1]).toEqual({});
  });

  it("refuses unknown parameters and bad experiment IDs, and keys without an app", async () => {
    const list: ListActions = async () => undefined;
    expect(await serve(list, "/_local/actions?asof=x")).toMatchObject({ status: 400 });
    expect((await serve(list, "/_local/actions?experiment=a%20b")).status).toBe(400);
    expect((await serve(list, "/_local/actions")).status).toBe(401);
  });

  it("never answers a scan that fails midway with a complete document", async () => {
    const list: ListActions = async () => {
      async function* pages() {
        yield [actionRecord({ userId: "a" })];
        throw new Error("scan failed");
      }
      return { appId: "default", pages: pages() };
    };
    const answer = await serve(list, "/_local/actions").catch((error: unknown) => ({
      status: 0,
      body: String(error),
    }));
    expect(() => JSON.parse(answer.body)).toThrow();
  });
});

/**
 * A fake local mode that also stores contacts, runs "scoring" (warns a fixed share of the users
 * with contacts and events before the as-of, assigning them as the plan step does) and lists the
 * action records.
 */
function fakeWinbackMode() {
  const base = fakeLocalMode();
  const contacts = new Map<string, unknown>();
  const events: { eventId: string; userId: string; occurredAt: string; type: string }[] = [];
  const actions: ActionRecord[] = [];
  const calls: string[] = [];
  let throttledOnce = false;
  let scoredAt: string | undefined;
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(value), { status, headers });
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const contact = /^\/v1\/users\/([^/]+)\/contact$/.exec(url.pathname);
    if (contact && method === "PUT") {
      calls.push("PUT contact");
      if (!throttledOnce) {
        throttledOnce = true;
        return json(429, { message: "Too Many Requests" }, { "retry-after": "1" });
      }
      contacts.set(decodeURIComponent(contact[1] as string), body);
      return json(200, { userId: contact[1] });
    }
    if (url.pathname === "/v1/events" && method === "POST") {
      calls.push("POST /v1/events");
      for (const event of (body as { events: typeof events }).events) events.push(event);
      return base.fetch(input, init);
    }
    if (url.pathname === "/_local/schedules/scoring/run" && method === "POST") {
      calls.push("POST scoring");
      scoredAt = (body as { asOf: string }).asOf;
      const asOfMs = Date.parse(scoredAt);
      const seen = new Set(
        events.filter((e) => Date.parse(e.occurredAt) < asOfMs).map((e) => e.userId),
      );
      [...seen].sort().forEach((userId, n) => {
        if (!contacts.has(userId)) return;
        if (n % 5 === 4) {
          actions.push(
            actionRecord({
              userId,
              asOf: scoredAt as string,
              outcome: "no_action",
              experimentId: null,
              group: null,
              variant: null,
            }),
          );
          return;
        }
        const control = assignGroup("default", userId, DEFAULT_EXPERIMENT).group === "control";
        actions.push(
          actionRecord({
            userId,
            asOf: scoredAt as string,
            ...(control
              ? { group: "control", variant: null, outcome: "control", channel: null }
              : {}),
          }),
        );
      });
      return json(200, { runId: `scoring@${scoredAt}`, status: "dispatched" });
    }
    if (url.pathname === "/_local/actions") {
      calls.push("GET actions");
      return json(200, { appId: "default", actions, count: actions.length });
    }
    return base.fetch(input, init);
  }) as typeof fetch;
  return {
    fetch: fetchImpl,
    calls,
    contacts,
    events,
    actions,
    promotions: base.promotions,
    eventIds: base.eventIds,
  };
}

describe("runSimulate with a treatment effect", () => {
  it("adds contacts, posts the past, scores, reads the arms and posts the treated future", async () => {
    const server = fakeWinbackMode();
    const run = runDeps(server as unknown as FakeServer);
    const truthFile = join(dir, "wb-truth.csv");
    const treatmentOptions = {
      effect: 0.5,
      at: "2025-03-18",
      windowDays: 14,
      truthJson: join(dir, "wb-truth.winback.json"),
    };
    const options = simulateOptions({
      users: 80,
      days: 60,
      seed: 8,
      start: "2025-02-01",
      truthFile,
      treatment: treatmentOptions,
    });
    // 2025-02-01 + 59 = 2025-04-01: the latest treatment day for a 14-day window.
    const { summary, exitCode } = await runSimulate(options, run.deps);
    expect(exitCode).toBe(0);
    const shop = simulateShop({
      users: 80,
      days: 60,
      seed: 8,
      start: new Date("2025-02-01"),
      treatmentEffect: 0.5,
    });
    const asOf = new Date("2025-03-18T00:00:00Z");

    // Order: every contact (one 429 retried), the past, scoring, the arms, then the future.
    expect(server.contacts.size).toBe(80);
    expect(server.calls.filter((c) => c === "PUT contact")).toHaveLength(81);
    const scoring = server.calls.indexOf("POST scoring");
    expect(server.calls.lastIndexOf("PUT contact")).toBeLessThan(
      server.calls.indexOf("POST /v1/events"),
    );
    expect(server.calls.indexOf("GET actions")).toBeGreaterThan(scoring);
    const beforeScoring = server.calls
      .slice(0, scoring)
      .filter((c) => c === "POST /v1/events").length;
    expect(beforeScoring).toBeGreaterThan(0);
    expect(server.contacts.get("sim-000001")).toMatchObject({
      timezone: shop.users[0]?.timezone,
      channels: { email: { consent: { granted: true } } },
    });

    // What was posted: the natural events, split at the as-of, and the treatment's purchases.
    const natural = [...simulatedEvents(shop)];
    const posted = server.events;
    const postedBefore = posted.slice(
      0,
      natural.filter((e) => Date.parse(e.occurredAt) < asOf.getTime()).length,
    );
    for (const event of postedBefore)
      expect(Date.parse(event.occurredAt)).toBeLessThan(asOf.getTime());
    const extra = posted.filter((e) => e.eventId.startsWith("sw-"));
    expect(posted).toHaveLength(natural.length + extra.length);
    expect(new Set(posted.map((e) => e.eventId)).size).toBe(posted.length);

    // The same outcomes, computed independently from the actions the fake recorded.
    const { assigned } = assignmentsOf(server.actions, asOf);
    const treatment = { effect: 0.5, asOf, windowDays: 14 };
    const outcomes = assigned.map((a) =>
      targetedOutcome(shop.users.find((u) => u.userId === a.userId) as SimUser, shop, a, treatment),
    );
    const truth = winbackTruth(outcomes, treatment);
    expect(summary.winback?.truth).toEqual(JSON.parse(JSON.stringify(truth)));
    const treated = outcomes.filter((o) => o.treatmentDay !== null);
    expect(treated.length).toBeGreaterThan(0);
    expect(treated.every((o) => o.group === "variant" && !o.naturalWinback)).toBe(true);
    expect(extra.map((e) => e.eventId).sort()).toEqual(
      treated.flatMap((o) => o.treatmentEvents.map((e) => e.eventId)).sort(),
    );
    const controlUsers = new Set(
      assigned.filter((a) => a.group === "control").map((a) => a.userId),
    );
    expect(extra.some((e) => controlUsers.has(e.userId))).toBe(false);

    expect(summary.winback).toMatchObject({
      effect: 0.5,
      treatmentDay: "2025-03-18",
      asOf: "2025-03-18T00:00:00.000Z",
      windowDays: 14,
      window: { from: "2025-03-19", to: "2025-04-01" },
      contacts: 80,
      actions: { targeted: assigned.length, foreign: 0, otherRunsThatDay: 0 },
      reportCommands: [
        "npx churnwatch report --experiment retention-default --window-days 14 --from 2025-03-18 --to 2025-03-18 --url http://local.test",
      ],
    });
    expect(summary.winback?.phases.beforeTreatment.generated).toBe(
      beforeScoring > 0 ? postedBefore.length : 0,
    );
    expect(summary.events).toMatchObject({
      generated: posted.length,
      posted: posted.length,
      accepted: posted.length,
      applied: posted.length,
    });
    expect(summary.next[0]).toBe(summary.winback?.reportCommands[0]);

    // The files: the truth as lived, and the win-back truth.
    expect(await readFile(truthFile, "utf8")).toBe(formatTruthCsv(treatedTruth(shop, outcomes)));
    const { targetedUsers, ...written } = JSON.parse(
      await readFile(treatmentOptions.truthJson, "utf8"),
    );
    expect(written).toEqual(JSON.parse(JSON.stringify(summary.winback)));
    expect(targetedUsers).toHaveLength(assigned.length);
    const someTreated = treated[0] as (typeof treated)[number];
    expect(targetedUsers).toContainEqual({
      userId: someTreated.userId,
      experimentId: "retention-default",
      arm: "A",
      naturalWinback: false,
      responds: true,
      treatmentDate: dayKey(dayNumberOfKey("2025-02-01") + (someTreated.treatmentDay as number)),
    });
    expect(await tempEventFiles()).toEqual([]);
  });

  it("prints the true uplift and the command whose interval should cover it", async () => {
    const server = fakeWinbackMode();
    const run = runDeps(server as unknown as FakeServer);
    await runSimulate(
      simulateOptions({
        users: 40,
        days: 45,
        seed: 2,
        start: "2025-02-01",
        json: false,
        truthFile: join(dir, "wb2.csv"),
        treatment: {
          effect: 0.3,
          at: "2025-03-01",
          windowDays: 7,
          truthJson: join(dir, "wb2.winback.json"),
        },
      }),
      run.deps,
    );
    expect(run.out()).toMatch(/contacts {5}40 users with e-mail consent/);
    expect(run.out()).toMatch(/scoring {6}as of 2025-03-01T00:00:00.000Z: \d+ users targeted/);
    expect(run.out()).toMatch(
      /treatment {4}E = 0.3 for every user assigned to a variant \(intention to treat\); win-back window 7 days, 2025-03-02 to 2025-03-08/,
    );
    expect(run.out()).toMatch(
      /TRUE uplift E × \(1 − p0\) = \+\d+\.\d pp: the report's 95 % interval/,
    );
    expect(run.out()).toMatch(
      /next:\n {2}npx churnwatch report --experiment retention-default --window-days 7 --from 2025-03-01 --to 2025-03-01/,
    );
  });
});
