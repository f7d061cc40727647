import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { type TrackedEvent, trackedEventSchema } from "../domain/events.js";
import { userPartitionKey } from "../domain/user-key.js";
import { dynamo } from "../shared/clients.js";
import { positiveIntEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";

const store = new DynamoFeatureStore(
  dynamo(),
  requireEnv(ENV.usersTable),
  positiveIntEnv(ENV.dedupeTtlDays, 400),
);

/**
 * Groups the batch by user and makes one transactional write per user; every record of a user
 * shares that write's fate, and a record that does not parse fails alone.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  const parsed = new Map<string, TrackedEvent | Error>();
  const byUser = new Map<string, TrackedEvent[]>();
  for (const record of event.Records) {
    try {
      const tracked = parseRecord(record, trackedEventSchema) as TrackedEvent;
      parsed.set(record.messageId, tracked);
      const key = userPartitionKey(tracked.appId, tracked.event.userId);
      byUser.set(key, [...(byUser.get(key) ?? []), tracked]);
    } catch (error) {
      parsed.set(record.messageId, error as Error);
    }
  }

  const writes = new Map<string, Promise<unknown>>();
  const writeFor = (key: string): Promise<unknown> => {
    let write = writes.get(key);
    if (!write) {
      const group = byUser.get(key) ?? [];
      const first = group[0] as TrackedEvent;
      write = store.applyEvents(first.appId, first.event.userId, group);
      writes.set(key, write);
    }
    return write;
  };

  const response = await processBatch(event, context, async (record) => {
    const tracked = parsed.get(record.messageId);
    if (tracked instanceof Error || !tracked) throw tracked ?? new Error("record not parsed");
    await writeFor(userPartitionKey(tracked.appId, tracked.event.userId));
  });
  logger.debug("feature batch done", {
    records: event.Records.length,
    users: byUser.size,
    failed: response.batchItemFailures.length,
  });
  return response;
};
