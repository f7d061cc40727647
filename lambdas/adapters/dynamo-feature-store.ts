import {
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { UserProfile } from "../domain/features.js";
import type { RiskAssessment } from "../domain/risk.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { ErasureRegistry, FeatureStore, ProfileScanner, UserEvents } from "../ports.js";
import { conditionally } from "./conditional-write.js";
import { DynamoFeatureWriter, PROFILE_SK, toProfile } from "./dynamo-feature-writer.js";

export { PROFILE_SK } from "./dynamo-feature-writer.js";

/**
 * Users table: one `PROFILE` item per user; dedupe markers live in their own table (see
 * DynamoFeatureWriter for how a batch is applied exactly once).
 */
export class DynamoFeatureStore implements FeatureStore, ProfileScanner {
  private readonly writer: DynamoFeatureWriter | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    writing?: {
      readonly dedupeTable: string;
      readonly dedupeTtlDays: number;
      readonly erasures: ErasureRegistry;
      readonly now?: () => Date;
    },
  ) {
    this.writer = writing
      ? new DynamoFeatureWriter(
          client,
          tableName,
          writing.dedupeTable,
          writing.dedupeTtlDays,
          writing.now ?? (() => new Date()),
          writing.erasures,
        )
      : undefined;
  }

  applyBatch(batch: readonly UserEvents[]) {
    if (!this.writer) throw new Error("this feature store was opened for reading only");
    return this.writer.applyBatch(batch);
  }

  async getProfile(appId: string, userId: string): Promise<UserProfile | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userPartitionKey(appId, userId), sk: PROFILE_SK },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toProfile(result.Item) : undefined;
  }

  async *scanSegment(segment: number, totalSegments: number) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: totalSegments,
          FilterExpression: "sk = :profile",
          ExpressionAttributeValues: { ":profile": PROFILE_SK },
          ExclusiveStartKey: startKey,
        }),
      );
      startKey = page.LastEvaluatedKey;
      yield (page.Items ?? []).map(toProfile);
    } while (startKey);
  }

  /** One app's profiles, for fitting, training and evaluating; a few segments read at once. */
  async *profilesOf(appId: string, totalSegments = 4): AsyncIterable<readonly UserProfile[]> {
    const pages: (readonly UserProfile[])[] = [];
    await Promise.all(
      Array.from({ length: totalSegments }, async (_, segment) => {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new ScanCommand({
              TableName: this.tableName,
              Segment: segment,
              TotalSegments: totalSegments,
              FilterExpression: "sk = :profile AND appId = :app",
              ExpressionAttributeValues: { ":profile": PROFILE_SK, ":app": appId },
              ExclusiveStartKey: startKey,
            }),
          );
          startKey = page.LastEvaluatedKey;
          pages.push((page.Items ?? []).map(toProfile));
        } while (startKey);
      }),
    );
    yield* pages;
  }

  async saveRisk(profile: UserProfile, risk: RiskAssessment): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userPartitionKey(profile.appId, profile.userId), sk: PROFILE_SK },
          UpdateExpression: "SET risk = :risk, version = :next",
          ConditionExpression: "version = :version",
          ExpressionAttributeValues: {
            ":risk": risk,
            ":version": profile.version,
            ":next": profile.version + 1,
          },
        }),
      ),
    );
  }
}
