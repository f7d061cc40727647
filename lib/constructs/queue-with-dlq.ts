import { Duration, Validations } from "aws-cdk-lib";
import { EventSourceMapping } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  DLQ_RETENTION_DAYS,
  type QueueName,
  type QueueSpec,
  queues,
  queueUrlEnv,
  visibilityTimeoutSeconds,
} from "../topology.js";
import type { AppFunction } from "./app-function.js";

export interface QueueWithDlqProps {
  /** Which topology queue this is; batch size, redrive and retention come from there. */
  readonly name: QueueName;
}

/**
 * A topology queue and its dead-letter queue, both encrypted and refusing non-TLS requests.
 * The queue's visibility timeout is the topology's multiple of its consumer's timeout, so a
 * batch still being worked on is never handed to a second poller.
 */
export class QueueWithDlq extends Construct {
  readonly name: QueueName;
  readonly spec: QueueSpec;
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    this.name = props.name;
    this.spec = queues[props.name];

    this.deadLetterQueue = new sqs.Queue(this, "Dlq", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DLQ_RETENTION_DAYS),
    });
    this.queue = new sqs.Queue(this, "Queue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(props.name)),
      retentionPeriod: Duration.days(this.spec.retentionDays),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.spec.maxReceiveCount },
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "Serverless-SQSRedrivePolicy",
      reason: `This is the dead-letter queue of the ${this.name} queue; a DLQ has no DLQ of its own.`,
    });
  }

  /**
   * Delivers this queue's batches to its topology consumer. Partial batch responses are on, so
   * one poison message fails alone and reaches the DLQ after `maxReceiveCount` deliveries.
   */
  attachConsumer(fn: AppFunction): void {
    if (fn.name !== this.spec.consumer) {
      throw new Error(
        `queue "${this.name}" is consumed by "${this.spec.consumer}" in the topology, not "${fn.name}"`,
      );
    }
    const window = this.spec.maxBatchingWindowSeconds;
    const before = new Set(fn.lambda.node.children);
    fn.lambda.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: this.spec.batchSize,
        ...(window > 0 ? { maxBatchingWindow: Duration.seconds(window) } : {}),
        reportBatchItemFailures: true,
        // Without a cap the poller outruns reserved concurrency: throttled batches go back to
        // the queue and each throttle spends one of the message's receives towards the DLQ.
        ...(fn.spec.reservedConcurrency !== undefined
          ? { maxConcurrency: Math.max(2, fn.spec.reservedConcurrency) }
          : {}),
      }),
    );
    for (const child of fn.lambda.node.children) {
      if (before.has(child) || !(child instanceof EventSourceMapping)) continue;
      Validations.of(child).acknowledge({
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event-source mappings take no on-failure destination; failed records return to the " +
          `${this.name} queue and its redrive policy moves them to the DLQ.`,
      });
    }
    fn.acknowledgeNoAsyncDlq(
      `Invoked by the SQS event-source mapping of the ${this.name} queue, never asynchronously; ` +
        "records that keep failing reach that queue's DLQ.",
    );
  }

  /** Lets `fn` send to this queue and tells it the URL, as the topology's access list says. */
  bindSender(fn: AppFunction): void {
    if (!fn.spec.access.sendsTo?.includes(this.name)) {
      throw new Error(
        `function "${fn.name}" does not send to queue "${this.name}" in the topology`,
      );
    }
    const env = queueUrlEnv[this.name];
    if (!env) {
      throw new Error(`queue "${this.name}" has no URL environment variable in the topology`);
    }
    fn.addEnvironment(env, this.queue.queueUrl);
    this.queue.grantSendMessages(fn);
  }
}
