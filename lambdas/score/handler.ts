import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoFeatureStore } from "../adapters/dynamo-feature-store.js";
import { DynamoLedger } from "../adapters/dynamo-ledger.js";
import { DynamoModelStore } from "../adapters/dynamo-model-store.js";
import { DynamoPromotionStore } from "../adapters/dynamo-promotion-store.js";
import { marketingNotifierFor } from "../adapters/marketing-notifier-for.js";
import { SqsMessageQueue } from "../adapters/sqs-queue.js";
import type { Warning } from "../domain/retention.js";
import type { ThresholdTable } from "../domain/risk-tiers.js";
import { scoringJobSchema } from "../domain/scoring-run.js";
import { dynamo, sqs } from "../shared/clients.js";
import {
  currencyTableFromEnv,
  promotionsFromEnv,
  requireEnv,
  scoringOptionsFromEnv,
} from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { parseRecord, processBatch } from "../shared/sqs-batch.js";
import { appScoringOptions } from "../use-cases/app-scoring-options.js";
import { DIGEST_LEASE_MS, publishRunDigest } from "../use-cases/publish-run-digest.js";
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
const highValue = { currency: currencyTableFromEnv().base };
const marketing = marketingNotifierFor();

export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processBatch(event, context, async (record) => {
    const job = parseRecord(record, scoringJobSchema);
    if (await ledger.segmentDone(job.runId, job.segment)) {
      // A redelivered segment: scored to the end before, so only the digest step is left.
      logger.info("segment already scored", { runId: job.runId, segment: job.segment });
    } else {
      const base = job.thresholds
        ? { ...scoring, tiers: job.thresholds as ThresholdTable }
        : scoring;
      const summary = await scoreSegment(
        job,
        profiles,
        warnings,
        (appId) => appScoringOptions(base, sources, appId),
        Date.now,
        highValue,
      );
      await ledger.recordSegment(job.runId, job.segment, summary);
      const { histograms: _histograms, topHighValue: _top, ...loggable } = summary;
      logger.info("segment scored", { runId: job.runId, segment: job.segment, ...loggable });
    }
    // Once every segment is recorded: the run's marketing digest, once. A failed publish fails
    // this record, and its redelivery (which skips the scoring above) tries again.
    const digest = await publishRunDigest(job.runId, {
      ledger,
      notifier: marketing,
      // The claim outlives this invocation, never the queue's visibility timeout.
      leaseMs: (context?.getRemainingTimeInMillis() ?? DIGEST_LEASE_MS) + 10_000,
      onMarkFailure: (runId, error) =>
        logger.warn("digest published but not marked", { runId, reason: String(error) }),
    });
    if (digest === "published") logger.info("marketing digest published", { runId: job.runId });
  });
