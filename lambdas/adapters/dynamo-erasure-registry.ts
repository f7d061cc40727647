import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { erasureKey } from "../domain/erasure.js";
import type { ErasureRegistry } from "../ports.js";

const SK = "ERASED";
/** Longer than any queue keeps a message (14 days), so every leftover meets its tombstone. */
const TOMBSTONE_DAYS = 30;
const MAX_BATCH_GET_KEYS = 100;

/** Erasure tombstones in the ledger table, keyed by a hash of the user (no user ID stored). */
export class DynamoErasureRegistry implements ErasureRegistry {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordErasure(appId: string, userId: string, at: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: erasureKey(appId, userId),
          sk: SK,
          erasedAt: at.toISOString(),
          expiresAt: Math.floor(at.getTime() / 1000) + TOMBSTONE_DAYS * 86_400,
        },
      }),
    );
  }

  async erasedAt(
    users: readonly { appId: string; userId: string }[],
  ): Promise<Map<string, string>> {
    const byKey = new Map(users.map((user) => [erasureKey(user.appId, user.userId), user]));
    const found = new Map<string, string>();
    const keys = [...byKey.keys()];
    for (let start = 0; start < keys.length; start += MAX_BATCH_GET_KEYS) {
      let request: Record<string, unknown>[] = keys
        .slice(start, start + MAX_BATCH_GET_KEYS)
        .map((pk) => ({ pk, sk: SK }));
      for (let attempt = 0; request.length > 0; attempt += 1) {
        if (attempt >= 8) throw new Error("erasure lookups kept being throttled");
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: request, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const user = byKey.get(String(item.pk));
          if (user) found.set(`${user.appId}\u0000${user.userId}`, String(item.erasedAt));
        }
        request = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<
          string,
          unknown
        >[];
        if (request.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
    return found;
  }
}
