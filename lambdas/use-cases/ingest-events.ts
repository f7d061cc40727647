import { classifyBatch, type IngestRules, type RejectedEvent } from "../domain/ingest.js";
import type { EventQueue } from "../ports.js";

export interface IngestResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly RejectedEvent[];
}

/**
 * Accepts what is valid, rejects what is not, and answers only once every accepted event is in
 * the queue. An event that could not be queued is reported as rejected so the client sends it
 * again: nothing valid is silently lost.
 */
export async function ingestEvents(
  rawEvents: readonly unknown[],
  appId: string,
  queue: EventQueue,
  rules: IngestRules,
): Promise<IngestResult> {
  const batch = classifyBatch(rawEvents, rules);
  const receivedAt = rules.now.toISOString();
  const { failedEventIds } = await queue.enqueue(
    batch.accepted.map(({ event, baseAmountMinor }) => ({
      appId,
      receivedAt,
      event,
      ...(baseAmountMinor === undefined ? {} : { baseAmountMinor }),
    })),
  );
  const failed = new Set(failedEventIds);
  const notQueued: RejectedEvent[] = batch.accepted
    .filter(({ event }) => failed.has(event.eventId))
    .map(({ index, event }) => ({
      index,
      eventId: event.eventId,
      errors: [{ field: "(event)", message: "could not be queued, send it again" }],
    }));
  return {
    accepted: batch.accepted.length - notQueued.length,
    duplicates: batch.duplicates,
    rejected: [...batch.rejected, ...notQueued].sort((a, b) => a.index - b.index),
  };
}
