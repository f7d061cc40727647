import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { userPartitionKey } from "../domain/user-key.js";
import { HOLD_POINTER_PREFIX } from "./dynamo-action-ledger.js";
import { RUN_INDEX_PK, TOP_LISTS_REMOVED_AT } from "./dynamo-ledger.js";

const BATCH_WRITE_LIMIT = 25;
/** Runs whose lists are read at once while erasing. */
const RUN_READ_CONCURRENCY = 8;

async function queryAll(
  client: DynamoDBDocumentClient,
  input: ConstructorParameters<typeof QueryCommand>[0],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Deletes every item under the user's partition key in a pk+sk table; returns how many. */
export async function deletePartition(
  client: DynamoDBDocumentClient,
  tableName: string,
  appId: string,
  userId: string,
): Promise<number> {
  const pk = userPartitionKey(appId, userId);
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": pk },
        ProjectionExpression: "pk, sk",
        ExclusiveStartKey: startKey,
      }),
    );
    startKey = page.LastEvaluatedKey;
    const keys = page.Items ?? [];
    for (let start = 0; start < keys.length; start += BATCH_WRITE_LIMIT) {
      let requests = keys
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt >= 8) throw new Error(`erasure in ${tableName} kept being throttled`);
        const result = await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
        );
        const left = result.UnprocessedItems?.[tableName] ?? [];
        deleted += requests.length - left.length;
        requests = left as typeof requests;
        if (left.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  } while (startKey);
  return deleted;
}

/** Deletes the user's single item in a pk-only table; 1 when there was one. */
export async function deleteSingleItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  appId: string,
  userId: string,
): Promise<number> {
  const result = await client.send(
    new DeleteCommand({
      TableName: tableName,
      Key: { pk: userPartitionKey(appId, userId) },
      ReturnValues: "ALL_OLD",
    }),
  );
  return result.Attributes ? 1 : 0;
}

/**
 * Deletes the messages held back for the user by quiet hours (ledger `DEFERRED#<hour>` items,
 * filed by hour, not by user), found through their `HOLD#<dedupeKey>` pointers in the user's
 * partition. Call it before deleting the partition, which takes the pointers with it. Returns
 * how many holds it deleted.
 */
export async function deleteHeldMessages(
  client: DynamoDBDocumentClient,
  tableName: string,
  appId: string,
  userId: string,
): Promise<number> {
  const pointers = await queryAll(client, {
    TableName: tableName,
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: {
      ":pk": userPartitionKey(appId, userId),
      ":prefix": HOLD_POINTER_PREFIX,
    },
    ConsistentRead: true,
  });
  let deleted = 0;
  for (const pointer of pointers) {
    const hold = pointer.hold as { pk?: unknown; sk?: unknown } | undefined;
    if (typeof hold?.pk !== "string" || typeof hold.sk !== "string") continue;
    const result = await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { pk: hold.pk, sk: hold.sk },
        ReturnValues: "ALL_OLD",
      }),
    );
    if (result.Attributes) deleted += 1;
  }
  return deleted;
}

interface ListedUser {
  readonly appId?: unknown;
  readonly userId?: unknown;
}

/**
 * Takes the user out of the top high-value lists scoring runs keep for their marketing digest
 * (`topHighValue` on `RUN#<runId>` items). A run drops its lists once its digest is published
 * and marks its `RUNS` entry so (DynamoLedger.markDigestPublished): only the runs without that
 * mark are read — the current one, any whose digest never went out, any whose lists could not
 * be dropped. Returns how many lists named the user.
 */
export async function eraseFromRunLists(
  client: DynamoDBDocumentClient,
  tableName: string,
  appId: string,
  userId: string,
): Promise<number> {
  const entries = await queryAll(client, {
    TableName: tableName,
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": RUN_INDEX_PK },
    ProjectionExpression: "runId, #removed",
    ExpressionAttributeNames: { "#removed": TOP_LISTS_REMOVED_AT },
  });
  const runIds = [
    ...new Set(
      entries
        .filter((entry) => entry[TOP_LISTS_REMOVED_AT] === undefined)
        .map((entry) => entry.runId)
        .filter((runId): runId is string => typeof runId === "string"),
    ),
  ];
  const names = (user: ListedUser) => user.appId === appId && user.userId === userId;
  let rewritten = 0;
  const eraseFromRun = async (runId: string) => {
    const items = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `RUN#${runId}` },
      ProjectionExpression: "pk, sk, topHighValue",
      ConsistentRead: true,
    });
    for (const item of items) {
      const list = item.topHighValue;
      if (!Array.isArray(list) || !list.some((user: ListedUser) => names(user))) continue;
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: "SET topHighValue = :kept",
            // Lists dropped meanwhile (the digest went out) are not brought back.
            ConditionExpression: "attribute_exists(topHighValue)",
            ExpressionAttributeValues: {
              ":kept": list.filter((user: ListedUser) => !names(user)),
            },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      rewritten += 1;
    }
  };
  for (let start = 0; start < runIds.length; start += RUN_READ_CONCURRENCY) {
    await Promise.all(runIds.slice(start, start + RUN_READ_CONCURRENCY).map(eraseFromRun));
  }
  return rewritten;
}
