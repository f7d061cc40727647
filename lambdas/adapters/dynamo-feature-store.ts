import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
  type UserProfile,
} from "../domain/features.js";
import type { RiskAssessment } from "../domain/risk.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { FeatureStore, ProfileScanner } from "../ports.js";

export const PROFILE_SK = "PROFILE";
export const EVENT_SK_PREFIX = "EVENT#";
/** DynamoDB allows 100 items per transaction: one is the profile, the rest dedupe markers. */
const MAX_EVENTS_PER_TRANSACTION = 99;
const MAX_ATTEMPTS = 8;

const DAY_SECONDS = 86_400;

function pause(attempt: number): Promise<void> {
  const ms = Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Users table: one `PROFILE` item per user and one `EVENT#<eventId>` dedupe marker per applied
 * event. Markers and the profile are written in one transaction, so an event is applied exactly
 * when its marker is created: a redelivered or concurrently delivered event finds the marker and
 * is dropped, and a lost race on the profile version is retried on fresh data.
 */
export class DynamoFeatureStore implements FeatureStore, ProfileScanner {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly dedupeTtlDays: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

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

  async applyEvents(appId: string, userId: string, inputs: readonly FeatureInput[]) {
    // A transaction may not touch one item twice, so repeats inside the batch go first.
    const unique = [...new Map(inputs.map((input) => [input.event.eventId, input])).values()];
    let applied = 0;
    let duplicates = inputs.length - unique.length;
    for (let start = 0; start < unique.length; start += MAX_EVENTS_PER_TRANSACTION) {
      const chunk = unique.slice(start, start + MAX_EVENTS_PER_TRANSACTION);
      const result = await this.applyChunk(appId, userId, chunk);
      applied += result.applied;
      duplicates += result.duplicates;
    }
    return { applied, duplicates };
  }

  private async applyChunk(appId: string, userId: string, inputs: readonly FeatureInput[]) {
    const pk = userPartitionKey(appId, userId);
    let pending = [...inputs];
    let duplicates = 0;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      if (pending.length === 0) return { applied: 0, duplicates };
      const current = await this.getProfile(appId, userId);
      const features = applyEvents(current, appId, userId, pending);
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              ...pending.map(({ event }) => ({
                Put: {
                  TableName: this.tableName,
                  Item: {
                    pk,
                    sk: `${EVENT_SK_PREFIX}${event.eventId}`,
                    expiresAt: this.expiry(),
                  },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              })),
              {
                Put: {
                  TableName: this.tableName,
                  Item: this.profileItem(pk, features, current),
                  ...(current
                    ? {
                        ConditionExpression: "version = :version",
                        ExpressionAttributeValues: { ":version": current.version },
                      }
                    : { ConditionExpression: "attribute_not_exists(pk)" }),
                },
              },
            ],
          }),
        );
        return { applied: pending.length, duplicates };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const seenBefore = new Set(
          pending
            .filter((_, index) => reasons[index]?.Code === "ConditionalCheckFailed")
            .map(({ event }) => event.eventId),
        );
        duplicates += seenBefore.size;
        pending = pending.filter(({ event }) => !seenBefore.has(event.eventId));
        // Otherwise the profile moved on under us, or another transaction held an item: retry.
        if (seenBefore.size === 0) await pause(attempt);
      }
    }
    throw new Error(`profile update for ${pk} kept conflicting after ${MAX_ATTEMPTS} attempts`);
  }

  private expiry(): number {
    return Math.floor(this.now().getTime() / 1000) + this.dedupeTtlDays * DAY_SECONDS;
  }

  private profileItem(pk: string, features: UserFeatures, current: UserProfile | undefined) {
    return {
      pk,
      sk: PROFILE_SK,
      ...features,
      ...(current?.risk ? { risk: current.risk } : {}),
      version: (current?.version ?? 0) + 1,
      updatedAt: this.now().toISOString(),
    };
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

  async saveRisk(profile: UserProfile, risk: RiskAssessment): Promise<boolean> {
    try {
      await this.client.send(
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
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function toProfile(item: Record<string, unknown>): UserProfile {
  const { pk: _pk, sk: _sk, updatedAt: _updatedAt, ...profile } = item;
  return profile as unknown as UserProfile;
}
