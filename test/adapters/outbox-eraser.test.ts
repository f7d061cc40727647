/**
 * Erasing a user from the local outbox: the user's own lines (messages, marketing alerts) go,
 * marketing digests that list the user keep their line without the user, and nothing else
 * changes — not another user whose ID starts the same, not the same ID in another app.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eraseFromOutbox } from "../../lambdas/adapters/outbox-eraser.js";
import { OutboxMarketingNotifier } from "../../lambdas/adapters/outbox-marketing-notifier.js";
import {
  alertFor,
  type DigestRun,
  digestFor,
  type HighValueAtRisk,
  type MarketingLocale,
} from "../../lambdas/domain/marketing.js";

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "outbox-eraser-"));
  path = join(dir, "outbox.jsonl");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const vip = (userId: string, score: number, appId = "shop"): HighValueAtRisk => ({
  appId,
  userId,
  valueMinor: 812_000,
  currency: "CNY",
  tier: "high",
  score,
  lifecycleStage: "mature",
  reasons: [{ code: "no_login", severity: "high", params: { days: 40, thresholdDays: 30 } }],
});

const run: DigestRun = {
  runId: "scoring@2026-12-25T02:00:00.000Z",
  asOf: "2026-12-25T02:00:00.000Z",
  totals: {
    scored: 40,
    atRisk: 12,
    warned: 9,
    byTier: { low: 28, medium: 6, high: 4, critical: 2 },
    byReason: { no_login: 9 },
    highValueAtRisk: 4,
  },
};

async function lines(): Promise<Record<string, unknown>[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function writeDigest(users: HighValueAtRisk[], locale: MarketingLocale = "en") {
  await new OutboxMarketingNotifier(path).notify(digestFor(run, users, locale));
}

function topUsersOf(line: Record<string, unknown> | undefined): { userId: string }[] {
  const attributes = (line?.attributes ?? {}) as Record<string, unknown>;
  return JSON.parse(String(attributes.topUsers)) as { userId: string }[];
}

describe("eraseFromOutbox", () => {
  it("drops the user's messages and alerts, and keeps other users' lines as they were", async () => {
    const message = (userId: string, appId = "shop") =>
      JSON.stringify({ at: "t", channel: "email", appId, userId, to: "x@example.com", body: "b" });
    await writeFile(
      path,
      [message("u-1"), message("u-10"), message("u-1", "other-app"), "not json"]
        .map((line) => `${line}\n`)
        .join(""),
    );
    await new OutboxMarketingNotifier(path).notify(
      alertFor({ ...vip("u-1", 0.95), tier: "critical", warningId: "w", runId: "r", asOf: "a" }),
    );
    const before = await readFile(path, "utf8");

    expect(await eraseFromOutbox(path, "shop", "u-1")).toBe(2);
    const after = await readFile(path, "utf8");
    expect(after.split("\n").filter(Boolean)).toEqual(before.split("\n").slice(1, 4));
    expect(await eraseFromOutbox(path, "shop", "u-1")).toBe(0);
    expect(await readFile(path, "utf8")).toBe(after);
  });

  it("takes the user out of a digest's table and topUsers, numbering the rest again", async () => {
    await writeDigest([vip("u-1", 0.9), vip("u-10", 0.8), vip("u-1", 0.7, "other-app")]);
    const [digest] = await lines();
    expect(String(digest?.body)).toMatch(/\n {2}1 \| u-1 +\| shop /);

    expect(await eraseFromOutbox(path, "shop", "u-1")).toBe(1);
    const [redacted, ...rest] = await lines();
    expect(rest).toEqual([]);
    const body = String(redacted?.body);
    expect(body).not.toMatch(/\| u-1 +\| shop /);
    expect(body).toMatch(/\n {2}1 \| u-10 +\| shop /);
    expect(body).toMatch(/\n {2}2 \| u-1 +\| other-app /);
    expect(topUsersOf(redacted).map((user) => user.userId)).toEqual(["u-10", "u-1"]);
    // The rest of the line is the digest as it was.
    expect({ ...redacted, body: "", attributes: {} }).toEqual({
      ...digest,
      body: "",
      attributes: {},
    });
    expect(redacted?.attributes).toMatchObject({ runId: run.runId, highValueAtRisk: 4 });
    // Everything else of the body is untouched.
    const withoutRows = (text: string) =>
      text
        .split("\n")
        .filter((line) => !/^ {2}\d+ +\| /.test(line))
        .join("\n");
    expect(withoutRows(body)).toBe(withoutRows(String(digest?.body)));
  });

  it("leaves a digest that does not list the user byte for byte", async () => {
    await writeDigest([vip("u-10", 0.8)]);
    await writeDigest([]);
    const before = await readFile(path, "utf8");
    expect(await eraseFromOutbox(path, "shop", "u-1")).toBe(0);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("redacts a digest in Chinese, and one whose only listed user it was", async () => {
    await writeDigest([vip("u-1", 0.9), vip("u-2", 0.8)], "zh-CN");
    await writeDigest([vip("u-1", 0.9)]);
    expect(await eraseFromOutbox(path, "shop", "u-1")).toBe(2);
    const [chinese, alone] = await lines();
    expect(String(chinese?.body)).toMatch(/\n {2}1 \| u-2 +\| shop /);
    expect(topUsersOf(chinese).map((user) => user.userId)).toEqual(["u-2"]);
    expect(JSON.stringify(alone)).not.toMatch(/u-1(?!\d)/);
    expect(String(alone?.body)).not.toMatch(/\| u-1 /);
    expect(topUsersOf(alone)).toEqual([]);
  });

  it("counts nothing when there is no outbox yet", async () => {
    expect(await eraseFromOutbox(join(dir, "none.jsonl"), "shop", "u-1")).toBe(0);
  });
});
