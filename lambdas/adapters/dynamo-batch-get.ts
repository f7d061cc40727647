import { BatchGetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** DynamoDB takes at most 100 keys per BatchGetItem. */
const MAX_BATCH_GET_KEYS = 100;
const MAX_ATTEMPTS = 8;

/**
 * Reads every key, strongly consistent, in requests of 100, retrying the keys DynamoDB hands
 * back unprocessed (throttling is not an error in BatchGetItem) with backoff.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  what: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += MAX_BATCH_GET_KEYS) {
    let request = keys.slice(start, start + MAX_BATCH_GET_KEYS);
    for (let attempt = 0; request.length > 0; attempt += 1) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`${what} kept being throttled`);
      if (attempt > 0) {
        const ms = Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, ms));
      }
      const result = await client.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: [...request], ConsistentRead: true } },
        }),
      );
      items.push(...(result.Responses?.[tableName] ?? []));
      request = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return items;
}
