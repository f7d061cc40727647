import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoActionLedger } from "../adapters/dynamo-action-ledger.js";
import { DynamoContactStore } from "../adapters/dynamo-contact-store.js";
import { DynamoErasureRegistry } from "../adapters/dynamo-erasure-registry.js";
import { marketingNotifierFor } from "../adapters/marketing-notifier-for.js";
import { SnsRetentionPublisher } from "../adapters/sns-retention-publisher.js";
import { warningSchema } from "../domain/retention.js";
import { actionsConfigFromEnv } from "../shared/actions-config.js";
import { dynamo, sns } from "../shared/clients.js";
import { now } from "../shared/clock.js";
import { currencyTableFromEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";
import { planWarning } from "../use-cases/plan-warning.js";

const ledgerTable = requireEnv(ENV.ledgerTable);
const actions = new DynamoActionLedger(dynamo(), ledgerTable, now);
const deps = {
  contacts: new DynamoContactStore(dynamo(), requireEnv(ENV.contactsTable)),
  publisher: new SnsRetentionPublisher(sns(), requireEnv(ENV.retentionTopicArn)),
  actions,
  alerts: actions,
  marketing: marketingNotifierFor(),
  erasures: new DynamoErasureRegistry(dynamo(), ledgerTable),
  policy: actionsConfigFromEnv().policy,
  baseCurrency: currencyTableFromEnv().base,
  now,
};

export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processBatch(event, context, async (record) => {
    const warning = parseRecord(record, warningSchema);
    const outcome = await planWarning(warning, deps);
    logger.info("warning planned", { appId: warning.appId, userId: warning.userId, outcome });
  });
