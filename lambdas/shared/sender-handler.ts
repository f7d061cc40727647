import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { type Channel, functions } from "../../lib/topology.js";
import { DynamoActionLedger } from "../adapters/dynamo-action-ledger.js";
import { DynamoContactStore } from "../adapters/dynamo-contact-store.js";
import { DynamoErasureRegistry } from "../adapters/dynamo-erasure-registry.js";
import { DynamoLedger } from "../adapters/dynamo-ledger.js";
import { providerFor } from "../adapters/providers/provider-for.js";
import { SqsEventQueue } from "../adapters/sqs-queue.js";
import { retentionMessageSchema } from "../domain/retention.js";
import { deliverMessage } from "../use-cases/deliver-message.js";
import { actionsConfigFromEnv } from "./actions-config.js";
import { dynamo, sqs } from "./clients.js";
import { now } from "./clock.js";
import { requireEnv } from "./config.js";
import { ENV } from "./env-names.js";
import { logger } from "./logger.js";
import { PoisonMessageError, parseRecord, processBatch } from "./sqs-batch.js";

/** Lease when the runtime cannot say how long is left (tests, local mode without a context). */
const DEFAULT_LEASE_MS = 60_000;

/** The sms, email and push functions differ only in their channel and provider. */
export function senderHandler(channel: Channel) {
  const contacts = new DynamoContactStore(dynamo(), requireEnv(ENV.contactsTable));
  const ledger = new DynamoLedger(dynamo(), requireEnv(ENV.ledgerTable), now);
  const provider = providerFor(channel);
  const erasures = new DynamoErasureRegistry(dynamo(), requireEnv(ENV.ledgerTable));
  const actionLedger = new DynamoActionLedger(dynamo(), requireEnv(ENV.ledgerTable), now);
  const { quietHours, frequencyCap, templates } = actionsConfigFromEnv();
  const eventsQueueUrl = functions[channel].access.sendsTo?.includes("events")
    ? requireEnv(ENV.eventsQueueUrl)
    : undefined;
  const signals = eventsQueueUrl ? new SqsEventQueue(sqs(), eventsQueueUrl) : undefined;

  return (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
    processBatch(event, context, async (record) => {
      const message = parseRecord(record, retentionMessageSchema);
      if (message.channel !== channel) {
        throw new PoisonMessageError(`a ${message.channel} message reached the ${channel} queue`);
      }
      const outcome = await deliverMessage(message, {
        contacts,
        ledger,
        provider,
        erasures,
        slots: actionLedger,
        deferred: actionLedger,
        rules: { quietHours, frequencyCap, templates },
        now,
        ...(signals ? { signals } : {}),
        onRecordFailure: (sent, error) =>
          logger.error("sent, but the outcome could not be recorded", {
            dedupeKey: sent.dedupeKey,
            reason: error instanceof Error ? error.message : String(error),
          }),
        leaseMs: context?.getRemainingTimeInMillis() ?? DEFAULT_LEASE_MS,
      });
      logger.info("retention message handled", {
        appId: message.appId,
        userId: message.userId,
        channel,
        outcome: typeof outcome === "string" ? outcome : outcome.status,
      });
    });
}
