/**
 * Every guard of the actions path, on local mode with the default policy: each test plants a
 * warning (or a message) on the real queues and checks what reached the outbox and the ledger.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RETENTION_POLICY } from "../../lambdas/domain/actions/policy.js";
import { createSqsClient } from "../../local/aws-clients.js";
import { startLocal } from "../../local/index.js";
import {
  granted,
  type Local,
  messageFor,
  offsetHoursOf,
  retentionHarness,
  userInGroup,
  warningFor,
  zoneWithLocalHour,
} from "../support/retention-local.js";

let local: Local;
let dataDir: string;
const h = retentionHarness(() => local);
const experiment = DEFAULT_RETENTION_POLICY.experiment;
const variant = (prefix: string) => userInGroup(prefix, experiment, "variant");
/** A zone where it is early afternoon now: quiet hours stay out of tests about other guards. */
const daytime = () => zoneWithLocalHour(new Date(), 13);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "churnwatch-guards-"));
  local = await startLocal({ port: 0, dataDir, schedules: false, retryAfterSeconds: 0 });
});

afterAll(async () => {
  h.destroy();
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("retention guards on local mode", () => {
  it("sends nothing to a user who opted out of every channel, and records why", async () => {
    const userId = variant("opted-out");
    await h.api("PUT", `/v1/users/${userId}/contact`, {
      timezone: daytime(),
      channels: {
        email: { address: "o@example.com", consent: { granted: false } },
        sms: { phone: "+8613800000001", consent: { granted: false } },
      },
    });
    await h.warn([warningFor(userId, { tier: "medium" })]);
    await local.waitForIdle();
    expect(await h.sentTo(userId)).toEqual([]);
    const actions = await h.api("GET", "/v1/reports/winback");
    expect(actions.status).toBe(200);
  });

  it("holds a message in quiet hours and sends it at 09:00 local time; an opt-out meanwhile wins", async () => {
    const start = new Date();
    const night = zoneWithLocalHour(start, 2);
    const keeper = variant("night-keeper");
    const quitter = variant("night-quitter");
    for (const [userId, phone] of [
      [keeper, "+8613800000002"],
      [quitter, "+8613800000003"],
    ] as const) {
      await h.api("PUT", `/v1/users/${userId}/contact`, {
        timezone: night,
        channels: { sms: { phone, consent: granted } },
      });
    }
    await h.warn([warningFor(keeper, { tier: "medium" }), warningFor(quitter, { tier: "medium" })]);
    await local.waitForIdle();
    expect(await h.sentTo(keeper)).toEqual([]);
    const [held] = await h.deliveries(keeper);
    expect(held).toMatchObject({ status: "deferred", reason: "quiet_hours" });
    // The user's record shows the decision and the held message.
    const record = await h.api("GET", `/v1/users/${keeper}`);
    expect(record.body.actions).toEqual([
      expect.objectContaining({
        outcome: "published",
        channel: "sms",
        group: "variant",
        deliveries: [expect.objectContaining({ status: "deferred", reason: "quiet_hours" })],
      }),
    ]);

    // 09:00 local on the same local day: the hold's end.
    const offset = offsetHoursOf(night);
    const localNow = new Date(start.getTime() + offset * 3_600_000);
    const nineLocal = Date.UTC(
      localNow.getUTCFullYear(),
      localNow.getUTCMonth(),
      localNow.getUTCDate(),
      9,
    );
    const morning = new Date(nineLocal - offset * 3_600_000);
    expect(String(held?.deferredUntil)).toBe(morning.toISOString());

    // Before 09:00 nothing is released.
    await h.setClock(new Date(morning.getTime() - 60_000));
    await local.runSchedule("release");
    await local.waitForIdle();
    expect(await h.sentTo(keeper)).toEqual([]);

    // One of them opts out during the night.
    await h.api("PUT", `/v1/users/${quitter}/contact`, {
      timezone: night,
      channels: { sms: { phone: "+8613800000003", consent: { granted: false } } },
    });
    await h.setClock(morning);
    await local.runSchedule("release");
    await local.waitForIdle();
    const sent = await h.sentTo(keeper);
    expect(sent).toHaveLength(1);
    const at = new Date(String(sent[0]?.at));
    expect(at.getTime()).toBeGreaterThanOrEqual(morning.getTime());
    expect(at.getTime() - morning.getTime()).toBeLessThan(5 * 60_000);
    expect(new Date(at.getTime() + offset * 3_600_000).getUTCHours()).toBe(9);
    expect(await h.sentTo(quitter)).toEqual([]);
    expect((await h.deliveries(quitter))[0]).toMatchObject({
      status: "suppressed",
      reason: "no_consent",
    });
    await h.resetClock();
  });

  it("sends a message delivered twice by SQS once", async () => {
    const userId = variant("twice");
    await h.api("PUT", `/v1/users/${userId}/contact`, {
      timezone: daytime(),
      channels: { email: { address: "t@example.com", consent: granted } },
    });
    const message = messageFor(userId, "email");
    await h.sendBatch(local.resources.queues.email.url, [message, message]);
    await local.waitForIdle();
    expect(await h.sentTo(userId)).toHaveLength(1);
    await h.sendBatch(local.resources.queues.email.url, [message]);
    await local.waitForIdle();
    expect(await h.sentTo(userId)).toHaveLength(1);
  });

  it("sends nothing to a control-group user and counts them in the win-back report", async () => {
    const userId = userInGroup("control", experiment, "control");
    await h.api("PUT", `/v1/users/${userId}/contact`, {
      timezone: daytime(),
      channels: { email: { address: "c@example.com", consent: granted } },
    });
    const warning = warningFor(userId, { tier: "high" });
    await h.warn([warning]);
    await local.waitForIdle();
    expect(await h.sentTo(userId)).toEqual([]);
    expect(await h.ledgerItem(userId, `ACTION#${warning.warningId}`)).toMatchObject({
      outcome: "control",
      group: "control",
      experimentId: experiment.id,
    });
    const report = await h.api("GET", `/v1/reports/winback?experiment=${experiment.id}`);
    expect(report.status).toBe(200);
    expect(JSON.stringify(report.body)).toContain('"control"');
  });

  it("dead-letters a poison message while the rest of its batch is sent", async () => {
    const users = [variant("batch-a"), variant("batch-b"), variant("batch-c")];
    for (const [index, userId] of users.entries()) {
      await h.api("PUT", `/v1/users/${userId}/contact`, {
        timezone: daytime(),
        channels: { sms: { phone: `+861380000010${index}`, consent: granted } },
      });
    }
    const poison = '{"v":1,"channel":"sms","note":"not a retention message"}';
    await h.sendBatch(local.resources.queues.sms.url, [
      messageFor(users[0] as string, "sms"),
      poison,
      messageFor(users[1] as string, "sms"),
      messageFor(users[2] as string, "sms"),
    ]);
    await local.waitForIdle(60_000);
    for (const userId of users) expect(await h.sentTo(userId)).toHaveLength(1);
    const sqs = createSqsClient(local.endpoints.sqs);
    const dead = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: local.resources.queues.sms.dlqUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    sqs.destroy();
    expect(dead.Messages?.map((message) => message.Body)).toEqual([poison]);
  });

  it("alerts marketing once about a high-value user at critical risk, and only messages a low-value one", async () => {
    const vip = variant("vip");
    const regular = variant("regular");
    for (const [userId, address] of [
      [vip, "vip@example.com"],
      [regular, "regular@example.com"],
    ] as const) {
      await h.api("PUT", `/v1/users/${userId}/contact`, {
        timezone: daytime(),
        channels: { email: { address, consent: granted } },
      });
    }
    const reasons = [
      { code: "uninstall_silence" as const, severity: "critical" as const, params: { hours: 30 } },
    ];
    const vipWarning = warningFor(vip, {
      tier: "critical",
      score: 0.95,
      valueTier: "high",
      valueMinor: 812_000,
      reasons,
    });
    await h.warn([vipWarning, warningFor(regular, { tier: "critical", score: 0.95, reasons })]);
    await local.waitForIdle();
    // Redelivered: still one alert.
    await h.warn([vipWarning]);
    await local.waitForIdle();

    const alerts = (await h.marketing()).filter((line) => JSON.stringify(line).includes(vip));
    expect(alerts).toHaveLength(1);
    expect(JSON.stringify(alerts[0])).toContain("uninstall_silence");
    expect(await h.sentTo(vip)).toEqual([]);

    expect(await h.sentTo(regular)).toHaveLength(1);
    expect((await h.marketing()).filter((line) => JSON.stringify(line).includes(regular))).toEqual(
      [],
    );
  });
});
