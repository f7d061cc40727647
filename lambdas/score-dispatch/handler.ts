import type { ScheduledEvent } from "aws-lambda";
import { schedules } from "../../lib/topology.js";
import { DynamoLedger } from "../adapters/dynamo-ledger.js";
import { SqsMessageQueue } from "../adapters/sqs-queue.js";
import { thresholdTable } from "../domain/risk-tiers.js";
import { scoringRunId, segmentJobs } from "../domain/scoring-run.js";
import { dynamo, sqs } from "../shared/clients.js";
import { positiveIntEnv, requireEnv, tierPolicyFromEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import type { ScoringJob } from "../use-cases/score-segment.js";

const ledger = new DynamoLedger(dynamo(), requireEnv(ENV.ledgerTable));
const scoringQueue = new SqsMessageQueue<ScoringJob>(sqs(), requireEnv(ENV.scoringQueueUrl));
const segments = positiveIntEnv(ENV.scoringSegments, 4);

export interface DispatchResult {
  readonly runId: string;
  readonly asOf: string;
  readonly segments: number;
  readonly status: "dispatched" | "already-dispatched";
}

/** Fans a scheduled run out into one scoring message per parallel-scan segment. */
export const handler = async (event: Pick<ScheduledEvent, "time">): Promise<DispatchResult> => {
  const asOf = new Date(event.time);
  if (Number.isNaN(asOf.getTime()))
    throw new Error(`scheduled event has no valid time: ${event.time}`);
  const runId = scoringRunId(schedules.scoring.job, event.time);
  const asOfIso = asOf.toISOString();
  if ((await ledger.beginRun(runId, asOfIso, segments)) === "already-dispatched") {
    logger.info("run already dispatched", { runId });
    return { runId, asOf: asOfIso, segments, status: "already-dispatched" };
  }
  const policy = tierPolicyFromEnv();
  const recent =
    policy.mode === "quantile" ? await ledger.recentHistograms(policy.lookbackRuns) : undefined;
  const thresholds = thresholdTable(policy, recent?.histograms ?? {});
  await scoringQueue.send(segmentJobs(runId, asOfIso, segments, thresholds));
  await ledger.markDispatched(runId);
  logger.info("run dispatched", {
    runId,
    segments,
    tierMode: policy.mode,
    ...(recent ? { quantilesFromRuns: recent.runs } : {}),
  });
  return { runId, asOf: asOfIso, segments, status: "dispatched" };
};
