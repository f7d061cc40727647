/**
 * One SQS event-source mapping: receives batches from a queue, hands them to a handler as an
 * `SQSEvent`, and deletes what the handler did not report as failed. Failed messages stay in the
 * queue, reappear after its visibility timeout and, past `maxReceiveCount`, SQS (fauxqs) moves
 * them to the DLQ — the poller does nothing special for that, just as Lambda does not.
 *
 * Unlike AWS, which scales pollers with the backlog, each queue gets one poller that runs one
 * batch at a time: enough for a laptop, and it keeps "idle" easy to tell.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { errorMessage } from "../errors.js";
import type { LocalLogger } from "../log.js";
import { interpretBatchResponse } from "./batch-response.js";
import { toSqsEvent } from "./lambda-records.js";

/** SQS returns at most 10 messages per receive. */
const MAX_PER_RECEIVE = 10;
/** Short long-polls, so a stop never waits more than about a second. */
const DEFAULT_WAIT_SECONDS = 1;
const WINDOW_POLL_MS = 50;
const ERROR_BACKOFF_MS = 1_000;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Lambda's `eventSourceARN`; read from the queue when not given. */
  readonly queueArn?: string;
  /** Name used in log lines. */
  readonly name?: string;
  readonly region?: string;
  readonly batchSize: number;
  /** Lambda's MaximumBatchingWindowInSeconds: 0 delivers what the first receive got. */
  readonly windowSeconds: number;
  /** How long a failed message stays invisible before SQS offers it again (for idle checks). */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Offer a failed message again after this many seconds instead of the queue's visibility
   * timeout (minutes on the sender queues): lets a test see a poison message reach its DLQ
   * after maxReceiveCount deliveries without waiting a quarter of an hour. Unset on `start`.
   */
  readonly retryAfterSeconds?: number;
  readonly waitTimeSeconds?: number;
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  readonly logger?: LocalLogger;
}

export interface Poller {
  start(): void;
  /** Stops receiving; resolves once the batch in hand (if any) is finished. */
  stop(): Promise<void>;
  /** True from the moment a receive returned messages until their batch is settled. */
  readonly busy: boolean;
  /**
   * Receipt handles of messages this poller gave back to the queue (failed), still waiting out
   * their visibility timeout. An in-flight message not in this set was received by somebody and
   * not settled yet, so the system is not idle.
   */
  awaitingRetry(): ReadonlySet<string>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createPoller(options: PollerOptions): Poller {
  const name = options.name ?? options.queueUrl.split("/").at(-1) ?? "queue";
  const region = options.region ?? "us-east-1";
  const waitTimeSeconds = options.waitTimeSeconds ?? DEFAULT_WAIT_SECONDS;
  const logger = options.logger;
  const retrying = new Map<string, number>(); // receipt handle → when it becomes visible again
  let queueArn = options.queueArn;
  let running = false;
  let busy = false;
  let loop: Promise<void> | undefined;

  async function receive(max: number, wait: number): Promise<Message[]> {
    const result = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_PER_RECEIVE, max),
        WaitTimeSeconds: wait,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return result.Messages ?? [];
  }

  /** Fills a batch like an event-source mapping: up to batchSize, or until the window closes. */
  async function collectBatch(): Promise<Message[]> {
    const first = await receive(options.batchSize, waitTimeSeconds);
    if (first.length === 0) {
      // Without a long poll an empty queue would be polled in a tight loop.
      if (waitTimeSeconds === 0) await sleep(WINDOW_POLL_MS);
      return first;
    }
    busy = true;
    const batch = [...first];
    const windowEnds = Date.now() + options.windowSeconds * 1000;
    while (running && batch.length < options.batchSize && Date.now() < windowEnds) {
      const more = await receive(options.batchSize - batch.length, 0);
      if (more.length > 0) batch.push(...more);
      else await sleep(Math.min(WINDOW_POLL_MS, Math.max(0, windowEnds - Date.now())));
    }
    return batch;
  }

  async function deleteMessages(messages: readonly Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += MAX_PER_RECEIVE) {
      const chunk = messages.slice(start, start + MAX_PER_RECEIVE);
      const result = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      for (const failure of result.Failed ?? []) {
        logger?.warn("could not delete a processed message; it will be delivered again", {
          queue: name,
          code: failure.Code,
        });
      }
    }
  }

  async function markRetrying(messages: readonly Message[]): Promise<void> {
    const retryAfter = options.retryAfterSeconds ?? options.visibilityTimeoutSeconds ?? 30;
    const visibleAgainAt = Date.now() + retryAfter * 1000;
    for (const message of messages) {
      if (message.ReceiptHandle) retrying.set(message.ReceiptHandle, visibleAgainAt);
    }
    if (options.retryAfterSeconds === undefined) return;
    for (let start = 0; start < messages.length; start += MAX_PER_RECEIVE) {
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: messages.slice(start, start + MAX_PER_RECEIVE).map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: options.retryAfterSeconds,
          })),
        }),
      );
    }
  }

  async function settle(batch: readonly Message[], arn: string): Promise<void> {
    const ids = batch.map((message) => message.MessageId ?? "");
    let response: unknown;
    try {
      response = await options.invoke(toSqsEvent(batch, arn, region));
    } catch (error) {
      // A thrown error fails the whole batch: nothing is deleted, everything comes back.
      // Ids and receive counts only: bodies carry personal data.
      logger?.warn("batch failed; every message will be retried", {
        queue: name,
        messages: batch.length,
        error: errorMessage(error),
        receiveCounts: batch.map((message) => message.Attributes?.ApproximateReceiveCount),
      });
      await markRetrying(batch);
      return;
    }
    const outcome = interpretBatchResponse(response, ids);
    if (outcome.kind === "all-failed") {
      logger?.warn("batch response not understood; every message will be retried", {
        queue: name,
        reason: outcome.reason,
      });
      await markRetrying(batch);
      return;
    }
    const failed = outcome.kind === "partial" ? outcome.failedIds : new Set<string>();
    const succeeded = batch.filter((message) => !failed.has(message.MessageId ?? ""));
    const retried = batch.filter((message) => failed.has(message.MessageId ?? ""));
    if (retried.length > 0) {
      logger?.warn("messages failed and will be retried", {
        queue: name,
        messageIds: retried.map((message) => message.MessageId),
        receiveCounts: retried.map((message) => message.Attributes?.ApproximateReceiveCount),
      });
      await markRetrying(retried);
    }
    await deleteMessages(succeeded);
  }

  async function resolveArn(): Promise<string> {
    if (queueArn) return queueArn;
    const attributes = await options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ["QueueArn"] }),
    );
    queueArn = attributes.Attributes?.QueueArn ?? options.queueUrl;
    return queueArn;
  }

  async function run(): Promise<void> {
    while (running) {
      try {
        const arn = await resolveArn();
        const batch = await collectBatch();
        if (batch.length > 0) await settle(batch, arn);
      } catch (error) {
        if (!running) break;
        logger?.error("poller error; retrying", { queue: name, error: errorMessage(error) });
        await sleep(ERROR_BACKOFF_MS);
      } finally {
        busy = false;
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      await loop;
      loop = undefined;
    },
    get busy() {
      return busy;
    },
    awaitingRetry() {
      const now = Date.now();
      for (const [handle, visibleAgainAt] of retrying) {
        if (visibleAgainAt <= now) retrying.delete(handle);
      }
      return new Set(retrying.keys());
    },
  };
}
