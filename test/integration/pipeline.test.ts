/**
 * The walking skeleton end to end on local mode: real DynamoDB Local, real fauxqs SNS/SQS, the
 * same handlers and topology as on AWS.
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

const DAY_MS = 86_400_000;
// Whole seconds: EventBridge schedule times carry no milliseconds.
const lastActive = new Date(Math.floor(Date.now() / 1000) * 1000 - 60 * 60 * 1000);
const asOf = new Date(lastActive.getTime() + 31 * DAY_MS).toISOString();
// In the experiment's variant group (the control group gets no message), whatever the hashing.
const MAIL_USER = userInGroup("u-mail", DEFAULT_RETENTION_POLICY.experiment, "variant");
const SILENT_USER = userInGroup("u-none", DEFAULT_RETENTION_POLICY.experiment, "variant");

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
type Json = Record<string, any>;

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${local.url}${path}`, {
    method,
    headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function outboxLines(): Promise<Json[]> {
  try {
    const text = await readFile(local.outboxPath, "utf8");
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

/** What went out to users: the outbox without the marketing team's lines. */
async function outbox(): Promise<Json[]> {
  return (await outboxLines()).filter((line) => line.kind !== "marketing");
}

async function digests(): Promise<Json[]> {
  return (await outboxLines()).filter(
    (line) => line.kind === "marketing" && line.attributes?.kind === "digest",
  );
}

function eventsFor(userId: string) {
  return [0, 1, 2].map((i) => ({
    eventId: `${userId}-e${i}`,
    userId,
    type: i === 2 ? "login" : "app_open",
    occurredAt: new Date(lastActive.getTime() - i * DAY_MS).toISOString(),
  }));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-it-"));
  local = await startLocal({ port: 0, dataDir, schedules: false });
});

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("local pipeline", () => {
  it("takes contact details, events, a scoring run 31 days later, and sends one e-mail", async () => {
    const consented = await api("PUT", `/v1/users/${MAIL_USER}/contact`, {
      locale: "en",
      // Early afternoon now: quiet hours would hold the e-mail back at night.
      timezone: zoneWithLocalHour(new Date(), 13),
      channels: {
        email: { address: "mail-user@example.com", consent: { granted: true, source: "signup" } },
      },
    });
    expect(consented.status).toBe(200);
    const silent = await api("PUT", `/v1/users/${SILENT_USER}/contact`, { channels: {} });
    expect(silent.status).toBe(200);

    const posted = await api("POST", "/v1/events", {
      events: [...eventsFor(MAIL_USER), ...eventsFor(SILENT_USER)],
    });
    expect(posted).toEqual({ status: 202, body: { accepted: 6, duplicates: 0, rejected: [] } });
    // The same batch again, as a retrying client would send it: accepted by the API, applied once.
    expect((await api("POST", "/v1/events", { events: eventsFor(MAIL_USER) })).status).toBe(202);
    await local.waitForIdle();

    const before = await api("GET", `/v1/users/${MAIL_USER}`);
    expect(before.body.features).toMatchObject({
      eventCount: 3,
      countsByType: { app_open: 2, login: 1 },
    });
    expect(before.body.risk).toBeNull();
    expect(before.body.indicators).toMatchObject({
      lifecycleStage: "new",
      valueTier: "standard",
      activeDays: { d7: 3, total: 3 },
    });

    const run = (await local.runSchedule("scoring", asOf)) as { status: string };
    expect(run.status).toBe("dispatched");
    await local.waitForIdle();

    for (const userId of [MAIL_USER, SILENT_USER]) {
      const user = await api("GET", `/v1/users/${userId}`);
      // Last app open 31 days before the run, last login 33 days before it.
      expect(user.body.risk).toMatchObject({
        atRisk: true,
        tier: "high",
        score: 0.85,
        reasons: [
          { code: "no_login", severity: "high", params: { days: 33, thresholdDays: 30 } },
          { code: "no_app_open", severity: "medium", params: { days: 31, thresholdDays: 7 } },
        ],
      });
    }
    const sends = await outbox();
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      channel: "email",
      userId: MAIL_USER,
      to: "mail-user@example.com",
    });
    expect(sends[0]?.body).toContain("You have not signed in for 33 days.");
    // The marketing team gets the run's digest, once.
    const [digest, ...more] = await digests();
    expect(more).toEqual([]);
    expect(digest?.attributes).toMatchObject({
      runId: `scoring@${asOf}`,
      scored: 2,
      atRisk: 2,
      high: 2,
      highValueAtRisk: 0,
    });
  });

  it("does not warn again when the same scheduled tick is delivered twice", async () => {
    const again = (await local.runSchedule("scoring", asOf)) as { status: string };
    expect(again.status).toBe("already-dispatched");
    const later = new Date(Date.parse(asOf) + DAY_MS).toISOString();
    expect(((await local.runSchedule("scoring", later)) as { status: string }).status).toBe(
      "dispatched",
    );
    await local.waitForIdle();
    expect(await outbox()).toHaveLength(1);
    // One digest per run: none for the redelivered tick, one for the later run.
    expect((await digests()).map((line) => line.attributes.runId)).toEqual([
      `scoring@${asOf}`,
      `scoring@${later}`,
    ]);
  });

  it("erases everything about a user, outbox lines included", async () => {
    const erased = await api("DELETE", `/v1/users/${MAIL_USER}`);
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({ contact: 1, outboxLines: 1 });
    expect(erased.body.erased.featureRecords).toBe(1);
    expect(erased.body.erased.ledgerEntries).toBeGreaterThanOrEqual(2);
    expect((await api("GET", `/v1/users/${MAIL_USER}`)).status).toBe(404);
    expect(JSON.stringify(await outboxLines())).not.toContain(MAIL_USER);
  });

  it("refuses bad input with reasons and never crashes", async () => {
    const notJson = await fetch(`${local.url}/v1/events`, {
      method: "POST",
      headers: { "x-api-key": local.apiKey },
      body: "{nope",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { message: string }).message).toMatch(/not valid JSON/);
    const noKey = await fetch(`${local.url}/v1/events`, { method: "POST", body: "{}" });
    expect(noKey.status).toBe(401);
    const badContact = await api("PUT", "/v1/users/u-x/contact", {
      timezone: "Nowhere/Land",
      channels: {},
    });
    expect(badContact.status).toBe(400);
    expect(badContact.body.errors).toEqual([expect.objectContaining({ field: "timezone" })]);
    const emailAsId = await api("GET", "/v1/users/ann%40example.com");
    expect(emailAsId.status).toBe(400);
    expect(emailAsId.body.errors).toContainEqual({
      field: "userId",
      message: "must be pseudonymous, not an e-mail address",
    });
    expect((await fetch(`${local.url}/health`)).status).toBe(200);
  });
});
