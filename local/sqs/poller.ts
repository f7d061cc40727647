/**
 * One SQS event-source mapping: receives batches from a queue, hands them to a handler as an
 * `SQSEvent`, and deletes what the handler did not report as failed. Failed messages stay in the
 * queue, reappear after its visibility timeout and, past `maxReceiveCount`, SQS (fauxqs) moves
 * them to the DLQ — the poller does nothing special for that, just as Lambda does not.
 *
 * AWS scales a mapping's pollers and the function's instances with the backlog; here a queue's
 * poller runs a fixed number of receive/invoke loops (`concurrency`, 1 by default: one batch at
 * a time), like that many concurrent invocations. With an `affinityKey`, no two batches in hand
 * share a key: a received message whose key another batch holds waits in the poller (still in
 * flight in the queue) until that batch is settled, and goes into the next batch that takes the
 * key. For the events queue the key is the user, so concurrent batches never race for a profile
 * (on AWS they may, and the handler copes: here it would cost retries, and one conflict too many
 * sends a message round its visibility timeout). The poller is busy while any loop holds a
 * batch or any message waits.
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

/** SQS returns at most 10 messages per receive, and deletes at most 10 per request. */
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
  /** Batches handled at once, like a mapping's concurrent invocations (default 1). */
  readonly concurrency?: number;
  /**
   * Messages with the same key are never in two batches in hand at once; undefined (for a
   * message or as the option) means no constraint. Only matters with `concurrency` above 1.
   */
  readonly affinityKey?: (message: Message) => string | undefined;
  /**
   * Received messages that may wait for their key, at most (default `concurrency` × batch size);
   * past it, loops stop receiving until batches settle. Messages wait in flight, so this bounds
   * how many the poller keeps from the queue beyond its batches.
   */
  readonly maxWaiting?: number;
  readonly invoke: (event: SQSEvent) => Promise<unknown>;
  readonly logger?: LocalLogger;
}

export interface Poller {
  start(): void;
  /** Stops receiving; resolves once the batches in hand and the waiting messages are settled. */
  stop(): Promise<void>;
  /**
   * True from the moment a receive returned messages until their batch is settled, and while
   * received messages wait for their key.
   */
  readonly busy: boolean;
  /** Batches received and not settled yet (at most `concurrency`). */
  readonly batchesInHand: number;
  /**
   * Receipt handles of messages this poller gave back to the queue (failed), still waiting out
   * their visibility timeout. An in-flight message not in this set was received by somebody and
   * not settled yet, so the system is not idle.
   */
  awaitingRetry(): ReadonlySet<string>;
}

interface Waiting {
  readonly message: Message;
  readonly key: string | undefined;
}

/** One batch being filled: its messages and the keys it holds. */
interface Batch {
  readonly messages: Message[];
  readonly keys: Set<string>;
}

function newBatch(): Batch {
  return { messages: [], keys: new Set() };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createPoller(options: PollerOptions): Poller {
  const name = options.name ?? options.queueUrl.split("/").at(-1) ?? "queue";
  const region = options.region ?? "us-east-1";
  const waitTimeSeconds = options.waitTimeSeconds ?? DEFAULT_WAIT_SECONDS;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`poller concurrency must be a whole number of at least 1: ${concurrency}`);
  }
  const maxWaiting = options.maxWaiting ?? concurrency * options.batchSize;
  const logger = options.logger;
  const retrying = new Map<string, number>(); // receipt handle → when it becomes visible again
  /** Keys held by batches in hand (being filled or handled). */
  const held = new Set<string>();
  /** Received, in flight, not in a batch yet (another batch holds their key), oldest first. */
  let waiting: Waiting[] = [];
  /** Loops sleeping until a batch lets go of its keys (or the poller stops). */
  let wakeUps: (() => void)[] = [];
  let queueArn = options.queueArn;
  let running = false;
  let inHand = 0;
  let loops: Promise<void> | undefined;

  function wakeAll(): void {
    const woken = wakeUps;
    wakeUps = [];
    for (const wake of woken) wake();
  }

  /** Until some batch settles or the poller stops; never longer than a window poll. */
  function untilReleased(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, WINDOW_POLL_MS);
      wakeUps.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  function keyOf(message: Message): string | undefined {
    if (!options.affinityKey) return undefined;
    try {
      return options.affinityKey(message);
    } catch {
      return undefined; // no key: no constraint, the handler sees the message as it is
    }
  }

  /** Whether `batch` may take a message with `key`: free, or already its own. */
  function mayTake(batch: Batch, key: string | undefined): boolean {
    return key === undefined || batch.keys.has(key) || !held.has(key);
  }

  function add(batch: Batch, message: Message, key: string | undefined): void {
    if (key !== undefined && !batch.keys.has(key)) {
      batch.keys.add(key);
      held.add(key);
    }
    // In hand from its first message on, so the poller is busy without a gap.
    if (batch.messages.length === 0) inHand += 1;
    batch.messages.push(message);
  }

  /** The batch is settled (or given up): its keys are free again. */
  function release(batch: Batch): void {
    if (batch.messages.length > 0) inHand -= 1;
    for (const key of batch.keys) held.delete(key);
    if (batch.messages.length > 0) wakeAll();
  }

  /** Moves waiting messages the batch may take into it, oldest first, up to the batch size. */
  function takeWaiting(batch: Batch): void {
    if (waiting.length === 0) return;
    const left: Waiting[] = [];
    for (const entry of waiting) {
      if (batch.messages.length < options.batchSize && mayTake(batch, entry.key)) {
        add(batch, entry.message, entry.key);
      } else {
        left.push(entry);
      }
    }
    waiting = left;
  }

  /**
   * Received messages queue up behind those already waiting and the batch takes what it may,
   * oldest first: one key's messages reach the handler in the order they were received (a
   * message never overtakes an older one of its key that is still waiting).
   */
  function accept(batch: Batch, messages: readonly Message[]): void {
    for (const message of messages) waiting.push({ message, key: keyOf(message) });
    takeWaiting(batch);
  }

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

  /** Receives up to `count` messages, in requests of up to 10 sent at once. */
  async function receiveMany(count: number): Promise<{ messages: Message[]; error?: unknown }> {
    const sizes = Array.from({ length: Math.ceil(count / MAX_PER_RECEIVE) }, (_, index) =>
      Math.min(MAX_PER_RECEIVE, count - index * MAX_PER_RECEIVE),
    );
    const results = await Promise.allSettled(sizes.map((size) => receive(size, 0)));
    const messages: Message[] = [];
    let error: unknown;
    for (const result of results) {
      if (result.status === "fulfilled") messages.push(...result.value);
      else error ??= result.reason;
    }
    return error === undefined ? { messages } : { messages, error };
  }

  /**
   * Starts a batch like an event-source mapping: messages that waited for their key first, else
   * a (long-polling) receive. Empty when there is nothing to take right now.
   */
  async function startBatch(batch: Batch): Promise<void> {
    takeWaiting(batch);
    if (batch.messages.length > 0) return;
    if (!running || waiting.length >= maxWaiting) {
      // Nothing to receive (stopping) or no room to: wait for a batch to let go of its keys.
      if (waiting.length > 0) await untilReleased();
      return;
    }
    const first = await receive(options.batchSize, waitTimeSeconds);
    accept(batch, first);
    // Without a long poll an empty queue would be polled in a tight loop.
    if (first.length === 0 && waitTimeSeconds === 0) await sleep(WINDOW_POLL_MS);
  }

  /**
   * Fills a started batch up to batchSize, or until the window closes. While the queue answers
   * with full receives, the missing messages are asked for at once; once it runs short, one
   * receive at a time (an empty queue is not polled with ten requests every 50 ms).
   */
  async function fillBatch(batch: Batch): Promise<void> {
    const windowEnds = Date.now() + options.windowSeconds * 1000;
    let plenty = batch.messages.length >= MAX_PER_RECEIVE;
    while (running && batch.messages.length < options.batchSize && Date.now() < windowEnds) {
      const before = batch.messages.length;
      takeWaiting(batch);
      const missing = options.batchSize - batch.messages.length;
      if (missing === 0) break;
      if (waiting.length >= maxWaiting) break; // no room to receive more: deliver what we have
      const asked = plenty ? missing : Math.min(missing, MAX_PER_RECEIVE);
      const { messages, error } = await receiveMany(asked);
      plenty = messages.length >= asked;
      accept(batch, messages);
      if (error !== undefined) {
        // What arrived is this batch's: deliver it rather than leave it in flight for a whole
        // visibility timeout because one receive failed.
        logger?.warn("a receive failed while filling a batch; delivering what arrived", {
          queue: name,
          messages: batch.messages.length,
          error: errorMessage(error),
        });
        break;
      }
      if (batch.messages.length === before) {
        await sleep(Math.min(WINDOW_POLL_MS, Math.max(0, windowEnds - Date.now())));
      }
    }
  }

  /** DeleteMessageBatch takes 10 entries: the chunks go at once, the batch settles after all. */
  async function deleteMessages(messages: readonly Message[]): Promise<void> {
    const chunks: Message[][] = [];
    for (let start = 0; start < messages.length; start += MAX_PER_RECEIVE) {
      chunks.push(messages.slice(start, start + MAX_PER_RECEIVE));
    }
    const results = await Promise.allSettled(chunks.map((chunk) => deleteChunk(chunk)));
    const failure = results.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
  }

  async function deleteChunk(chunk: readonly Message[]): Promise<void> {
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

  /** One receive/invoke loop. After a stop it goes on until no message waits any more. */
  async function run(): Promise<void> {
    while (running || waiting.length > 0) {
      const batch = newBatch();
      try {
        const arn = await resolveArn();
        await startBatch(batch);
        if (batch.messages.length === 0) continue;
        await fillBatch(batch);
        await settle(batch.messages, arn);
      } catch (error) {
        if (!running) {
          // Stopping: no retries. Messages still waiting stay in flight, and the queue offers
          // them again after their visibility timeout, as for a poller that died.
          waiting = [];
          break;
        }
        logger?.error("poller error; retrying", { queue: name, error: errorMessage(error) });
        await sleep(ERROR_BACKOFF_MS);
      } finally {
        release(batch);
      }
    }
  }

  return {
    start() {
      if (running || loops) return;
      running = true;
      loops = Promise.all(Array.from({ length: concurrency }, () => run())).then(() => undefined);
    },
    async stop() {
      running = false;
      wakeAll();
      await loops;
      loops = undefined;
    },
    get busy() {
      return inHand > 0 || waiting.length > 0;
    },
    get batchesInHand() {
      return inHand;
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
