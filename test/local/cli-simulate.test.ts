/**
 * `churnwatch simulate`: its arguments (bad ones exit 2 before any work), the suggested next
 * commands, the streamed JSONL file, and the whole run against an in-memory fake of local mode
 * (promotion calendar with overlap checks, an event store that drops known event IDs).
 */
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayKey, dayNumberOfKey } from "../../lambdas/domain/calendar.js";
import {
  checkPromotionAgainst,
  type Promotion,
  PromotionError,
} from "../../lambdas/domain/promotions.js";
import { simulatedEvents, simulateShop } from "../../lambdas/domain/simulation/shop.js";
import { formatTruthCsv } from "../../lambdas/domain/simulation/truth-csv.js";
import { parseSimulateArgs } from "../../local/cli/commands/simulate.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import { LocalModeError } from "../../local/errors.js";
import { registerPromotions } from "../../local/simulate/register-promotions.js";
import {
  nextCommands,
  runSimulate,
  type SimulateDeps,
  type SimulateOptions,
  type SimulateSummary,
} from "../../local/simulate/run-simulate.js";
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
