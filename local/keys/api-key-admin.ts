/**
 * Creates, lists and revokes API keys in an apiKeys table (DynamoDB Local, or the deployed
 * table with `churnwatch keys --aws`). The table is keyed by the key's hash, so listing and
 * finding a key by its short ID scan it: key tables hold a handful of items per app.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  type ApiKeySummary,
  generateApiKey,
  type ManagedApiKeyRecord,
  newApiKeyRecord,
  summarizeApiKey,
} from "../../lambdas/domain/api-key-issuing.js";
import type { ApiKeyRecord } from "../../lambdas/domain/api-keys.js";

export interface CreatedApiKey {
  /** The key itself: shown once, stored nowhere. */
  readonly key: string;
  readonly summary: ApiKeySummary;
}

export type RevokeResult =
  | { readonly kind: "revoked"; readonly summary: ApiKeySummary }
  | { readonly kind: "already-revoked"; readonly summary: ApiKeySummary }
  | { readonly kind: "not-found" }
  | { readonly kind: "ambiguous"; readonly matches: number }
  | { readonly kind: "refused"; readonly reason: string };

type StoredRecord = ApiKeyRecord & { keyId?: string; revokedAt?: string };

export class ApiKeyAdmin {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly newKey: () => string = () => generateApiKey(),
  ) {}

  async create(appId: string, name: string, now: Date = new Date()): Promise<CreatedApiKey> {
    const key = this.newKey();
    const record: ManagedApiKeyRecord = newApiKeyRecord(key, appId, name, now);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: record,
        // 256 random bits never collide; if a caller's generator does, it must not overwrite.
        ConditionExpression: "attribute_not_exists(keyHash)",
      }),
    );
    return { key, summary: summarizeApiKey(record) };
  }

  async list(appId?: string): Promise<ApiKeySummary[]> {
    const records = await this.scan();
    return records
      .filter((record) => appId === undefined || record.appId === appId)
      .map(summarizeApiKey)
      .sort(
        (a, b) =>
          a.appId.localeCompare(b.appId) ||
          a.createdAt.localeCompare(b.createdAt) ||
          a.keyId.localeCompare(b.keyId),
      );
  }

  /**
   * Marks the key revoked; the authorizer refuses it from then on (on AWS once its cached
   * answer expires). `protectedKeyHash` is a key that must not be revoked this way (the one
   * making the request), so local mode cannot lock its own administrator out.
   */
  async revoke(
    keyId: string,
    now: Date = new Date(),
    protectedKeyHash?: string,
  ): Promise<RevokeResult> {
    const matches = (await this.scan()).filter((record) => summarizeApiKey(record).keyId === keyId);
    const [record] = matches;
    if (!record) return { kind: "not-found" };
    if (matches.length > 1) return { kind: "ambiguous", matches: matches.length };
    if (record.keyHash === protectedKeyHash) {
      return {
        kind: "refused",
        reason: "this is the key the request was made with; revoke it with another key",
      };
    }
    if (record.status === "revoked") {
      return { kind: "already-revoked", summary: summarizeApiKey(record) };
    }
    const revokedAt = now.toISOString();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { keyHash: record.keyHash },
          UpdateExpression: "SET #status = :revoked, revokedAt = :at, keyId = :keyId",
          ConditionExpression: "attribute_exists(keyHash) AND #status = :active",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":revoked": "revoked",
            ":active": "active",
            ":at": revokedAt,
            ":keyId": keyId,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Revoked (or deleted) in the meantime: report what is there now.
      const current = (await this.scan()).find((item) => item.keyHash === record.keyHash);
      return current
        ? { kind: "already-revoked", summary: summarizeApiKey(current) }
        : { kind: "not-found" };
    }
    return {
      kind: "revoked",
      summary: summarizeApiKey({ ...record, status: "revoked", revokedAt }),
    };
  }

  private async scan(): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      records.push(...((page.Items ?? []) as StoredRecord[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }
}
