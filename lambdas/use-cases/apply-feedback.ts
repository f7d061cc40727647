import type { Channel } from "../../lib/topology.js";
import type { UndeliverableReason } from "../domain/contact.js";
import { type IgnoredFeedback, interpretFeedback } from "../domain/provider-feedback.js";
import type { SignatureVerifier, SnsEnvelope } from "../domain/sns-signature.js";
import type { ContactStore } from "../ports.js";

/** Feedback that must change nothing: unverifiable, from elsewhere, or not understood. */
export class RejectedFeedbackError extends Error {
  override readonly name = "RejectedFeedbackError";
}

export interface FeedbackDeps {
  readonly contacts: Pick<ContactStore, "markUndeliverable">;
  /** Undefined only where signatures are switched off (local mode: the emulator signs nothing). */
  readonly verifier: SignatureVerifier | undefined;
  /** The topic feedback must come from; undefined accepts any topic SNS signed for. */
  readonly expectedTopicArn?: string;
}

/** What was done for one user's channel; never the address. */
export interface AppliedMark {
  readonly appId: string;
  readonly userId: string;
  readonly channel: Channel;
  readonly reason: UndeliverableReason;
  /** False when the record is gone or holds another address by now. */
  readonly marked: boolean;
}

export type FeedbackOutcome =
  | {
      readonly status: "applied";
      readonly event: "bounce" | "complaint";
      readonly marks: readonly AppliedMark[];
    }
  | { readonly status: "ignored"; readonly reason: IgnoredFeedback | "not_notification" };

/**
 * Applies one provider notification: nothing changes before its SNS signature is verified.
 * Throws RejectedFeedbackError for a notification that can never be applied (the caller
 * dead-letters it); other errors are passing ones, worth a retry.
 */
export async function applyFeedback(
  envelope: SnsEnvelope,
  deps: FeedbackDeps,
): Promise<FeedbackOutcome> {
  if (deps.expectedTopicArn !== undefined && envelope.TopicArn !== deps.expectedTopicArn) {
    throw new RejectedFeedbackError("notification from an unexpected topic");
  }
  if (deps.verifier) {
    const verdict = await deps.verifier.verify(envelope);
    if (!verdict.valid) {
      throw new RejectedFeedbackError(`SNS signature not verified: ${verdict.reason}`);
    }
  }
  if (envelope.Type !== "Notification") return { status: "ignored", reason: "not_notification" };
  const verdict = interpretFeedback(envelope.Message, envelope.Timestamp);
  if (verdict.kind === "invalid") throw new RejectedFeedbackError(verdict.reason);
  if (verdict.kind === "ignored") return { status: "ignored", reason: verdict.reason };
  const marks: AppliedMark[] = [];
  for (const mark of verdict.marks) {
    const marked = await deps.contacts.markUndeliverable(mark.appId, mark.userId, mark.channel, {
      reason: mark.reason,
      at: mark.at,
      address: mark.address,
    });
    const { appId, userId, channel, reason } = mark;
    marks.push({ appId, userId, channel, reason, marked });
  }
  return { status: "applied", event: verdict.event, marks };
}
