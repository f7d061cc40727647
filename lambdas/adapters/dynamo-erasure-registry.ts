import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { erasureKey } from "../domain/erasure.js";
import type { ErasureRegistry } from "../ports.js";
import { batchGetAll } from "./dynamo-batch-get.js";

const SK = "ERASED";
/** Longer than any queue keeps a message (14 days), so every leftover meets its tombstone. */
const TOMBSTONE_DAYS = 30;

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
    const keys = [...byKey.keys()].map((pk) => ({ pk, sk: SK }));
    for (const item of await batchGetAll(this.client, this.tableName, keys, "erasure lookups")) {
      const user = byKey.get(String(item.pk));
      if (user) found.set(`${user.appId}\u0000${user.userId}`, String(item.erasedAt));
    }
    return found;
  }
}
