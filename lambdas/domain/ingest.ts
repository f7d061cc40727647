import { type BehaviourEvent, behaviourEventSchema, MAX_FUTURE_SKEW_MS } from "./events.js";
import { type FieldError, fieldErrors } from "./validation.js";

export interface RejectedEvent {
  readonly index: number;
  readonly eventId: string | null;
  readonly errors: readonly FieldError[];
}

export interface AcceptedEvent {
  readonly index: number;
  readonly event: BehaviourEvent;
}

export interface ClassifiedBatch {
  readonly accepted: readonly AcceptedEvent[];
  /** Events whose `eventId` already appeared earlier in the same batch: counted once. */
  readonly duplicates: number;
  readonly rejected: readonly RejectedEvent[];
}

function eventIdOf(raw: unknown): string | null {
  if (typeof raw === "object" && raw !== null && "eventId" in raw) {
    const id = (raw as { eventId: unknown }).eventId;
    return typeof id === "string" ? id : null;
  }
  return null;
}

/**
 * Splits a batch into accepted, duplicate and rejected events. Each event stands alone: one bad
 * event never sinks the others, and each rejection says which event and which field.
 */
export function classifyBatch(rawEvents: readonly unknown[], now: Date): ClassifiedBatch {
  const accepted: AcceptedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const latestAllowed = now.getTime() + MAX_FUTURE_SKEW_MS;

  rawEvents.forEach((raw, index) => {
    const parsed = behaviourEventSchema.safeParse(raw);
    if (!parsed.success) {
      rejected.push({ index, eventId: eventIdOf(raw), errors: fieldErrors(parsed.error) });
      return;
    }
    const event = parsed.data;
    if (Date.parse(event.occurredAt) > latestAllowed) {
      rejected.push({
        index,
        eventId: event.eventId,
        errors: [{ field: "occurredAt", message: "is more than 5 minutes in the future" }],
      });
      return;
    }
    if (seen.has(event.eventId)) {
      duplicates += 1;
      return;
    }
    seen.add(event.eventId);
    accepted.push({ index, event });
  });

  return { accepted, duplicates, rejected };
}
