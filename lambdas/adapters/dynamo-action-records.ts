/**
 * Reads what win-back measurement needs, read-only:
 * - ledger table: one app's `ACTION#<warningId>` items (a parallel, paginated Scan filtered on
 *   appId), then per action its `DELIVERY#<warningId>|…` items (a Query each, a bounded number
 *   at once);
 * - users table: the measured users' `PROFILE` items (BatchGetItem, 100 keys a request).
 * Items are read leniently: a missing nullable field reads as null, and an action item without
 * the fields the report cannot do without is skipped.
 */
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Channel } from "../../lib/topology.js";
import type {
  ActionOutcome,
  ActionRecord,
  DeliveryRecord,
  DeliveryStatus,
  Offer,
} from "../domain/actions/action-record.js";
import type { UserFeatures } from "../domain/features.js";
import { userPartitionKey } from "../domain/user-key.js";
import { actionKey } from "../domain/winback.js";
import type {
  ActionFilter,
  ActionRecordReader,
  ActionRef,
  ProfileReader,
} from "../winback-ports.js";
import { batchGetAll } from "./dynamo-batch-get.js";
import { PROFILE_SK, toProfile } from "./dynamo-feature-writer.js";

const ACTION_PREFIX = "ACTION#";
const DELIVERY_PREFIX = "DELIVERY#";
const CHANNELS: ReadonlySet<string> = new Set<Channel>(["email", "push", "sms"]);
const STATUSES: ReadonlySet<string> = new Set<DeliveryStatus>([
  "sending",
  "sent",
  "suppressed",
  "failed",
  "deferred",
]);
const OUTCOMES: ReadonlySet<string> = new Set<ActionOutcome>([
  "published",
  "control",
  "escalated",
  "no_action",
  "suppressed",
]);

/** Queries of deliveries in flight at once: well inside a table's on-demand read rate. */
export const DELIVERY_QUERY_CONCURRENCY = 16;
/** BatchGetItem requests for profiles in flight at once. */
export const PROFILE_BATCH_CONCURRENCY = 4;
const PROFILE_BATCH_KEYS = 100;

/** Runs `work` over the items with at most `concurrency` running at once, results in order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

function offerOf(value: unknown): Offer | null {
  if (typeof value !== "object" || value === null) return null;
  const { amount, currency } = value as Record<string, unknown>;
  return typeof amount === "number" && Number.isFinite(amount) && typeof currency === "string"
    ? { amount, currency }
    : null;
}

/** An ACTION item as an ActionRecord, or undefined when it lacks what the report needs. */
export function toActionRecord(item: Record<string, unknown>): ActionRecord | undefined {
  const sk = text(item.sk);
  const appId = text(item.appId);
  const userId = text(item.userId);
  const asOf = text(item.asOf);
  const outcome = text(item.outcome);
  if (!sk?.startsWith(ACTION_PREFIX) || !appId || !userId || !asOf) return undefined;
  if (outcome === null || !OUTCOMES.has(outcome)) return undefined;
  const group = text(item.group);
  const channel = text(item.channel);
  return {
    appId,
    userId,
    warningId: text(item.warningId) ?? sk.slice(ACTION_PREFIX.length),
    runId: text(item.runId) ?? "",
    asOf,
    plannedAt: text(item.plannedAt) ?? "",
    tier: item.tier as ActionRecord["tier"],
    score: typeof item.score === "number" ? item.score : 0,
    valueTier: item.valueTier as ActionRecord["valueTier"],
    lifecycleStage: item.lifecycleStage as ActionRecord["lifecycleStage"],
    topReason: (text(item.topReason) as ActionRecord["topReason"]) ?? null,
    ruleId: text(item.ruleId),
    campaign: text(item.campaign),
    experimentId: text(item.experimentId),
    group: group === "control" || group === "variant" ? group : null,
    variant: text(item.variant),
    template: text(item.template),
    offer: offerOf(item.offer),
    channel: channel !== null && CHANNELS.has(channel) ? (channel as Channel) : null,
    outcome: outcome as ActionOutcome,
    reason: text(item.reason),
    escalated: item.escalated === true,
  };
}

/** A DELIVERY item as a DeliveryRecord; channel and warning come from the dedupe key if absent. */
export function toDeliveryRecord(
  item: Record<string, unknown>,
  action: ActionRef,
): DeliveryRecord | undefined {
  const sk = text(item.sk);
  if (!sk?.startsWith(DELIVERY_PREFIX)) return undefined;
  const dedupeKey = text(item.dedupeKey) ?? sk.slice(DELIVERY_PREFIX.length);
  const [keyWarning, keyChannel] = dedupeKey.split("|");
  const channel = text(item.channel) ?? keyChannel ?? null;
  const status = text(item.status);
  if (channel === null || !CHANNELS.has(channel) || status === null || !STATUSES.has(status)) {
    return undefined;
  }
  return {
    appId: action.appId,
    userId: action.userId,
    dedupeKey,
    warningId: text(item.warningId) ?? keyWarning ?? action.warningId,
    channel: channel as Channel,
    status: status as DeliveryStatus,
    completedAt: text(item.completedAt),
    reason: text(item.reason),
    deferredUntil: text(item.deferredUntil),
  };
}

export class DynamoActionRecordReader implements ActionRecordReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly ledgerTable: string,
    private readonly totalSegments = 4,
  ) {}

  async *actionsOf(appId: string, filter: ActionFilter = {}): AsyncIterable<ActionRecord[]> {
    const pages: ActionRecord[][] = [];
    const conditions = ["appId = :app", "begins_with(sk, :action)"];
    const values: Record<string, unknown> = { ":app": appId, ":action": ACTION_PREFIX };
    if (filter.experimentId !== undefined) {
      conditions.push("experimentId = :experiment");
      values[":experiment"] = filter.experimentId;
    }
    await Promise.all(
      Array.from({ length: this.totalSegments }, async (_, segment) => {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new ScanCommand({
              TableName: this.ledgerTable,
              Segment: segment,
              TotalSegments: this.totalSegments,
              FilterExpression: conditions.join(" AND "),
              ExpressionAttributeValues: values,
              ExclusiveStartKey: startKey,
            }),
          );
          startKey = page.LastEvaluatedKey;
          const records: ActionRecord[] = [];
          for (const item of page.Items ?? []) {
            const record = toActionRecord(item);
            if (record) records.push(record);
          }
          if (records.length > 0) pages.push(records);
        } while (startKey);
      }),
    );
    yield* pages;
  }

  async deliveriesOf(
    actions: readonly ActionRef[],
  ): Promise<ReadonlyMap<string, readonly DeliveryRecord[]>> {
    const found = await mapBounded(actions, DELIVERY_QUERY_CONCURRENCY, async (action) => {
      const records: DeliveryRecord[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.ledgerTable,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: {
              ":pk": userPartitionKey(action.appId, action.userId),
              ":prefix": `${DELIVERY_PREFIX}${action.warningId}|`,
            },
            ExclusiveStartKey: startKey,
          }),
        );
        startKey = page.LastEvaluatedKey;
        for (const item of page.Items ?? []) {
          const record = toDeliveryRecord(item, action);
          if (record) records.push(record);
        }
      } while (startKey);
      return [actionKey(action.userId, action.warningId), records] as const;
    });
    return new Map(found);
  }
}

export class DynamoProfileReader implements ProfileReader {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly usersTable: string,
  ) {}

  async profilesOf(
    appId: string,
    userIds: readonly string[],
  ): Promise<ReadonlyMap<string, UserFeatures>> {
    const unique = [...new Set(userIds)];
    const chunks: string[][] = [];
    for (let start = 0; start < unique.length; start += PROFILE_BATCH_KEYS) {
      chunks.push(unique.slice(start, start + PROFILE_BATCH_KEYS));
    }
    const pages = await mapBounded(chunks, PROFILE_BATCH_CONCURRENCY, (chunk) =>
      batchGetAll(
        this.client,
        this.usersTable,
        chunk.map((userId) => ({ pk: userPartitionKey(appId, userId), sk: PROFILE_SK })),
        "reading profiles for the win-back report",
      ),
    );
    // Keyed by the item's key, which names app and user, whatever the attributes say.
    const userOfKey = new Map(unique.map((userId) => [userPartitionKey(appId, userId), userId]));
    const profiles = new Map<string, UserFeatures>();
    for (const item of pages.flat()) {
      const userId = userOfKey.get(String(item.pk));
      if (userId !== undefined) profiles.set(userId, toProfile(item));
    }
    return profiles;
  }
}

/** Both readers on one client: what the reports λ and the local dashboard use. */
export function dynamoWinbackSources(
  client: DynamoDBDocumentClient,
  tables: { readonly usersTable: string; readonly ledgerTable: string },
): { readonly actions: ActionRecordReader; readonly profiles: ProfileReader } {
  return {
    actions: new DynamoActionRecordReader(client, tables.ledgerTable),
    profiles: new DynamoProfileReader(client, tables.usersTable),
  };
}
