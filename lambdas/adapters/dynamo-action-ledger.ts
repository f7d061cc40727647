import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  ActionRecords,
  AlertClaims,
  DeferredMessage,
  DeferredMessages,
  SendSlots,
  SlotState,
} from "../action-ports.js";
import type { ActionRecord } from "../domain/actions/action-record.js";
import type { SendSlot } from "../domain/actions/frequency.js";
import { type RetentionMessage, retentionMessageSchema } from "../domain/retention.js";
import { userPartitionKey } from "../domain/user-key.js";
import { conditionally } from "./conditional-write.js";

const DAY_SECONDS = 86_400;
/** Action records back win-back reports for a year and a bit, like the rest of the ledger. */
const ACTION_TTL_DAYS = 400;
/** A hold outlives any quiet-hours window by far; an unreleased one is swept by TTL. */
const DEFERRED_TTL_DAYS = 4;
/** How far back `due` looks for holds a missed release run left behind. */
const DEFERRED_LOOKBACK_HOURS = 48;
const HOUR_MS = 3_600_000;

/** Holds are filed under the hour they fall due, so a release run reads only the hours it needs. */
function deferredPartition(at: Date): string {
  return `DEFERRED#${at.toISOString().slice(0, 13)}`;
}

/** Where a message held until `until` is stored. */
function holdKey(message: RetentionMessage, until: Date): { pk: string; sk: string } {
  return { pk: deferredPartition(until), sk: `${until.toISOString()}#${message.dedupeKey}` };
}

/** Sort-key prefix of the pointers to a user's holds, in the user's partition. */
export const HOLD_POINTER_PREFIX = "HOLD#";

/**
 * The pointer to a message's hold, in the user's partition: the hold's partition is per hour,
 * not per user, so erasure follows these to find the user's queued messages.
 */
function holdPointerKey(message: RetentionMessage): { pk: string; sk: string } {
  return {
    pk: userPartitionKey(message.appId, message.userId),
    sk: `${HOLD_POINTER_PREFIX}${message.dedupeKey}`,
  };
}

/**
 * The actions path's part of the ledger table. Per user (pk = the user's key): `ACTION#<warningId>`
 * (lambdas/domain/actions/action-record.ts), `SLOTS` the sends the cap counts (versioned),
 * `ALERT#<warningId>` a marketing alert's claim, `HOLD#<dedupeKey>` a pointer `{hold: {pk, sk}}`
 * to the user's held message. Per hour: `DEFERRED#<yyyy-mm-ddThh>` / `<until>#<dedupeKey>`
 * messages held back by quiet hours. IDs only, never addresses.
 */
export class DynamoActionLedger implements ActionRecords, SendSlots, DeferredMessages, AlertClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiry(days: number, from = this.now()): number {
    return Math.floor(from.getTime() / 1000) + days * DAY_SECONDS;
  }

  async hasAction(appId: string, userId: string, warningId: string): Promise<boolean> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userPartitionKey(appId, userId), sk: `ACTION#${warningId}` },
        ProjectionExpression: "pk",
      }),
    );
    return result.Item !== undefined;
  }

  putAction(record: ActionRecord): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...record,
            pk: userPartitionKey(record.appId, record.userId),
            sk: `ACTION#${record.warningId}`,
            expiresAt: this.expiry(ACTION_TTL_DAYS),
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
  }

  async read(appId: string, userId: string): Promise<SlotState> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userPartitionKey(appId, userId), sk: "SLOTS" },
        ConsistentRead: true,
      }),
    );
    const item = result.Item;
    if (!item) return { slots: [], version: 0 };
    return { slots: (item.slots as SendSlot[] | undefined) ?? [], version: Number(item.version) };
  }

  write(
    appId: string,
    userId: string,
    expected: SlotState,
    slots: readonly SendSlot[],
  ): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: userPartitionKey(appId, userId),
            sk: "SLOTS",
            slots: slots.map((slot) => ({ ...slot })),
            version: expected.version + 1,
            expiresAt: this.expiry(ACTION_TTL_DAYS),
          },
          ConditionExpression:
            expected.version === 0 ? "attribute_not_exists(pk)" : "version = :expected",
          ...(expected.version === 0
            ? {}
            : { ExpressionAttributeValues: { ":expected": expected.version } }),
        }),
      ),
    );
  }

  /**
   * The hold and its pointer in the user's partition are written together, so every hold can be
   * found from its user (erasure deletes them). A hold of the same dedupe key under another time
   * is replaced: deleted in the same transaction.
   */
  async defer(message: RetentionMessage, until: Date): Promise<void> {
    const hold = holdKey(message, until);
    const pointer = holdPointerKey(message);
    const previous = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: pointer, ConsistentRead: true }),
    );
    const before = previous.Item?.hold as { pk?: unknown; sk?: unknown } | undefined;
    const replaced =
      typeof before?.pk === "string" &&
      typeof before.sk === "string" &&
      (before.pk !== hold.pk || before.sk !== hold.sk)
        ? { pk: before.pk, sk: before.sk }
        : undefined;
    const expiresAt = this.expiry(DEFERRED_TTL_DAYS, until);
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...hold,
                message: JSON.stringify(message),
                until: until.toISOString(),
                expiresAt,
              },
            },
          },
          { Put: { TableName: this.tableName, Item: { ...pointer, hold, expiresAt } } },
          ...(replaced ? [{ Delete: { TableName: this.tableName, Key: replaced } }] : []),
        ],
      }),
    );
  }

  async due(now: Date, limit: number): Promise<readonly DeferredMessage[]> {
    const found: DeferredMessage[] = [];
    const newest = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    for (let hour = newest - DEFERRED_LOOKBACK_HOURS * HOUR_MS; hour <= newest; hour += HOUR_MS) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: "pk = :pk AND sk <= :latest",
            ExpressionAttributeValues: {
              ":pk": deferredPartition(new Date(hour)),
              // "#" sorts below every character of a dedupe key, "~" above: all holds up to now.
              ":latest": `${now.toISOString()}~`,
            },
            Limit: limit - found.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const parsed = retentionMessageSchema.safeParse(JSON.parse(String(item.message)));
          // A hold this version cannot read is left to its TTL rather than sent malformed.
          if (parsed.success) found.push({ message: parsed.data, until: new Date(item.until) });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey && found.length < limit);
      if (found.length >= limit) break;
    }
    return found;
  }

  /**
   * The hold first, then its pointer: a crash in between leaves a pointer to nothing (harmless),
   * never a hold its user's erasure cannot find. The pointer goes only if it still points here:
   * a newer hold of the same message keeps its own.
   */
  async release(held: DeferredMessage): Promise<void> {
    const hold = holdKey(held.message, held.until);
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: hold }));
    await conditionally(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: holdPointerKey(held.message),
          ConditionExpression: "#hold.pk = :pk AND #hold.sk = :sk",
          ExpressionAttributeNames: { "#hold": "hold" },
          ExpressionAttributeValues: { ":pk": hold.pk, ":sk": hold.sk },
        }),
      ),
    );
  }

  claim(appId: string, userId: string, warningId: string): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: userPartitionKey(appId, userId),
            sk: `ALERT#${warningId}`,
            at: this.now().toISOString(),
            expiresAt: this.expiry(ACTION_TTL_DAYS),
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
  }

  async unclaim(appId: string, userId: string, warningId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: userPartitionKey(appId, userId), sk: `ALERT#${warningId}` },
      }),
    );
  }
}
