import { Duration, Validations } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { StageConfig } from "../config.js";
import { DLQ_RETENTION_DAYS, type ScheduleSpec } from "../topology.js";
import type { AppFunction } from "./app-function.js";

export interface ScheduledJobProps {
  readonly config: StageConfig;
  readonly schedule: ScheduleSpec;
  readonly target: AppFunction;
  /** A run older than this is stale: the next one covers it. */
  readonly maxEventAge: Duration;
}

/** Retries of a scheduled run, by EventBridge and by Lambda's asynchronous invocation. */
const SCHEDULE_RETRY_ATTEMPTS = 2;

/**
 * An EventBridge schedule invoking one function from the topology's schedules. A run that
 * cannot be delivered (EventBridge) or fails every attempt (Lambda asynchronous invocation)
 * lands in the job's DLQ, with a bounded retry count and event age.
 */
export class ScheduledJob extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { config, schedule, target, maxEventAge } = props;
    target.acknowledgeNoAsyncDlq(
      "Asynchronous failures go to an on-failure destination (the schedule DLQ), the successor " +
        "of the DeadLetterConfig cdk-nag looks for.",
    );
    this.deadLetterQueue = new sqs.Queue(this, "Dlq", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
    });
    const isDlqReason =
      `This queue is itself a dead-letter queue: of the ${schedule.job} schedule's EventBridge ` +
      "target and of its function's asynchronous invocations (cdk-nag only recognises SQS redrive).";
    Validations.of(this.deadLetterQueue).acknowledge(
      { id: "AwsSolutions-SQS3", reason: isDlqReason },
      { id: "Serverless-SQSRedrivePolicy", reason: isDlqReason },
    );
    target.lambda.configureAsyncInvoke({
      retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
      maxEventAge,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    this.rule = new events.Rule(this, "Rule", {
      description: `churnwatch ${config.stage}: ${schedule.job} run`,
      schedule: events.Schedule.expression(schedule.expression),
      targets: [
        new targets.LambdaFunction(target.lambda, {
          retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
          maxEventAge,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
