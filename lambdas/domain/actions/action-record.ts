/**
 * What the plan step records about each warning it handled, and what a sender records about each
 * message. Win-back measurement reads both back, so these shapes are a contract between the plan
 * step, the senders and the report; change them only with a version.
 *
 * Stored in the ledger table under the user's partition (`userPartitionKey(appId, userId)`):
 * - `ACTION#<warningId>`: one ActionRecord, written once per warning (conditional put).
 * - `DELIVERY#<dedupeKey>`: one DeliveryRecord per message, claimed before the provider call.
 * No addresses, phone numbers or names: IDs, tiers, reasons and outcomes only.
 */
import type { Channel } from "../../../lib/topology.js";
import type { LifecycleStage, ValueTier } from "../indicators.js";
import type { ReasonCode } from "../reasons.js";
import type { RiskTier } from "../risk-tiers.js";

export interface Offer {
  /** Major units of the currency, e.g. 20 for a 20 CNY coupon. */
  readonly amount: number;
  readonly currency: string;
}

/**
 * - `published`: handed to a channel queue (the delivery record says what became of it);
 * - `control`: in the experiment's control group, deliberately not messaged (still measured);
 * - `escalated`: marketing was alerted and the policy sends no automated message;
 * - `no_action`: the policy has no action for this user (e.g. a low tier);
 * - `suppressed`: a guard stopped it at planning (`reason` says which);
 * - `erased`: the user was erased meanwhile (never written: listed for completeness of outcomes).
 */
export type ActionOutcome = "published" | "control" | "escalated" | "no_action" | "suppressed";

export interface ActionRecord {
  readonly appId: string;
  readonly userId: string;
  readonly warningId: string;
  readonly runId: string;
  /**
   * The warning's logical time (the scoring run's as-of, or the triggering event's time):
   * win-back windows start here for every group alike, so treatment and control are compared on
   * the same clock, also in a simulation whose days are not today's.
   */
  readonly asOf: string;
  /** Wall-clock time the plan step handled the warning. */
  readonly plannedAt: string;
  readonly tier: RiskTier;
  readonly score: number;
  readonly valueTier: ValueTier;
  readonly lifecycleStage: LifecycleStage;
  readonly topReason: ReasonCode | null;
  /** The policy rule that decided, and the campaign its cooldown is kept under. */
  readonly ruleId: string | null;
  readonly campaign: string | null;
  readonly experimentId: string | null;
  readonly group: "control" | "variant" | null;
  readonly variant: string | null;
  readonly template: string | null;
  readonly offer: Offer | null;
  /** The channel the message was published to, if any. */
  readonly channel: Channel | null;
  readonly outcome: ActionOutcome;
  /** Why it was suppressed or not sent, as a stable code (`no_consented_channel`, …). */
  readonly reason: string | null;
  /** Whether marketing was alerted about this user for this warning. */
  readonly escalated: boolean;
}

export type DeliveryStatus = "sending" | "sent" | "suppressed" | "failed" | "deferred";

export interface DeliveryRecord {
  readonly appId: string;
  readonly userId: string;
  readonly dedupeKey: string;
  readonly warningId: string;
  readonly channel: Channel;
  readonly status: DeliveryStatus;
  /** When the outcome was recorded (ISO). */
  readonly completedAt: string | null;
  /** Suppression or failure reason code, or why it was deferred. */
  readonly reason: string | null;
  /** For `deferred`: when the quiet hours end and the message is released. */
  readonly deferredUntil: string | null;
}
