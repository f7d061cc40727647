/**
 * Ports of the marketing notifications (issue #6): where a digest or an alert goes, and the
 * run ledger's once-per-run claim on the digest.
 */
import type { MarketingNotification } from "./domain/marketing.js";
import type { RunSummary } from "./ports.js";

export interface MarketingNotifier {
  notify(notification: MarketingNotification): Promise<void>;
}

export interface DigestLedger {
  runSummary(runId: string): Promise<RunSummary | undefined>;
  /**
   * Takes the run's digest for this caller: true for exactly one caller per lease. False when
   * the digest went out already, another caller holds an unexpired claim, or the run is unknown.
   * The lease outlives the invocation that took it, so a claimant that died mid-publish hands
   * over to the next redelivery instead of blocking the digest for good.
   */
  claimDigest(runId: string, leaseMs?: number): Promise<boolean>;
  /** Gives a claim back after a failed publish, so a retry can take it at once. */
  releaseDigest(runId: string): Promise<void>;
  /** Marks the digest published: no claim is ever granted again. */
  markDigestPublished(runId: string): Promise<void>;
}
