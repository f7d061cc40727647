import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoErasureRegistry } from "../adapters/dynamo-erasure-registry.js";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { type TrackedEvent, trackedEventSchema } from "../domain/events.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { UserBatchOutcome, UserEvents } from "../ports.js";
import { dynamo } from "../shared/clients.js";
import { positiveIntEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";

const store = new DynamoFeatureStore(dynamo(), requireEnv(ENV.usersTable), {
  dedupeTable: requireEnv(ENV.dedupeTable),
  dedupeTtlDays: positiveIntEnv(ENV.dedupeTtlDays, 400),
  erasures: new DynamoErasureRegistry(dynamo(), requireEnv(ENV.ledgerTable)),
});

function groupByUser(events: readonly TrackedEvent[]): UserEvents[] {
  const groups = new Map<string, { appId: string; userId: string; inputs: TrackedEvent[] }>();
  for (const tracked of events) {
    const key = userPartitionKey(tracked.appId, tracked.event.userId);
    const group = groups.get(key) ?? {
      appId: tracked.appId,
      userId: tracked.event.userId,
      inputs: [],
    };
    group.inputs.push(tracked);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * Applies the batch's events with one shared set of transactions for all its users. Every record
 * of a user shares that user's outcome, and a record that does not parse fails alone.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  const parsed = new Map<string, TrackedEvent | Error>();
  for (const record of event.Records) {
    try {
      parsed.set(record.messageId, parseRecord(record, trackedEventSchema) as TrackedEvent);
    } catch (error) {
      parsed.set(record.messageId, error as Error);
    }
  }
  const valid = [...parsed.values()].filter((p): p is TrackedEvent => !(p instanceof Error));
  let outcomes: Map<string, UserBatchOutcome> | Error;
  try {
    outcomes = await store.applyBatch(groupByUser(valid));
  } catch (error) {
    outcomes = error as Error;
  }

  const response = await processBatch(event, context, async (record) => {
    const tracked = parsed.get(record.messageId);
    if (tracked instanceof Error || !tracked) throw tracked ?? new Error("record not parsed");
    if (outcomes instanceof Error) throw outcomes;
    const outcome = outcomes.get(userPartitionKey(tracked.appId, tracked.event.userId));
    if (!outcome || "error" in outcome) throw outcome?.error ?? new Error("user was not applied");
  });
  logger.debug("feature batch done", {
    records: event.Records.length,
    failed: response.batchItemFailures.length,
  });
  return response;
};
