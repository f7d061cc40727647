import { Duration, Validations } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ENV } from "../../lambdas/shared/env-names.js";
import type { StageConfig } from "../config.js";
import { DLQ_RETENTION_DAYS, schedules } from "../topology.js";
import { AppFunction } from "./app-function.js";
import type { FeatureStore } from "./feature-store.js";
import { QueueWithDlq } from "./queue-with-dlq.js";

export interface ScoringProps {
  readonly config: StageConfig;
  readonly store: FeatureStore;
  /** Where score sends users it found at risk (owned by Actions). */
  readonly warningsQueue: QueueWithDlq;
}

/** Retries of a scheduled run, by EventBridge and by Lambda's asynchronous invocation. */
const SCHEDULE_RETRY_ATTEMPTS = 2;
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

    dispatch.acknowledgeNoAsyncDlq(
      "Asynchronous failures go to an on-failure destination (the schedule DLQ), the successor " +
        "of the DeadLetterConfig cdk-nag looks for.",
    );

    this.scheduleDeadLetterQueue = new sqs.Queue(this, "ScheduleDlq", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
    });
    const isDlqReason =
      "This queue is itself a dead-letter queue: of the scoring schedule's EventBridge target " +
      "and of score-dispatch's asynchronous invocations (cdk-nag only recognises SQS redrive).";
    Validations.of(this.scheduleDeadLetterQueue).acknowledge(
      { id: "AwsSolutions-SQS3", reason: isDlqReason },
      { id: "Serverless-SQSRedrivePolicy", reason: isDlqReason },
    );

    dispatch.lambda.configureAsyncInvoke({
      retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.scheduleDeadLetterQueue),
    });

    this.rule = new events.Rule(this, "Schedule", {
      description: `churnwatch ${config.stage}: ${schedule.job} run`,
      schedule: events.Schedule.expression(schedule.expression),
      targets: [
        new targets.LambdaFunction(dispatch.lambda, {
          retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
          maxEventAge: SCHEDULE_MAX_EVENT_AGE,
          deadLetterQueue: this.scheduleDeadLetterQueue,
        }),
      ],
    });
  }
}
