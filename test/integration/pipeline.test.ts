/**
 * The walking skeleton end to end on local mode: real DynamoDB Local, real fauxqs SNS/SQS, the
 * same handlers and topology as on AWS.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocal } from "../../local/index.js";

type Local = Awaited<ReturnType<typeof startLocal>>;
let local: Local;
let dataDir: string;

const DAY_MS = 86_400_000;
// Whole seconds: EventBridge schedule times carry no milliseconds.
const lastActive = new Date(Math.floor(Date.now() / 1000) * 1000 - 60 * 60 * 1000);
const asOf = new Date(lastActive.getTime() + 31 * DAY_MS).toISOString();

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

async function outbox(): Promise<Json[]> {
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
    const consented = await api("PUT", "/v1/users/u-mail/contact", {
      locale: "en",
      timezone: "Asia/Shanghai",
      channels: {
        email: { address: "mail-user@example.com", consent: { granted: true, source: "signup" } },
      },
    });
    expect(consented.status).toBe(200);
    const silent = await api("PUT", "/v1/users/u-none/contact", { channels: {} });
    expect(silent.status).toBe(200);

    const posted = await api("POST", "/v1/events", {
      events: [...eventsFor("u-mail"), ...eventsFor("u-none")],
    });
    expect(posted).toEqual({ status: 202, body: { accepted: 6, duplicates: 0, rejected: [] } });
    // The same batch again, as a retrying client would send it: accepted by the API, applied once.
    expect((await api("POST", "/v1/events", { events: eventsFor("u-mail") })).status).toBe(202);
    await local.waitForIdle();

    const before = await api("GET", "/v1/users/u-mail");
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

    for (const userId of ["u-mail", "u-none"]) {
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
      userId: "u-mail",
      to: "mail-user@example.com",
    });
    expect(sends[0]?.body).toContain("You have not signed in for 33 days.");
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
  });

  it("erases everything about a user, outbox lines included", async () => {
    const erased = await api("DELETE", "/v1/users/u-mail");
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({ contact: 1, outboxLines: 1 });
    expect(erased.body.erased.featureRecords).toBe(1);
    expect(erased.body.erased.ledgerEntries).toBeGreaterThanOrEqual(2);
    expect((await api("GET", "/v1/users/u-mail")).status).toBe(404);
    expect(JSON.stringify(await outbox())).not.toContain("u-mail");
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
