/**
 * Helpers for integration tests of the actions path on local mode: planting warnings and
 * messages on the real queues, reading the outbox and the ledger, and picking time zones and
 * users so a test does not depend on the hour it runs at or on hashing luck.
 */
import { readFile } from "node:fs/promises";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { assignGroup } from "../../lambdas/domain/actions/experiments.js";
import type { ExperimentSpec } from "../../lambdas/domain/actions/policy.js";
import type { RetentionMessage, Warning } from "../../lambdas/domain/retention.js";
import { userPartitionKey } from "../../lambdas/domain/user-key.js";
import { createLocalClients, type LocalClients } from "../../local/aws-clients.js";
import type { startLocal } from "../../local/index.js";
import { LOCAL_APP_ID } from "../../local/provision.js";

export type Local = Awaited<ReturnType<typeof startLocal>>;
export const APP = LOCAL_APP_ID;

export function retentionHarness(getLocal: () => Local) {
  let clients: LocalClients | undefined;
  const aws = () => {
    clients ??= createLocalClients(getLocal().endpoints);
    return clients;
  };

  async function api(method: string, path: string, body?: unknown) {
    const local = getLocal();
    const response = await fetch(`${local.url}${path}`, {
      method,
      headers: { "x-api-key": local.apiKey, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  async function outbox(): Promise<Record<string, unknown>[]> {
    const text = await readFile(getLocal().outboxPath, "utf8").catch(() => "");
    return text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Retention messages (not marketing notifications) that went out to one user. */
  async function sentTo(userId: string) {
    return (await outbox()).filter((line) => line.userId === userId && line.kind !== "marketing");
  }

  async function marketing() {
    return (await outbox()).filter((line) => line.kind === "marketing");
  }

  async function sendBatch(queueUrl: string, bodies: readonly unknown[]) {
    // SQS takes ten per request: sent together so one poll can see them at once.
    const requests = [];
    for (let start = 0; start < bodies.length; start += 10) {
      requests.push(
        aws().sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: bodies.slice(start, start + 10).map((body, index) => ({
              Id: String(index),
              MessageBody: typeof body === "string" ? body : JSON.stringify(body),
            })),
          }),
        ),
      );
    }
    await Promise.all(requests);
  }

  /** Puts warnings on the warnings queue, as scoring or the features path would. */
  async function warn(warnings: readonly Warning[]) {
    await sendBatch(getLocal().resources.queues.warnings.url, warnings);
  }

  async function ledgerItem(userId: string, sk: string) {
    const result = await aws().doc.send(
      new GetCommand({
        TableName: getLocal().resources.tables.ledger,
        Key: { pk: userPartitionKey(APP, userId), sk },
      }),
    );
    return result.Item;
  }

  async function deliveries(userId: string) {
    const result = await aws().doc.send(
      new QueryCommand({
        TableName: getLocal().resources.tables.ledger,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": userPartitionKey(APP, userId), ":prefix": "DELIVERY#" },
      }),
    );
    return result.Items ?? [];
  }

  async function setClock(at: Date) {
    const response = await api("PUT", "/_local/clock", { now: at.toISOString() });
    if (response.status !== 200) throw new Error(`clock: ${JSON.stringify(response.body)}`);
  }

  return {
    api,
    outbox,
    sentTo,
    marketing,
    sendBatch,
    warn,
    ledgerItem,
    deliveries,
    setClock,
    resetClock: () => api("DELETE", "/_local/clock"),
    destroy: () => clients?.destroy(),
  };
}

/** Etc/GMT zone in which `at` falls in local hour `hour` (Etc/GMT-10 is UTC+10). */
export function zoneWithLocalHour(at: Date, hour: number): string {
  for (let offset = -12; offset <= 14; offset += 1) {
    if ((((at.getUTCHours() + offset) % 24) + 24) % 24 === hour) {
      if (offset === 0) return "Etc/GMT";
      return `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
    }
  }
  throw new Error(`no Etc zone has local hour ${hour} at ${at.toISOString()}`);
}

/** The UTC offset in hours of an Etc/GMT zone made by zoneWithLocalHour. */
export function offsetHoursOf(zone: string): number {
  if (zone === "Etc/GMT") return 0;
  const sign = zone.includes("GMT-") ? 1 : -1;
  return sign * Number(zone.split(/GMT[+-]/)[1]);
}

/** A user ID (`prefix-n`) that the experiment puts in the wanted group. */
export function userInGroup(
  prefix: string,
  experiment: ExperimentSpec,
  group: "control" | "variant",
): string {
  for (let n = 0; n < 100_000; n += 1) {
    const userId = `${prefix}-${n}`;
    if (assignGroup(APP, userId, experiment).group === group) return userId;
  }
  throw new Error(`no ${group} user for ${experiment.id}`);
}

export function warningFor(
  userId: string,
  fields: Partial<Warning> & Pick<Warning, "tier">,
): Warning {
  const asOf = fields.asOf ?? new Date().toISOString();
  return {
    v: 1,
    warningId: `test|${APP}|${userId}|${fields.tier}|${Math.random().toString(36).slice(2)}`,
    appId: APP,
    userId,
    runId: "test-run",
    asOf,
    score: 0.8,
    reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
    valueTier: "standard",
    lifecycleStage: "growth",
    ...fields,
  };
}

export function messageFor(
  userId: string,
  channel: RetentionMessage["channel"],
  warningId = `msg|${APP}|${userId}|${Math.random().toString(36).slice(2)}`,
): RetentionMessage {
  return {
    v: 1,
    warningId,
    appId: APP,
    userId,
    channel,
    dedupeKey: `${warningId}|${channel}|step1`,
    reasons: [{ code: "no_login", severity: "high", params: { days: 31, thresholdDays: 30 } }],
    plannedAt: new Date().toISOString(),
    asOf: new Date().toISOString(),
    template: "we_miss_you",
    offer: null,
    campaign: `test-${warningId}`,
    cooldownDays: 0,
  };
}

export const granted = { granted: true } as const;
