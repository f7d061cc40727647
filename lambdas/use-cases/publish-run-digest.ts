import { digestFor, type MarketingLocale } from "../domain/marketing.js";
import type { DigestLedger, MarketingNotifier } from "../marketing-ports.js";

/**
 * Default claim lease: the score function's timeout (lib/topology.ts). An invocation cannot
 * outlive it, and it is far shorter than the scoring queue's visibility timeout, so the
 * redelivery that follows a claimant's crash finds the lease expired.
 */
export const DIGEST_LEASE_MS = 300_000;

export interface DigestDeps {
  readonly ledger: DigestLedger;
  readonly notifier: MarketingNotifier;
  readonly locale?: MarketingLocale;
  readonly leaseMs?: number;
  /** The digest went out but could not be marked so; the claim's lease still holds it. */
  readonly onMarkFailure?: (runId: string, error: unknown) => void;
}

export type DigestOutcome = "published" | "incomplete" | "not-claimed" | "unknown-run";

/**
 * Publishes the run's marketing digest once all its segments are recorded, exactly once per run:
 * the segment that finishes last (or, when two finish at once, the one that wins the claim).
 * Call it after every segment is recorded, also for a redelivered segment that was recorded
 * before, so a digest whose publish failed is retried by that segment's redelivery.
 *
 * Claim → notify → mark published. A failed notify releases the claim and rethrows: the segment's
 * message goes back to the queue, its redelivery skips the scoring and tries the digest again.
 */
export async function publishRunDigest(runId: string, deps: DigestDeps): Promise<DigestOutcome> {
  const summary = await deps.ledger.runSummary(runId);
  if (!summary) return "unknown-run";
  if (!summary.complete) return "incomplete";
  if (!(await deps.ledger.claimDigest(runId, deps.leaseMs ?? DIGEST_LEASE_MS))) {
    return "not-claimed";
  }
  try {
    await deps.notifier.notify(digestFor(summary, summary.topHighValue ?? [], deps.locale));
  } catch (error) {
    try {
      await deps.ledger.releaseDigest(runId);
    } catch {
      // The lease runs out instead; the redelivery comes after it has.
    }
    throw error;
  }
  try {
    await deps.ledger.markDigestPublished(runId);
  } catch (error) {
    // Published: failing the segment now would publish a second digest once the lease is out.
    deps.onMarkFailure?.(runId, error);
  }
  return "published";
}
