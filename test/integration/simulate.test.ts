/**
 * `churnwatch simulate` against real local mode (DynamoDB Local, fauxqs, the real handlers): a
 * small shop's promotions land in the calendar, every generated event is applied once, and the
 * truth file holds exactly the simulated users. The same run again changes nothing.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayKey } from "../../lambdas/domain/calendar.js";
import { simulatedEvents, simulateShop } from "../../lambdas/domain/simulation/shop.js";
import { parseTruthCsv } from "../../lambdas/domain/simulation/truth-csv.js";
import { simulateCommand } from "../../local/cli/commands/simulate.js";
import type { CliIo } from "../../local/cli/io.js";
import { startLocal } from "../../local/index.js";
import type { SimulateSummary } from "../../local/simulate/run-simulate.js";

const DAY_MS = 86_400_000;
const USERS = 40;
const DAYS = 60;
const SEED = 3;

/** The command's temporary events file (os.tmpdir()/churnwatch-simulate-<pid>-<ms>.jsonl). */
const isTempEvents = (name: string) =>
  name.startsWith(`churnwatch-simulate-${process.pid}-`) && name.endsWith(".jsonl");

type Local = Awaited<ReturnType<typeof startLocal>>;
let local: Local;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-simulate-it-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function captureIo(): { io: CliIo; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

async function simulate(truthFile: string): Promise<{ code: number; summary: SimulateSummary }> {
  const options = simulateCommand.parse(
    {
      users: String(USERS),
      days: String(DAYS),
      seed: String(SEED),
      truth: truthFile,
      url: local.url,
      "api-key": local.apiKey,
      json: true,
    },
    [],
    {},
  );
  const run = captureIo();
  const code = await simulateCommand.run(options, run.io);
  expect(run.err()).not.toMatch(/churnwatch simulate:/);
  return { code, summary: JSON.parse(run.out()) as SimulateSummary };
}

describe("churnwatch simulate on local mode", () => {
  // The command's default start: the last simulated day is yesterday (UTC).
  const start = dayKey(Math.floor(Date.now() / DAY_MS) - DAYS);
  const shop = simulateShop({ users: USERS, days: DAYS, seed: SEED, start: new Date(start) });
  const generated = [...simulatedEvents(shop)].length;

  it("registers the promotions, applies every event once and writes the truth", async () => {
    const truthFile = join(dataDir, "truth.csv");
    const tempBefore = (await readdir(tmpdir())).filter(isTempEvents);
    const { code, summary } = await simulate(truthFile);
    expect(code).toBe(0);
    expect(summary.shop).toMatchObject({ start, days: DAYS, users: USERS, seed: SEED });

    const truth = parseTruthCsv(await readFile(truthFile, "utf8"));
    expect(truth).toEqual(shop.truth);
    expect(truth.map((row) => row.userId)).toEqual(shop.users.map((user) => user.userId));

    expect(summary.events).toMatchObject({
      generated,
      posted: generated,
      accepted: generated,
      rejected: 0,
      applied: generated,
      alreadyKnown: 0,
      deadLettered: 0,
    });
    expect((await local.stats()).events).toBe(generated);

    const response = await fetch(`${local.url}/_local/promotions`, {
      headers: { "x-api-key": local.apiKey },
    });
    expect(response.status).toBe(200);
    const listed = (await response.json()) as { promotions: { name: string }[] };
    expect(listed.promotions).toEqual(
      shop.promotions.map((promotion) => ({ ...promotion, source: "stored" })),
    );
    expect(summary.promotions.every((p) => p.status === "added")).toBe(true);

    const tempAfter = (await readdir(tmpdir())).filter(isTempEvents);
    expect(tempAfter).toEqual(tempBefore);
  }, 60_000);

  it("runs again: promotions already there, every event already known, nothing new", async () => {
    const { code, summary } = await simulate(join(dataDir, "truth-2.csv"));
    expect(code).toBe(0);
    expect(summary.promotions.every((p) => p.status === "already registered")).toBe(true);
    expect(summary.events).toMatchObject({
      accepted: generated,
      applied: 0,
      alreadyKnown: generated,
    });
    expect((await local.stats()).events).toBe(generated);
  }, 60_000);
});
