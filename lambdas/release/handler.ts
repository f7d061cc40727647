import type { ScheduledEvent } from "aws-lambda";
import { DynamoActionLedger } from "../adapters/dynamo-action-ledger.js";
import { SnsRetentionPublisher } from "../adapters/sns-retention-publisher.js";
import { dynamo, sns } from "../shared/clients.js";
import { now } from "../shared/clock.js";
import { requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { type ReleaseResult, releaseDeferred } from "../use-cases/release-deferred.js";

const deferred = new DynamoActionLedger(dynamo(), requireEnv(ENV.ledgerTable), now);
const publisher = new SnsRetentionPublisher(sns(), requireEnv(ENV.retentionTopicArn));

/**
 * Every few minutes: messages whose quiet hours are over go to their channel. Idempotent by
 * construction (a hold is published, then forgotten; senders dedupe), so EventBridge's
 * at-least-once delivery of the schedule needs no run key.
 */
export const handler = async (event: Pick<ScheduledEvent, "time">): Promise<ReleaseResult> => {
  // The later of the schedule's time and the clock: a late-delivered event still releases
  // everything due by now.
  const scheduled = new Date(event.time);
  const current = now();
  const at = Number.isNaN(scheduled.getTime()) || scheduled < current ? current : scheduled;
  const result = await releaseDeferred({ deferred, publisher, now: at });
  if (result.released > 0) logger.info("deferred messages released", { ...result });
  return result;
};
