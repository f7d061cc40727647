import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { userPartitionKey } from "../domain/user-key.js";

const BATCH_WRITE_LIMIT = 25;

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
