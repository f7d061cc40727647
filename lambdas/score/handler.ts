import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { DynamoLedger } from "../adapters/dynamo-ledger.js";
import { SqsMessageQueue } from "../adapters/sqs-queue.js";
import type { Warning } from "../domain/retention.js";
import { scoringJobSchema } from "../domain/scoring-run.js";
import { dynamo, sqs } from "../shared/clients.js";
import { requireEnv, scoringOptionsFromEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";
import { scoreSegment } from "../use-cases/score-segment.js";

const profiles = new DynamoFeatureStore(dynamo(), requireEnv(ENV.usersTable));
const ledger = new DynamoLedger(dynamo(), requireEnv(ENV.ledgerTable));
const warnings = new SqsMessageQueue<Warning>(sqs(), requireEnv(ENV.warningsQueueUrl));
const scoring = scoringOptionsFromEnv();

export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processBatch(event, context, async (record) => {
    const job = parseRecord(record, scoringJobSchema);
    const summary = await scoreSegment(job, profiles, warnings, scoring);
    await ledger.recordSegment(job.runId, job.segment, summary);
    logger.info("segment scored", { runId: job.runId, segment: job.segment, ...summary });
  });
