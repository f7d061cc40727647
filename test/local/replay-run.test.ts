/**
 * `churnwatch replay` against a scripted server: batching, line numbers in the summary,
 * retries (429 with Retry-After, 5xx, network, events not queued), aborting on other errors
 * with where to resume, --from-line, and the new/known counts from /_local/stats.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import {
  countLines,
  type ReplayDeps,
  type ReplayOptions,
  runReplay,
} from "../../local/replay/run-replay.js";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "churnwatch-replay-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function jsonl(count: number, from = 1): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      eventId: `e-${from + i}`,
      userId: `u-${(from + i) % 3}`,
      type: "app_open",
      occurredAt: "2024-05-01T10:00:00Z",
    }),
  ).join("\n");
}

interface Call {
  readonly path: string;
  readonly events?: { eventId: string }[];
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | "network";

/** A server whose /v1/events answers come from `script` (then 202 accepting everything). */
function scriptedServer(script: Answer[] = [], stats?: { before: number; after: number }) {
  const calls: Call[] = [];
  const slept: number[] = [];
  let statsCalls = 0;
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = init?.body
      ? (JSON.parse(String(init.body)) as { events: { eventId: string }[] })
      : undefined;
    calls.push({ path: url.pathname, ...(body ? { events: body.events } : {}) });
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(value), { status, headers });
    if (url.pathname === "/health") return json(200, { status: "ok" });
    if (url.pathname === "/_local/stats") {
      if (!stats) return json(404, { message: "Not Found" });
      statsCalls += 1;
      return json(200, {
        events: statsCalls === 1 ? stats.before : stats.after,
        queues: { events: { deadLetters: 0 } },
      });
    }
    if (url.pathname === "/_local/idle")
      return json(200, { idle: true, busyPollers: 0, queues: {} });
    const next = script.shift();
    if (next === "network") {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
    }
    if (next) return json(next.status, next.body ?? {}, next.headers);
    return json(202, { accepted: body?.events.length ?? 0, duplicates: 0, rejected: [] });
  }) as typeof fetch;
  return {
    fetchImpl,
    calls,
    slept,
    posts: () => calls.filter((call) => call.path === "/v1/events"),
  };
}

function deps(fetchImpl: typeof fetch, slept: number[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  let clock = 0;
  const replayDeps: ReplayDeps = {
    fetch: fetchImpl,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    now: () => (clock += 5),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    interactive: false,
    pollMs: 1,
  };
  return { replayDeps, out: () => out.join(""), err: () => err.join("") };
}

function options(path: string, extra: Partial<ReplayOptions> = {}): ReplayOptions {
  return {
    file: path,
    format: "jsonl",
    batchSize: 500,
    fromLine: 1,
    url: "http://server.test",
    apiKey: "k",
    json: false,
    wait: false,
    waitTimeoutMs: 1000,
    ...extra,
  };
}

describe("runReplay", () => {
  it("posts in batches of --batch-size and reports lines, events and throughput", async () => {
    const path = await file("ten.jsonl", jsonl(10));
    const server = scriptedServer();
    const run = deps(server.fetchImpl);
    const { summary, exitCode } = await runReplay(options(path, { batchSize: 4 }), run.replayDeps);
    expect(exitCode).toBe(0);
    expect(server.posts().map((call) => call.events?.length)).toEqual([4, 4, 2]);
    expect(summary).toMatchObject({ linesRead: 10, eventsPosted: 10, batches: 3, accepted: 10 });
    expect(run.out()).toMatch(/events {7}10 posted in 3 batches/);
    expect(run.out()).toMatch(/throughput {3}[\d,]+ events\/s posted/);
  });

  it("skips unparseable lines and rejected events, names their line numbers, exits 1", async () => {
    const lines = [
      '{"eventId":"a","userId":"u","type":"app_open","occurredAt":"2024-05-01T10:00:00Z"}',
      "{not json",
      "",
      '{"eventId":"b","userId":"u@example.com","type":"app_open","occurredAt":"2024-05-01T10:00:00Z"}',
      '{"eventId":"c","userId":"u","type":"app_open","occurredAt":"2024-05-01T10:00:00Z"}',
    ];
    const path = await file("mixed.jsonl", lines.join("\r\n"));
    const server = scriptedServer([
      {
        status: 202,
        body: {
          accepted: 2,
          duplicates: 0,
          rejected: [
            {
              index: 1,
              eventId: "b",
              errors: [{ field: "userId", message: "must be pseudonymous, not an e-mail address" }],
            },
          ],
        },
      },
    ]);
    const run = deps(server.fetchImpl);
    const { summary, exitCode } = await runReplay(options(path), run.replayDeps);
    expect(exitCode).toBe(1);
    expect(summary.unparseable).toMatchObject({
      count: 1,
      reasons: [{ reason: "not valid JSON", count: 1, lines: [2] }],
    });
    expect(summary.rejected).toEqual({
      count: 1,
      reasons: [
        { reason: "userId: must be pseudonymous, not an e-mail address", count: 1, lines: [4] },
      ],
    });
    expect(run.out()).toContain("1 × userId: must be pseudonymous, not an e-mail address (line 4)");
    expect(run.out()).toMatch(/1 × not valid JSON \(line 2\)\n\s+line 2: /);
  });

  it("retries 429 after Retry-After, 5xx and network errors, then carries on", async () => {
    const path = await file("three.jsonl", jsonl(3));
    const server = scriptedServer([
      { status: 429, body: { message: "Too Many Requests" }, headers: { "retry-after": "7" } },
      { status: 503, body: { message: "busy" } },
      "network",
    ]);
    const slept: number[] = [];
    const run = deps(server.fetchImpl, slept);
    const { summary, exitCode } = await runReplay(options(path), run.replayDeps);
    expect(exitCode).toBe(0);
    expect(server.posts()).toHaveLength(4);
    expect(slept[0]).toBe(7000);
    expect(summary.retries).toEqual({ "429": 1, "5xx": 1, network: 1 });
    expect(summary.accepted).toBe(3);
  });

  it("sends again the events the API could not queue", async () => {
    const path = await file("requeue.jsonl", jsonl(3));
    const notQueued = {
      index: 1,
      eventId: "e-2",
      errors: [{ field: "(event)", message: "could not be queued, send it again" }],
    };
    const server = scriptedServer([
      { status: 202, body: { accepted: 2, duplicates: 0, rejected: [notQueued] } },
    ]);
    const run = deps(server.fetchImpl);
    const { summary } = await runReplay(options(path), run.replayDeps);
    expect(server.posts().map((call) => call.events?.map((event) => event.eventId))).toEqual([
      ["e-1", "e-2", "e-3"],
      ["e-2"],
    ]);
    expect(summary).toMatchObject({
      accepted: 3,
      rejected: { count: 0 },
      retries: { notQueued: 1 },
    });
  });

  it("stops on a 4xx with the server's message and says where to resume", async () => {
    const path = await file("stop.jsonl", jsonl(6));
    const server = scriptedServer([
      { status: 202, body: { accepted: 2, duplicates: 0, rejected: [] } },
      { status: 400, body: { message: "body must be { events }", errors: [] } },
    ]);
    const run = deps(server.fetchImpl);
    const { summary, exitCode } = await runReplay(options(path, { batchSize: 2 }), run.replayDeps);
    expect(exitCode).toBe(1);
    expect(summary.stopped).toEqual({
      reason: "POST /v1/events answered 400: body must be { events }",
      resumeFromLine: 3,
    });
    expect(run.out()).toContain("resume with: --from-line 3");
    expect(server.posts()).toHaveLength(2);
  });

  it("gives up after the retry budget, naming the last problem", async () => {
    const path = await file("down.jsonl", jsonl(1));
    const server = scriptedServer(Array.from({ length: 10 }, () => ({ status: 502 })));
    const run = deps(server.fetchImpl);
    const { summary, exitCode } = await runReplay(options(path), {
      ...run.replayDeps,
      retry: { attempts: 3, baseMs: 1, maxMs: 2 },
    });
    expect(exitCode).toBe(1);
    expect(summary.stopped?.reason).toMatch(/kept failing after 3 attempts \(last: 502/);
    expect(summary.stopped?.resumeFromLine).toBe(1);
  });

  it("--from-line posts from that line on, with the IDs a full run derives", async () => {
    const lines = [
      '{"userId":"u","type":"login","occurredAt":"2024-05-01T10:00:00Z"}',
      '{"userId":"u","type":"login","occurredAt":"2024-05-01T10:00:00Z"}',
      '{"userId":"u","type":"login","occurredAt":"2024-05-01T10:00:00Z"}',
    ];
    const path = await file("resume.jsonl", `${lines.join("\n")}\n`);
    const full = scriptedServer();
    await runReplay(options(path), deps(full.fetchImpl).replayDeps);
    const resumed = scriptedServer();
    const { summary } = await runReplay(
      options(path, { fromLine: 2 }),
      deps(resumed.fetchImpl).replayDeps,
    );
    const ids = (server: ReturnType<typeof scriptedServer>) =>
      server.posts().flatMap((call) => call.events?.map((event) => event.eventId) ?? []);
    expect(ids(resumed)).toEqual(ids(full).slice(1));
    expect(new Set(ids(full)).size).toBe(3);
    expect(summary).toMatchObject({ fromLine: 2, lastLine: 3, linesRead: 2 });
  });

  it("counts new and already-known events from the stored event count after the pipeline is idle", async () => {
    const path = await file("known.jsonl", jsonl(5));
    const server = scriptedServer([], { before: 100, after: 102 });
    const run = deps(server.fetchImpl);
    const { summary } = await runReplay(options(path, { wait: true }), run.replayDeps);
    expect(summary.pipeline).toMatchObject({
      settled: true,
      applied: 2,
      alreadyKnown: 3,
      deadLettered: 0,
    });
    expect(summary.duplicates).toBe(3);
    expect(run.out()).toContain("2 applied as new, 3 already known, 0 dead-lettered");
  });

  it("keeps waiting when a busy local mode drops an idle poll, and gives up when it stays gone", async () => {
    const path = await file("flaky.jsonl", jsonl(2));
    const flaky = (dropped: number) => {
      const server = scriptedServer([], { before: 0, after: 2 });
      let drops = dropped;
      const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
        if (new URL(String(input)).pathname === "/_local/idle" && drops > 0) {
          drops -= 1;
          throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
        }
        return server.fetchImpl(input, init);
      }) as typeof fetch;
      return deps(fetchImpl).replayDeps;
    };
    const { summary } = await runReplay(options(path, { wait: true }), flaky(2));
    expect(summary.pipeline).toMatchObject({ settled: true, applied: 2 });
    await expect(runReplay(options(path, { wait: true }), flaky(50))).rejects.toThrow(/ECONNRESET/);
  });

  it("does not wait where there is no /_local (e.g. AWS) and says so", async () => {
    const path = await file("aws.jsonl", jsonl(1));
    const server = scriptedServer();
    const run = deps(server.fetchImpl);
    const { summary, exitCode } = await runReplay(options(path, { wait: true }), run.replayDeps);
    expect(exitCode).toBe(0);
    expect(summary.pipeline).toBeNull();
    expect(run.out()).toMatch(/pipeline {5}not waited for: .* has no \/_local\/stats/);
  });

  it("prints the summary as JSON with --json", async () => {
    const path = await file("json.jsonl", jsonl(2));
    const run = deps(scriptedServer().fetchImpl);
    await runReplay(options(path, { json: true }), run.replayDeps);
    expect(JSON.parse(run.out())).toMatchObject({ eventsPosted: 2, accepted: 2, kind: "jsonl" });
  });

  it("counts lines with and without a final newline", async () => {
    expect(await countLines(await file("a.txt", "a\nb\n"))).toBe(2);
    expect(await countLines(await file("b.txt", "a\r\nb"))).toBe(2);
    expect(await countLines(await file("c.txt", ""))).toBe(0);
  });
});

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("churnwatch replay / export arguments", () => {
  it.each([
    [["replay"], /which file\?/],
    [["replay", "nope.jsonl"], /cannot read nope.jsonl: no such file/],
    [["replay", "{dir}/x.txt"], /cannot tell the format .* --format jsonl\|csv\|cdnow/],
    [["replay", "{dir}/x.txt", "--format", "xml"], /--format must be jsonl, csv, cdnow/],
    [["replay", "{dir}/x.txt", "--format", "cdnow"], /--format cdnow needs --currency/],
    [["replay", "{dir}/x.txt", "--format", "cdnow", "--currency", "usd"], /ISO 4217/],
    [["replay", "{dir}/x.jsonl", "--currency", "USD"], /--currency applies to csv and cdnow/],
    [
      ["replay", "{dir}/x.jsonl", "--batch-size", "501"],
      /--batch-size must be a whole number from 1 to 500/,
    ],
    [["replay", "{dir}/x.jsonl", "--batch-size", "0"], /--batch-size must be/],
    [["replay", "{dir}/x.jsonl", "--from-line", "-3"], /--from-line/],
    [["replay", "{dir}/x.jsonl", "--from-line", "1.5"], /--from-line must be a whole number/],
    [
      ["replay", "{dir}/x.jsonl", "--from-line", "99"],
      /--from-line 99 is past the end of x.jsonl \(1 lines\)/,
    ],
    [["replay", "{dir}/x.jsonl", "--map", "a=userId"], /--map and --type apply to --format csv/],
    [["replay", "{dir}/x.csv", "--map", "a=bogus"], /unknown event field "bogus"/],
    [["replay", "{dir}/x.csv", "--user-prefix", "a b"], /--user-prefix may hold only/],
    [["replay", "{dir}/x.csv"], /no CSV column for userId, occurredAt, type/],
    [["replay", "{dir}/x.jsonl", "--url", "ftp://x"], /--url must start with http/],
    [["replay", "{dir}/x.jsonl", "extra"], /unexpected argument "extra"/],
    [["export"], /--calibration-end YYYY-MM-DD is required/],
    [["export", "--calibration-end", "1997-09-31"], /not a calendar date/],
    [["export", "--calibration-end", "30.09.1997"], /must be a date YYYY-MM-DD/],
    [["export", "--calibration-end", "1997-09-30", "--format", "rfm"], /--format must be btyd-cbs/],
    [["export", "--calibration-end", "1997-09-30", "--out", ""], /--out needs a file name/],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    await file("x.txt", "00004 0001 19970101 2 29.33\n");
    await file("x.jsonl", "{}\n");
    await file("x.csv", "a,b\n1,2\n");
    const { io, err } = fakeIo();
    // No server on port 9: arguments fail before any request (the CSV header one included).
    const args = [...argv.map((arg) => arg.replace("{dir}", dir)), "--url", "http://127.0.0.1:9"];
    const code = await runCli(
      argv.includes("--url") ? argv.map((a) => a.replace("{dir}", dir)) : args,
      io,
    );
    expect(err()).toMatch(message);
    expect(code).toBe(2);
  });

  it.each([["replay"], ["export"]])("%s --help explains the command", async (name) => {
    const { io, out } = fakeIo();
    expect(await runCli([name, "--help"], io)).toBe(0);
    expect(out()).toMatch(new RegExp(`^Usage: churnwatch ${name}`));
  });
});
