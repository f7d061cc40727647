import type { BehaviourEvent, EventType } from "./events.js";
import type { RiskAssessment } from "./risk.js";

/**
 * The behaviour part of a user's profile. Every field is an order-independent aggregate (min,
 * max, sum), so applying events in any order, or in any grouping into batches, gives the same
 * record; duplicates are kept out before this function by the event dedupe markers.
 */
export interface UserFeatures {
  readonly appId: string;
  readonly userId: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly eventCount: number;
  readonly countsByType: Readonly<Partial<Record<EventType, number>>>;
  readonly lastSeenByType: Readonly<Partial<Record<EventType, string>>>;
}

/** The stored profile: features plus what scoring wrote, with a version for optimistic locking. */
export interface UserProfile extends UserFeatures {
  readonly version: number;
  readonly risk?: RiskAssessment;
}

function toUtcIso(timestamp: string): string {
  return new Date(timestamp).toISOString();
}

function earlier(a: string, b: string): string {
  return a <= b ? a : b;
}

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

export function applyEvents(
  current: UserFeatures | undefined,
  appId: string,
  userId: string,
  events: readonly BehaviourEvent[],
): UserFeatures {
  if (events.length === 0) {
    if (!current) throw new Error("applyEvents needs a profile or at least one event");
    return current;
  }
  const countsByType: Partial<Record<EventType, number>> = { ...current?.countsByType };
  const lastSeenByType: Partial<Record<EventType, string>> = { ...current?.lastSeenByType };
  let firstSeenAt = current?.firstSeenAt;
  let lastSeenAt = current?.lastSeenAt;

  for (const event of events) {
    const at = toUtcIso(event.occurredAt);
    firstSeenAt = firstSeenAt === undefined ? at : earlier(firstSeenAt, at);
    lastSeenAt = lastSeenAt === undefined ? at : later(lastSeenAt, at);
    countsByType[event.type] = (countsByType[event.type] ?? 0) + 1;
    const previous = lastSeenByType[event.type];
    lastSeenByType[event.type] = previous === undefined ? at : later(previous, at);
  }

  return {
    appId,
    userId,
    firstSeenAt: firstSeenAt as string,
    lastSeenAt: lastSeenAt as string,
    eventCount: (current?.eventCount ?? 0) + events.length,
    countsByType,
    lastSeenByType,
  };
}
