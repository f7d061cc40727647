/**
 * A rule one event can trip warns from the features path: an uninstall signal reaches the outbox
 * within seconds, without waiting for the scheduled scoring run.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RETENTION_POLICY } from "../../lambdas/domain/actions/policy.js";
import { startLocal } from "../../local/index.js";
import { userInGroup, zoneWithLocalHour } from "../support/retention-local.js";

type Local = Awaited<ReturnType<typeof startLocal>>;
let local: Local;
let dataDir: string;
// In the experiment's variant group: the control group gets no message by design.
const USER = userInGroup("u-leaving", DEFAULT_RETENTION_POLICY.experiment, "variant");

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Messages to users: the outbox without the marketing team's lines. */
async function outboxLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(local.outboxPath, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.kind !== "marketing");
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-realtime-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("near-real-time warnings", () => {
  it("sends one message within seconds of an uninstall signal, and none for its redelivery", async () => {
    await api("PUT", `/v1/users/${USER}/contact`, {
      locale: "zh-CN",
      // Early afternoon now: in quiet hours (21:00–09:00 local) the message would wait.
      timezone: zoneWithLocalHour(new Date(), 13),
      channels: { sms: { phone: "+8613800138000", consent: { granted: true } } },
    });
    const now = Date.now();
    const events = [
      {
        eventId: "rt-1",
        userId: USER,
        type: "app_open",
        occurredAt: new Date(now - 3_600_000).toISOString(),
      },
      {
        eventId: "rt-2",
        userId: USER,
        type: "uninstall",
        occurredAt: new Date(now).toISOString(),
      },
    ];
    const started = Date.now();
    expect((await api("POST", "/v1/events", { events })).status).toBe(202);
    await local.waitForIdle();
    const sends = await outboxLines();
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ channel: "sms", userId: USER });
    expect(String(sends[0]?.body)).toContain("回复TD退订");
    expect(Date.parse(String(sends[0]?.at)) - started).toBeLessThan(10_000);

    const user = await api("GET", `/v1/users/${USER}`);
    expect(user.body.risk).toMatchObject({
      tier: "critical",
      reasons: [expect.objectContaining({ code: "uninstall_silence" })],
    });

    // The client retries the same batch: nothing new is applied and nobody is warned twice.
    await api("POST", "/v1/events", { events });
    await local.waitForIdle();
    expect(await outboxLines()).toHaveLength(1);
  });
});
