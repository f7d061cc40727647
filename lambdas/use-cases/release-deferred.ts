import type { DeferredMessages } from "../action-ports.js";
import type { RetentionPublisher } from "../ports.js";

/** Holds handed back per invocation; the next run (minutes later) takes the rest. */
export const RELEASE_BATCH = 500;

export interface ReleaseResult {
  readonly released: number;
  /** Whether holds due by now are left for the next run. */
  readonly more: boolean;
}

/**
 * Hands messages held back by quiet hours to their channel once the hold has run out. Published
 * before the hold is forgotten: a crash in between publishes it again, and the sender's dedupe
 * key sends it once. The sender checks every guard again, so an opt-out during the night wins.
 */
export async function releaseDeferred(deps: {
  readonly deferred: DeferredMessages;
  readonly publisher: RetentionPublisher;
  readonly now: Date;
}): Promise<ReleaseResult> {
  const due = await deps.deferred.due(deps.now, RELEASE_BATCH);
  for (const held of due) {
    await deps.publisher.publish(held.message);
    await deps.deferred.release(held);
  }
  return { released: due.length, more: due.length === RELEASE_BATCH };
}
