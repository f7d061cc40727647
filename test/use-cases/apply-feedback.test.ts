import { describe, expect, it, vi } from "vitest";
import { encodeTagValue } from "../../lambdas/domain/provider-feedback.js";
import {
  type SignatureVerifier,
  type SnsEnvelope,
  verifySnsSignature,
} from "../../lambdas/domain/sns-signature.js";
import type { ContactStore } from "../../lambdas/ports.js";
import {
  applyFeedback,
  type FeedbackDeps,
  RejectedFeedbackError,
} from "../../lambdas/use-cases/apply-feedback.js";
import { signed, TEST_SIGNING_CERT_PEM } from "../fixtures/sns-signing.js";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:churnwatch-feedback";

function sesBounce(bounceType = "Permanent") {
  return JSON.stringify({
    eventType: "Bounce",
    bounce: {
      bounceType,
      bounceSubType: "General",
      bouncedRecipients: [{ emailAddress: "ann@example.com" }],
      timestamp: "2026-11-02T09:59:58.000Z",
    },
    mail: {
      messageId: "ses-1",
      tags: { appId: [encodeTagValue("shop")], userId: [encodeTagValue("u-1")] },
    },
  });
}

function envelope(message: string): Omit<SnsEnvelope, "Signature"> {
  return {
    Type: "Notification",
    MessageId: "sns-1",
    TopicArn: TOPIC,
    Message: message,
    Timestamp: "2026-11-02T10:00:00.000Z",
  };
}

const certificateVerifier: SignatureVerifier = {
  verify: (e) => verifySnsSignature(e, async () => TEST_SIGNING_CERT_PEM),
};

function deps(overrides: Partial<FeedbackDeps> = {}) {
  const markUndeliverable = vi.fn<ContactStore["markUndeliverable"]>(async () => true);
  return {
    markUndeliverable,
    deps: {
      contacts: { markUndeliverable },
      verifier: certificateVerifier,
      expectedTopicArn: TOPIC,
      ...overrides,
    },
  };
}

describe("applying provider feedback", () => {
  it("marks the bounced address of a verified notification", async () => {
    const { deps: d, markUndeliverable } = deps();
    const outcome = await applyFeedback(signed(envelope(sesBounce())), d);
    expect(markUndeliverable).toHaveBeenCalledWith("shop", "u-1", "email", {
      reason: "bounce",
      at: "2026-11-02T09:59:58.000Z",
      address: "ann@example.com",
    });
    expect(outcome).toEqual({
      status: "applied",
      event: "bounce",
      marks: [{ appId: "shop", userId: "u-1", channel: "email", reason: "bounce", marked: true }],
    });
    expect(JSON.stringify(outcome)).not.toContain("ann@example.com");
  });

  it("reports feedback about an address the user replaced as not marked", async () => {
    const { deps: d, markUndeliverable } = deps();
    markUndeliverable.mockResolvedValue(false);
    const outcome = await applyFeedback(signed(envelope(sesBounce())), d);
    expect(outcome).toMatchObject({ status: "applied", marks: [{ marked: false }] });
  });

  it("changes nothing for a notification whose signature does not verify", async () => {
    const { deps: d, markUndeliverable } = deps();
    const forged = { ...signed(envelope(sesBounce("Transient"))), Message: sesBounce() };
    await expect(applyFeedback(forged, d)).rejects.toThrow(RejectedFeedbackError);
    await expect(applyFeedback(forged, d)).rejects.toThrow(/bad_signature/);
    const unsigned = { ...envelope(sesBounce()), Signature: undefined };
    await expect(applyFeedback(unsigned, d)).rejects.toThrow(/unsigned/);
    expect(markUndeliverable).not.toHaveBeenCalled();
  });

  it("changes nothing for a notification from another topic, signed or not", async () => {
    const { deps: d, markUndeliverable } = deps();
    const elsewhere = signed({ ...envelope(sesBounce()), TopicArn: `${TOPIC}-other` });
    await expect(applyFeedback(elsewhere, d)).rejects.toThrow(/unexpected topic/);
    expect(markUndeliverable).not.toHaveBeenCalled();
  });

  it("applies unsigned notifications where signatures are off (local mode)", async () => {
    const { deps: d, markUndeliverable } = deps({ verifier: undefined });
    const local = { ...envelope(sesBounce()), Signature: "EXAMPLE", SignatureVersion: "1" };
    expect((await applyFeedback(local, d)).status).toBe("applied");
    expect(markUndeliverable).toHaveBeenCalledTimes(1);
  });

  it("ignores a transient bounce and a subscription confirmation", async () => {
    const { deps: d, markUndeliverable } = deps();
    expect(await applyFeedback(signed(envelope(sesBounce("Transient"))), d)).toEqual({
      status: "ignored",
      reason: "transient_bounce",
    });
    const confirmation = signed({
      ...envelope("confirm"),
      Type: "SubscriptionConfirmation",
      SubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
      Token: "t",
    });
    expect(await applyFeedback(confirmation, d)).toEqual({
      status: "ignored",
      reason: "not_notification",
    });
    expect(markUndeliverable).not.toHaveBeenCalled();
  });

  it("rejects a verified notification it cannot understand", async () => {
    const { deps: d } = deps();
    await expect(applyFeedback(signed(envelope("not json")), d)).rejects.toThrow(
      RejectedFeedbackError,
    );
  });

  it("lets a failing store through, so the notification is retried", async () => {
    const { deps: d, markUndeliverable } = deps();
    markUndeliverable.mockRejectedValue(new Error("throttled"));
    const error = await applyFeedback(signed(envelope(sesBounce())), d).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RejectedFeedbackError);
  });
});
