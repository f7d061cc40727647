import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { marketingNotifierFor } from "../../lambdas/adapters/marketing-notifier-for.js";
import { OutboxMarketingNotifier } from "../../lambdas/adapters/outbox-marketing-notifier.js";
import { SnsMarketingNotifier } from "../../lambdas/adapters/sns-marketing-notifier.js";
import { alertFor } from "../../lambdas/domain/marketing.js";
import { ENV } from "../../lambdas/shared/env-names.js";

const alert = alertFor({
  appId: "shop",
  userId: "u-1",
  valueMinor: 720_000,
  currency: "CNY",
  tier: "critical",
  score: 0.93,
  lifecycleStage: "mature",
  reasons: [],
  warningId: "w-1",
  runId: "r-1",
  asOf: "2026-12-25T00:00:00.000Z",
});

let dir: string | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("OutboxMarketingNotifier", () => {
  it("appends a marketing line next to the channel senders' lines", async () => {
    dir = await mkdtemp(join(tmpdir(), "marketing-outbox-"));
    const path = join(dir, "outbox.jsonl");
    const existing = { id: "x", channel: "email", userId: "u-2", body: "hi" };
    await writeFile(path, `${JSON.stringify(existing)}\n`);
    const at = new Date("2026-12-25T01:00:00.000Z");
    await new OutboxMarketingNotifier(path, () => at).notify(alert);
    const lines = (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual(existing);
    expect(lines[1]).toEqual({
      id: expect.any(String),
      at: "2026-12-25T01:00:00.000Z",
      kind: "marketing",
      appId: "shop",
      userId: "u-1",
      subject: alert.subject,
      body: alert.body,
      attributes: alert.attributes,
    });
    expect(lines[1]?.channel).toBeUndefined();
  });
});

describe("marketingNotifierFor", () => {
  it("writes to the outbox in local mode and publishes to the marketing topic on AWS", () => {
    vi.stubEnv(ENV.channelProvider, "outbox");
    vi.stubEnv(ENV.outboxPath, "/tmp/outbox.jsonl");
    expect(marketingNotifierFor()).toBeInstanceOf(OutboxMarketingNotifier);
    vi.stubEnv(ENV.channelProvider, "aws");
    vi.stubEnv(ENV.marketingTopicArn, "arn:aws:sns:eu-central-1:123456789012:marketing");
    expect(marketingNotifierFor()).toBeInstanceOf(SnsMarketingNotifier);
    vi.stubEnv(ENV.channelProvider, "carrier-pigeon");
    expect(() => marketingNotifierFor()).toThrow(/must be "aws" or "outbox"/);
  });
});
