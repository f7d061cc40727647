import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { TrackedEvent } from "../domain/events.js";
import type { EventQueue, MessageQueue } from "../ports.js";

const SQS_BATCH_LIMIT = 10;
const ATTEMPTS = 3;

interface Entry {
  readonly key: string;
  readonly body: string;
}

function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
}

/**
 * Sends entries in batches of ten and retries the entries SQS reports as failed (a partial
 * `SendMessageBatch` failure is not an exception). Returns the keys that never got through.
 */
export async function sendInBatches(
  client: SQSClient,
  queueUrl: string,
  entries: readonly Entry[],
): Promise<string[]> {
  const failed: string[] = [];
  for (let start = 0; start < entries.length; start += SQS_BATCH_LIMIT) {
    let pending = entries.slice(start, start + SQS_BATCH_LIMIT);
    for (let attempt = 0; attempt < ATTEMPTS && pending.length > 0; attempt += 1) {
      if (attempt > 0) await pause(attempt);
      try {
        const result = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            // Batch entry IDs only need to be unique within the call; positions are.
            Entries: pending.map((entry, index) => ({
              Id: String(index),
              MessageBody: entry.body,
            })),
          }),
        );
        const failedIndexes = new Set((result.Failed ?? []).map((f) => Number(f.Id)));
        pending = pending.filter((_, index) => failedIndexes.has(index));
      } catch {
        // Throttled or unreachable: every entry of this batch stays pending for the next try.
      }
    }
    failed.push(...pending.map((entry) => entry.key));
  }
  return failed;
}

export class SqsEventQueue implements EventQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(events: readonly TrackedEvent[]) {
    const failedEventIds = await sendInBatches(
      this.client,
      this.queueUrl,
      events.map((tracked) => ({ key: tracked.event.eventId, body: JSON.stringify(tracked) })),
    );
    return { failedEventIds };
  }
}

/** A queue whose messages must all arrive: any that cannot be sent fail the caller. */
export class SqsMessageQueue<T> implements MessageQueue<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: readonly T[]): Promise<void> {
    const failed = await sendInBatches(
      this.client,
      this.queueUrl,
      messages.map((message, index) => ({ key: String(index), body: JSON.stringify(message) })),
    );
    if (failed.length > 0) {
      throw new Error(`${failed.length} of ${messages.length} messages could not be queued`);
    }
  }
}
