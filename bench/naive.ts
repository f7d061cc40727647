/**
 * The naive design the benchmark compares against: one conditional UpdateItem per event on the
 * user's item, which adds to a counter, sets the last-seen time and keeps the event ID in a
 * string set whose membership is the dedupe condition. Each event is its own write request, so an
 * SQS batch of N events costs N writes whatever its shape.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { TrackedEvent } from "../lambdas/domain/events.js";
import { userPartitionKey } from "../lambdas/domain/user-key.js";

export interface NaiveOutcome {
  readonly applied: number;
  readonly duplicates: number;
}

export class NaiveFeatureWriter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Applies a batch the way a per-event consumer would: every event at once, one write each. */
  async applyBatch(batch: readonly TrackedEvent[]): Promise<NaiveOutcome> {
    const results = await Promise.all(batch.map((tracked) => this.applyOne(tracked)));
    const applied = results.filter(Boolean).length;
    return { applied, duplicates: results.length - applied };
  }

  private async applyOne(tracked: TrackedEvent): Promise<boolean> {
    const { event } = tracked;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userPartitionKey(tracked.appId, event.userId) },
          UpdateExpression:
            "ADD eventCount :one, revenueMinor :amount, eventIds :ids SET lastSeenAt = :at, lastType = :type",
          ConditionExpression: "NOT contains(eventIds, :eventId)",
          ExpressionAttributeValues: {
            ":one": 1,
            ":amount": event.type === "purchase" ? (tracked.baseAmountMinor ?? 0) : 0,
            ":ids": new Set([event.eventId]),
            ":eventId": event.eventId,
            ":at": new Date(event.occurredAt).toISOString(),
            ":type": event.type,
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
