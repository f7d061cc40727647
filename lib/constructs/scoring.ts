import { Duration } from "aws-cdk-lib";
import type * as events from "aws-cdk-lib/aws-events";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ENV } from "../../lambdas/shared/env-names.js";
import type { StageConfig } from "../config.js";
import { schedules } from "../topology.js";
import { AppFunction } from "./app-function.js";
import type { FeatureStore } from "./feature-store.js";
import { QueueWithDlq } from "./queue-with-dlq.js";
import { ScheduledJob } from "./scheduled-job.js";

export interface ScoringProps {
  readonly config: StageConfig;
  readonly store: FeatureStore;
  /** Where score sends users it found at risk (owned by Actions). */
  readonly warningsQueue: QueueWithDlq;
}

/** A scoring run older than this is stale: the next day's run covers it. */
const SCHEDULE_MAX_EVENT_AGE = Duration.hours(6);

/**
 * The daily scoring run: an EventBridge schedule invokes score-dispatch, which puts one message
 * per scan segment on the scoring queue; score works through a segment and sends the users it
 * finds at risk to the warnings queue.
 *
 * A run that cannot be delivered (EventBridge) or fails every attempt (Lambda asynchronous
 * invocation) lands in the schedule DLQ, with a bounded retry count and event age.
 */
export class Scoring extends Construct {
  readonly scoringQueue: QueueWithDlq;
  readonly scheduleDeadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;
  readonly functions: readonly AppFunction[];

  constructor(scope: Construct, id: string, props: ScoringProps) {
    super(scope, id);
    const { config, store } = props;
    const schedule = schedules.scoring;

    const dispatch = new AppFunction(this, "ScoreDispatch", { name: schedule.target, config });
    const score = new AppFunction(this, "Score", { name: "score", config });
    this.functions = [dispatch, score];
    for (const fn of this.functions) store.bindTables(fn);

    this.scoringQueue = new QueueWithDlq(this, "ScoringQueue", { name: "scoring" });
    this.scoringQueue.bindSender(dispatch);
    this.scoringQueue.attachConsumer(score);
    props.warningsQueue.bindSender(score);

    dispatch.addEnvironment(ENV.scoringSegments, String(config.scoringSegments));
    score.addEnvironment(ENV.scoringSegments, String(config.scoringSegments));
    if (config.rulesConfig) score.addEnvironment(ENV.rulesConfig, config.rulesConfig);
    if (config.riskTiers) {
      // Both: the dispatcher computes a run's boundaries, the segments apply them.
      dispatch.addEnvironment(ENV.riskTiers, config.riskTiers);
      score.addEnvironment(ENV.riskTiers, config.riskTiers);
    }
    if (config.promotions) score.addEnvironment(ENV.promotions, config.promotions);
    score.addEnvironment(ENV.promotionDampingDays, String(config.promotionDampingDays));
    score.addEnvironment(ENV.highValueThreshold, String(config.highValueThreshold));
    // The digest states values in the base currency.
    if (config.currencyTable) score.addEnvironment(ENV.currencyTable, config.currencyTable);

    const job = new ScheduledJob(this, "ScoringSchedule", {
      config,
      schedule,
      target: dispatch,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE,
    });
    this.scheduleDeadLetterQueue = job.deadLetterQueue;
    this.rule = job.rule;
  }
}
