import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoErasureRegistry } from "../adapters/dynamo-erasure-registry.js";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { DynamoModelStore } from "../adapters/dynamo-model-store.js";
import { DynamoPromotionStore } from "../adapters/dynamo-promotion-store.js";
import { SqsMessageQueue } from "../adapters/sqs-queue.js";
import { type TrackedEvent, trackedEventSchema } from "../domain/events.js";
import type { Warning } from "../domain/retention.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { UserBatchOutcome, UserEvents } from "../ports.js";
import { dynamo, sqs } from "../shared/clients.js";
import {
  positiveIntEnv,
  promotionsFromEnv,
  requireEnv,
  scoringOptionsFromEnv,
} from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";
import { cachedAppScoringOptions } from "../use-cases/app-scoring-options.js";
import {
  type ArrivalTrigger,
  REALTIME_TRIGGERS,
  warnOnArrival,
} from "../use-cases/warn-on-arrival.js";

const store = new DynamoFeatureStore(dynamo(), requireEnv(ENV.usersTable), {
  dedupeTable: requireEnv(ENV.dedupeTable),
  dedupeTtlDays: positiveIntEnv(ENV.dedupeTtlDays, 400),
  erasures: new DynamoErasureRegistry(dynamo(), requireEnv(ENV.ledgerTable)),
});
const warnings = new SqsMessageQueue<Warning>(sqs(), requireEnv(ENV.warningsQueueUrl));
const scoringTable = requireEnv(ENV.scoringTable);
/** Models and promotions change rarely; five minutes old is fresh enough for a trigger. */
const scoringFor = cachedAppScoringOptions(
  scoringOptionsFromEnv(),
  {
    models: new DynamoModelStore(dynamo(), scoringTable),
    promotions: new DynamoPromotionStore(dynamo(), scoringTable),
    configured: promotionsFromEnv(),
  },
  5 * 60_000,
);

/** One trigger per user: the latest triggering event of the batch. */
function triggersOf(events: readonly TrackedEvent[]): ArrivalTrigger[] {
  const latest = new Map<string, ArrivalTrigger & { at: string }>();
  for (const { appId, event } of events) {
    if (!REALTIME_TRIGGERS.has(event.type)) continue;
    const key = userPartitionKey(appId, event.userId);
    const current = latest.get(key);
    if (!current || event.occurredAt > current.at) {
      latest.set(key, {
        appId,
        userId: event.userId,
        eventId: event.eventId,
        at: event.occurredAt,
      });
    }
  }
  return [...latest.values()];
}

/** Near-real-time rules: a failure fails the user's records, so the retry warns again. */
async function warnTriggeredUsers(
  valid: readonly TrackedEvent[],
  outcomes: Map<string, UserBatchOutcome>,
): Promise<void> {
  const now = new Date();
  for (const trigger of triggersOf(valid)) {
    const key = userPartitionKey(trigger.appId, trigger.userId);
    const outcome = outcomes.get(key);
    if (!outcome || "error" in outcome) continue;
    try {
      const options = await scoringFor(trigger.appId);
      await warnOnArrival(trigger, { profiles: store, warnings, options, now });
    } catch (error) {
      outcomes.set(key, { error: error as Error });
    }
  }
}

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
    await warnTriggeredUsers(valid, outcomes);
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
