import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { DynamoLedger } from "../adapters/dynamo-ledger.js";
import { DynamoModelStore } from "../adapters/dynamo-model-store.js";
import { DynamoPromotionStore } from "../adapters/dynamo-promotion-store.js";
import { SqsMessageQueue } from "../adapters/sqs-queue.js";
import type { Warning } from "../domain/retention.js";
import type { ThresholdTable } from "../domain/risk-tiers.js";
import { scoringJobSchema } from "../domain/scoring-run.js";
import { dynamo, sqs } from "../shared/clients.js";
import { promotionsFromEnv, requireEnv, scoringOptionsFromEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";
import { appScoringOptions } from "../use-cases/app-scoring-options.js";
import { scoreSegment } from "../use-cases/score-segment.js";

const profiles = new DynamoFeatureStore(dynamo(), requireEnv(ENV.usersTable));
const ledger = new DynamoLedger(dynamo(), requireEnv(ENV.ledgerTable));
const warnings = new SqsMessageQueue<Warning>(sqs(), requireEnv(ENV.warningsQueueUrl));
const scoringTable = requireEnv(ENV.scoringTable);
const sources = {
  models: new DynamoModelStore(dynamo(), scoringTable),
  promotions: new DynamoPromotionStore(dynamo(), scoringTable),
  configured: promotionsFromEnv(),
};
const scoring = scoringOptionsFromEnv();

export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processBatch(event, context, async (record) => {
    const job = parseRecord(record, scoringJobSchema);
    if (await ledger.segmentDone(job.runId, job.segment)) {
      // A redelivered segment: scored to the end before, so it changes nothing now.
      logger.info("segment already scored", { runId: job.runId, segment: job.segment });
      return;
    }
    const base = job.thresholds ? { ...scoring, tiers: job.thresholds as ThresholdTable } : scoring;
    const summary = await scoreSegment(job, profiles, warnings, (appId) =>
      appScoringOptions(base, sources, appId),
    );
    await ledger.recordSegment(job.runId, job.segment, summary);
    const { histograms: _histograms, ...loggable } = summary;
    logger.info("segment scored", { runId: job.runId, segment: job.segment, ...loggable });
  });
