/**
 * The small interfaces the use cases talk to. AWS adapters implement them in `adapters/`; tests
 * and fault-injection decorators implement them too.
 */
import type { Channel } from "../lib/topology.js";
import type { ApiKeyRecord } from "./domain/api-keys.js";
import type { ContactRecord, UndeliverableReason } from "./domain/contact.js";
import type { TrackedEvent } from "./domain/events.js";
import type { FeatureInput, UserProfile } from "./domain/features.js";
import type { HighValueAtRisk } from "./domain/marketing.js";
import type { ReasonCode } from "./domain/reasons.js";
import type { RetentionMessage, Warning } from "./domain/retention.js";
import type { RiskAssessment } from "./domain/risk.js";
import type { CohortHistograms, RiskTier } from "./domain/risk-tiers.js";
import type { RenderedMessage } from "./domain/templates.js";

export interface ApiKeyStore {
  find(keyHash: string): Promise<ApiKeyRecord | undefined>;
}

export interface EventQueue {
  /** Resolves with the IDs of events that could not be enqueued even after retries. */
  enqueue(events: readonly TrackedEvent[]): Promise<{ readonly failedEventIds: readonly string[] }>;
}

export interface UserEvents {
  readonly appId: string;
  readonly userId: string;
  readonly inputs: readonly FeatureInput[];
}

/** How many of a user's events were new and how many seen before, or why they failed. */
export type UserBatchOutcome =
  | { readonly applied: number; readonly duplicates: number; readonly erased: number }
  | { readonly error: Error };

export interface FeatureStore {
  /**
   * Applies each event at most once, ever. Outcomes are keyed by `userPartitionKey`; one user's
   * failure leaves the others applied.
   */
  applyBatch(batch: readonly UserEvents[]): Promise<Map<string, UserBatchOutcome>>;
  getProfile(appId: string, userId: string): Promise<UserProfile | undefined>;
}

export interface ProfileScanner {
  /** One parallel-scan segment of all profiles, page by page. */
  scanSegment(segment: number, totalSegments: number): AsyncIterable<readonly UserProfile[]>;
  /** Writes risk unless the profile changed since it was read; false when it did. */
  saveRisk(profile: UserProfile, risk: RiskAssessment): Promise<boolean>;
}

export interface ContactStore {
  get(appId: string, userId: string): Promise<ContactRecord | undefined>;
  put(record: ContactRecord): Promise<void>;
  /**
   * Marks the channel undeliverable, only while its address is still `mark.address`: true when
   * marked; false when the record is gone or the channel's address changed meanwhile, so
   * feedback about an old address never blocks a new one. Marking again overwrites the mark.
   */
  markUndeliverable(
    appId: string,
    userId: string,
    channel: Channel,
    mark: { reason: UndeliverableReason; at: string; address: string },
  ): Promise<boolean>;
}

export interface MessageQueue<T> {
  send(messages: readonly T[]): Promise<void>;
}

export interface RetentionPublisher {
  publish(message: RetentionMessage): Promise<void>;
}

export type DeliveryOutcome =
  | { readonly status: "sent"; readonly providerMessageId: string }
  | { readonly status: "suppressed"; readonly reason: string }
  | { readonly status: "failed"; readonly reason: string }
  /** Held back (quiet hours) and handed to its channel again at `until`. */
  | { readonly status: "deferred"; readonly reason: string; readonly until: string };

export interface DeliveryLedger {
  /**
   * Claims a dedupe key before the provider call. "done" when it was already sent or
   * suppressed: the message must not go out again. "in-progress" while another delivery holds
   * an unexpired lease on it: try again later (the lease runs out before SQS redelivers).
   */
  claim(message: RetentionMessage, leaseMs: number): Promise<"claimed" | "done" | "in-progress">;
  record(message: RetentionMessage, outcome: DeliveryOutcome): Promise<void>;
}

export interface ActionLedger {
  recordPlanned(warning: Warning, channel: Channel | null, reason: string): Promise<void>;
}

export interface RunLedger {
  /** Starts a run unless one with this ID already finished dispatching. */
  beginRun(
    runId: string,
    asOf: string,
    segments: number,
  ): Promise<"started" | "already-dispatched">;
  markDispatched(runId: string): Promise<void>;
  /** Whether this (run, segment) was scored to the end already: a redelivery then does nothing. */
  segmentDone(runId: string, segment: number): Promise<boolean>;
  recordSegment(runId: string, segment: number, summary: SegmentSummary): Promise<void>;
  runSummary(runId: string): Promise<RunSummary | undefined>;
  /** Score histograms per cohort of the latest `lookbackRuns` runs whose segments all finished. */
  recentHistograms(lookbackRuns: number): Promise<{ runs: number; histograms: CohortHistograms }>;
}

export interface SegmentSummary {
  readonly scored: number;
  readonly atRisk: number;
  readonly warned: number;
  /** Records this version cannot read at all: counted, never allowed to sink the segment. */
  readonly skipped: number;
  /** Records of an older schema, scored with the fields they have. */
  readonly legacy: number;
  readonly byTier: Readonly<Record<RiskTier, number>>;
  readonly byReason: Readonly<Partial<Record<ReasonCode, number>>>;
  /** High-value users at high or critical risk, all of them. */
  readonly highValueAtRisk: number;
  /** The most urgent of those, at most TOP_HIGH_VALUE (domain/marketing.ts), most urgent first. */
  readonly topHighValue: readonly HighValueAtRisk[];
  readonly histograms: CohortHistograms;
  readonly durationMs: number;
  /** The model versions the segment scored with, e.g. `churn-gbt@3+btyd@2` or `rules-v1`. */
  readonly model: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly asOf: string;
  readonly segments: number;
  readonly segmentsDone: number;
  readonly complete: boolean;
  readonly startedAt: string;
  /** When the last segment finished, once all have. */
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly totals: Omit<SegmentSummary, "histograms" | "durationMs" | "model" | "topHighValue">;
  readonly models: readonly string[];
  /** The segments' top lists merged: the run's most urgent high-value users at risk. */
  readonly topHighValue: readonly HighValueAtRisk[];
}

export interface OutboundMessage {
  readonly channel: Channel;
  readonly to: string;
  readonly appId: string;
  readonly userId: string;
  readonly dedupeKey: string;
  readonly content: RenderedMessage;
}

export interface ChannelProvider {
  send(message: OutboundMessage): Promise<{ readonly providerMessageId: string }>;
}

export interface ErasureReport {
  readonly [store: string]: number;
}

export interface ErasureRegistry {
  recordErasure(appId: string, userId: string, at: Date): Promise<void>;
  /** Erasure times of those users that were erased, keyed `${appId}\u0000${userId}`. */
  erasedAt(users: readonly { appId: string; userId: string }[]): Promise<Map<string, string>>;
}

export interface UserEraser {
  erase(appId: string, userId: string): Promise<ErasureReport>;
}

/** Every profile of one app, page by page: the input of fitting, training and evaluation. */
export interface AppProfiles {
  profilesOf(appId: string): AsyncIterable<readonly UserProfile[]>;
}

/**
 * A provider said the address or device cannot receive anything any more (SNS: endpoint
 * disabled or invalid; SES: address rejected). Not retried: the channel is marked undeliverable.
 */
export class UndeliverableAddressError extends Error {
  override readonly name = "UndeliverableAddressError";
  constructor(
    readonly reason: "bounce" | "complaint" | "invalid_token",
    message: string,
  ) {
    super(message);
  }
}
