import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoContactStore } from "../adapters/dynamo-contact-store.js";
import { DynamoErasureRegistry } from "../adapters/dynamo-erasure-registry.js";
import { DynamoLedger } from "../adapters/dynamo-ledger.js";
import { SnsRetentionPublisher } from "../adapters/sns-retention-publisher.js";
import { parseChannelPreference } from "../domain/contact.js";
import { warningSchema } from "../domain/retention.js";
import { dynamo, sns } from "../shared/clients.js";
import { optionalEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";
import { planWarning } from "../use-cases/plan-warning.js";

const contacts = new DynamoContactStore(dynamo(), requireEnv(ENV.contactsTable));
const ledger = new DynamoLedger(dynamo(), requireEnv(ENV.ledgerTable));
const publisher = new SnsRetentionPublisher(sns(), requireEnv(ENV.retentionTopicArn));
const erasures = new DynamoErasureRegistry(dynamo(), requireEnv(ENV.ledgerTable));
const preference = parseChannelPreference(optionalEnv(ENV.channelPreference) ?? "email,push,sms");

export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processBatch(event, context, async (record) => {
    const warning = parseRecord(record, warningSchema);
    const channel = await planWarning(warning, {
      contacts,
      publisher,
      ledger,
      erasures,
      preference,
      now: new Date(),
    });
    logger.info("warning planned", { appId: warning.appId, userId: warning.userId, channel });
  });
