import { type CurrencyTable, toBaseMinor } from "./currency.js";
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
  readonly baseAmountMinor?: number;
}

export interface ClassifiedBatch {
  readonly accepted: readonly AcceptedEvent[];
  /** Events whose `eventId` already appeared earlier in the same batch: counted once. */
  readonly duplicates: number;
  readonly rejected: readonly RejectedEvent[];
}

export interface IngestRules {
  readonly now: Date;
  /** Events before this instant are refused (a typo'd year, a replay of the wrong file). */
  readonly horizon: Date;
  readonly currencies: CurrencyTable;
}

function eventIdOf(raw: unknown): string | null {
  if (typeof raw === "object" && raw !== null && "eventId" in raw) {
    const id = (raw as { eventId: unknown }).eventId;
    // Echo only what could be an ID: a megabyte "eventId" is not repeated back.
    return typeof id === "string" && id.length <= 128 ? id : null;
  }
  return null;
}

type Checked = { errors: FieldError[] } | { baseAmountMinor?: number };

/** Rules one event must meet beyond its shape: time window and a known currency. */
function checkEvent(event: BehaviourEvent, rules: IngestRules): Checked {
  const at = Date.parse(event.occurredAt);
  if (at > rules.now.getTime() + MAX_FUTURE_SKEW_MS) {
    return { errors: [{ field: "occurredAt", message: "is more than 5 minutes in the future" }] };
  }
  if (at < rules.horizon.getTime()) {
    return {
      errors: [
        { field: "occurredAt", message: `is before the horizon ${rules.horizon.toISOString()}` },
      ],
    };
  }
  if (event.type !== "purchase" && event.type !== "refund" && event.type !== "return") return {};
  const { amount, currency } = event.properties as { amount: number; currency?: string };
  const code = currency ?? rules.currencies.base;
  const baseAmountMinor = toBaseMinor(amount, code, rules.currencies);
  if (baseAmountMinor === undefined) {
    return {
      errors: [
        { field: "properties.currency", message: `no exchange rate is configured for ${code}` },
      ],
    };
  }
  if (!Number.isSafeInteger(baseAmountMinor)) {
    // Past 2^53 minor units sums stop being exact: no real order is that large.
    return {
      errors: [{ field: "properties.amount", message: "is too large to be a real amount" }],
    };
  }
  return { baseAmountMinor };
}

/**
 * Splits a batch into accepted, duplicate and rejected events. Each event stands alone: one bad
 * event never sinks the others, and each rejection says which event and which field.
 */
export function classifyBatch(rawEvents: readonly unknown[], rules: IngestRules): ClassifiedBatch {
  const accepted: AcceptedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Map<string, string>();
  let duplicates = 0;

  rawEvents.forEach((raw, index) => {
    const parsed = behaviourEventSchema.safeParse(raw);
    if (!parsed.success) {
      rejected.push({ index, eventId: eventIdOf(raw), errors: fieldErrors(parsed.error) });
      return;
    }
    const event = parsed.data;
    const checked = checkEvent(event, rules);
    if ("errors" in checked) {
      rejected.push({ index, eventId: event.eventId, errors: checked.errors });
      return;
    }
    const content = JSON.stringify(event);
    const earlier = seen.get(event.eventId);
    if (earlier === content) {
      duplicates += 1;
      return;
    }
    if (earlier !== undefined) {
      // The same idempotency key for a different event is a client bug, not a retry.
      rejected.push({
        index,
        eventId: event.eventId,
        errors: [
          { field: "eventId", message: "was already used in this batch for a different event" },
        ],
      });
      return;
    }
    seen.set(event.eventId, content);
    accepted.push({ index, event, ...checked });
  });

  return { accepted, duplicates, rejected };
}
