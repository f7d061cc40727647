import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scoreCommand } from "../../local/cli/commands/score.js";
import { startCommand } from "../../local/cli/commands/start.js";
import type { CliIo } from "../../local/cli/io.js";
import { runCli } from "../../local/cli/run.js";
import { freePort } from "../../local/emulators/free-port.js";
import { REPO_ROOT } from "../../local/paths.js";

function fakeIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env };
  return { io, out: () => out.join(""), err: () => err.join("") };
}

describe("churnwatch arguments", () => {
  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["start", "--bogus"], /Unknown option '--bogus'/],
    [["start", "--port", "70000"], /--port must be a port number/],
    [["start", "--port", "abc"], /--port must be a port number/],
    [["start", "extra"], /unexpected argument "extra"/],
    [["score", "--as-of", "next tuesday"], /--as-of: "next tuesday" is not a date/],
    [["score", "--as-of", "2024-02-30"], /not a calendar date/],
    [["score", "--as-of"], /argument missing/],
    [["score", "--url", "not a url"], /--url must be a URL/],
    [["help", "nope"], /unknown command "nope"/],
  ])("%j exits 2 with a clear message", async (argv, message) => {
    const { io, err } = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(err()).toMatch(message);
  });

  it("exits 2 and shows the commands when none is given", async () => {
    const { io, err } = fakeIo();
    expect(await runCli([], io)).toBe(2);
    expect(err()).toContain("Commands:");
  });

  it("rejects a bad PORT in the environment", async () => {
    const { io, err } = fakeIo({ PORT: "http" });
    expect(await runCli(["start"], io)).toBe(2);
    expect(err()).toMatch(/PORT must be a port number/);
  });

  it.each([["--help"], ["-h"], ["help"], ["help", "score"], ["start", "--help"], ["score", "-h"]])(
    "%j prints help and exits 0",
    async (...argv) => {
      const { io, out } = fakeIo();
      expect(await runCli(argv, io)).toBe(0);
      expect(out()).toMatch(/Usage: churnwatch/);
    },
  );

  it("turns flags into typed options, with environment defaults", () => {
    expect(startCommand.parse({ port: "0", "data-dir": "d", verbose: true }, [], {})).toEqual({
      port: 0,
      dataDir: "d",
      verbose: true,
    });
    expect(startCommand.parse({}, [], { PORT: "4000" })).toEqual({ port: 4000, verbose: false });
    expect(startCommand.parse({}, [], {})).toEqual({ port: 3000, verbose: false });
    const score = scoreCommand.parse({ "as-of": "2024-05-01", "no-wait": true }, [], {
      PORT: "4001",
      CHURNWATCH_API_KEY: "k",
    });
    expect(score).toMatchObject({
      url: "http://127.0.0.1:4001",
      apiKey: "k",
      wait: false,
      json: false,
    });
    expect(score.asOf?.toISOString()).toBe("2024-05-01T00:00:00.000Z");
  });
});

describe("churnwatch score against a server", () => {
  let server: Server;
  let url: string;
  const requests: { method: string; path: string; key: string | undefined; body: string }[] = [];
  let idleAnswers = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const key = request.headers["x-api-key"] as string | undefined;
        requests.push({ method: request.method ?? "", path: request.url ?? "", key, body });
        response.setHeader("content-type", "application/json");
        if (key !== "good") {
          response.statusCode = 401;
          response.end('{"message":"Unauthorized"}');
        } else if (request.url === "/_local/schedules/scoring/run") {
          response.end(
            '{"runId":"r1","asOf":"2024-05-01T00:00:00.000Z","segments":2,"status":"dispatched"}',
          );
        } else if (request.url === "/_local/runs/r1") {
          response.end(
            JSON.stringify({
              runId: "r1",
              asOf: "2024-05-01T00:00:00.000Z",
              segments: 2,
              segmentsDone: 2,
              complete: true,
              startedAt: "2024-05-01T00:00:00.000Z",
              durationMs: 1200,
              totals: {
                scored: 2,
                atRisk: 1,
                warned: 1,
                skipped: 0,
                legacy: 0,
                byTier: { low: 1, medium: 1, high: 0, critical: 0 },
                byReason: { no_app_open: 1 },
              },
              models: ["rules-v1"],
            }),
          );
        } else if (request.url === "/_local/idle") {
          idleAnswers++;
          response.end(JSON.stringify({ idle: idleAnswers > 2, busyPollers: 0, queues: {} }));
        } else {
          response.end(
            JSON.stringify({
              users: 2,
              usersAtRisk: 1,
              events: 6,
              outbox: { total: 1, byChannel: { email: 1 } },
              queues: { email: { visible: 0, inFlight: 0, delayed: 0, deadLetters: 0 } },
            }),
          );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("waits for queued events, runs the schedule as of the date, waits again, and prints the numbers", async () => {
    const { io, out } = fakeIo({ CHURNWATCH_API_KEY: "good" });
    expect(await runCli(["score", "--as-of", "2024-05-01", "--url", url], io)).toBe(0);
    const run = requests.findIndex((r) => r.path === "/_local/schedules/scoring/run");
    expect(requests.slice(0, run).every((r) => r.path === "/_local/idle")).toBe(true);
    expect(run).toBeGreaterThanOrEqual(2);
    expect(requests[run]).toMatchObject({
      method: "POST",
      path: "/_local/schedules/scoring/run",
      key: "good",
      body: '{"asOf":"2024-05-01T00:00:00Z"}',
    });
    expect(idleAnswers).toBeGreaterThanOrEqual(4);
    expect(out()).toContain("dispatched (run r1, 2 segments)");
    expect(out()).toContain("by tier: low 1, medium 1, high 0, critical 0");
    expect(out()).toContain("by reason: no_app_open 1");
    expect(out()).toContain("users: 2 · at risk: 1 · outbox messages: 1 (email 1)");
  });

  it("prints JSON with --json", async () => {
    const { io, out } = fakeIo();
    expect(
      await runCli(["score", "--url", url, "--api-key", "good", "--json", "--no-wait"], io),
    ).toBe(0);
    expect(JSON.parse(out())).toMatchObject({
      run: { status: "dispatched" },
      idle: null,
      stats: { users: 2 },
    });
  });

  it("says so when the key is refused (exit 1)", async () => {
    const { io, err } = fakeIo();
    expect(await runCli(["score", "--url", url, "--api-key", "bad"], io)).toBe(1);
    expect(err()).toMatch(/refused the API key/);
  });

  it("says how to start the server when none answers (exit 1)", async () => {
    const port = await freePort();
    const { io, err } = fakeIo();
    expect(await runCli(["score", "--url", `http://127.0.0.1:${port}`], io)).toBe(1);
    expect(err()).toContain(
      `no churnwatch server at http://127.0.0.1:${port}: start it with \`npm start\``,
    );
  });
});

describe("the churnwatch executable", () => {
  it("exits 2 for bad arguments through the real entry point", async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, [
      join(REPO_ROOT, "local/cli.js"),
      "score",
      "--as-of",
      "soon",
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain('"soon" is not a date');
  });
});
