import { describe, expect, it } from "vitest";
import {
  decodeTagValue,
  encodeTagValue,
  interpretFeedback,
} from "../../lambdas/domain/provider-feedback.js";

const RECEIVED = "2026-11-02T10:00:00.000Z";

const tags = (appId: string, userId: string) => ({
  appId: [encodeTagValue(appId)],
  userId: [encodeTagValue(userId)],
  "ses:configuration-set": ["churnwatch"],
});

function bounce(bounceType: string, bounceSubType = "General", recipients = ["ann@example.com"]) {
  return {
    eventType: "Bounce",
    bounce: {
      bounceType,
      bounceSubType,
      bouncedRecipients: recipients.map((emailAddress) => ({
        emailAddress,
        action: "failed",
        status: "5.1.1",
      })),
      timestamp: "2026-11-02T09:59:58.123Z",
      feedbackId: "f-1",
    },
    mail: { messageId: "ses-1", destination: recipients, tags: tags("shop", "u-1") },
  };
}

function complaint(extra: Record<string, unknown> = {}) {
  return {
    eventType: "Complaint",
    complaint: {
      complainedRecipients: [{ emailAddress: "ann@example.com" }],
      timestamp: "2026-11-02T09:00:00Z",
      feedbackId: "f-2",
      ...extra,
    },
    mail: { messageId: "ses-2", tags: tags("shop", "u-1") },
  };
}

const read = (event: unknown) => interpretFeedback(JSON.stringify(event), RECEIVED);

describe("SES tag values", () => {
  it.each(["u-1", "shop", "a.b:c_d-e", "x".repeat(128), "用户-1"])(
    "round-trips %s through characters SES allows",
    (id) => {
      const value = encodeTagValue(id);
      expect(value).toMatch(/^[A-Za-z0-9_.@-]+$/);
      expect(decodeTagValue(value)).toBe(id);
    },
  );

  it.each([
    ["padding", `${encodeTagValue("u-1x")}=`],
    ["characters outside base64url", "dS0x+"],
    // "u-" is "dS0"; "dS1" differs only in padding bits, so it decodes to "u-" as well.
    ["non-canonical padding bits", "dS1"],
    ["bytes that are not UTF-8", "shop"],
    ["nothing", ""],
  ])("refuses %s", (_, value) => {
    expect(decodeTagValue(value)).toBeUndefined();
  });
});

describe("SES bounces and complaints", () => {
  it("marks the e-mail of a permanent bounce, found by its tags", () => {
    expect(read(bounce("Permanent"))).toEqual({
      kind: "mark",
      event: "bounce",
      marks: [
        {
          appId: "shop",
          userId: "u-1",
          channel: "email",
          reason: "bounce",
          address: "ann@example.com",
          at: "2026-11-02T09:59:58.123Z",
        },
      ],
    });
  });

  it("marks an address SES did not even try because it is on the suppression list", () => {
    const verdict = read(bounce("Permanent", "OnAccountSuppressionList"));
    expect(verdict.kind).toBe("mark");
  });

  it.each([
    ["Transient", "transient_bounce"],
    ["Undetermined", "undetermined_bounce"],
  ])("ignores a %s bounce", (type, reason) => {
    expect(read(bounce(type, "MailboxFull"))).toEqual({ kind: "ignored", reason });
  });

  it("marks each distinct recipient once", () => {
    const verdict = read(bounce("Permanent", "General", ["a@example.com", "a@example.com"]));
    expect(verdict.kind === "mark" && verdict.marks).toHaveLength(1);
  });

  it("marks a complaint as a complaint, at the time of the complaint", () => {
    const verdict = read(complaint({ complaintFeedbackType: "abuse" }));
    expect(verdict).toMatchObject({
      kind: "mark",
      event: "complaint",
      marks: [{ reason: "complaint", at: "2026-11-02T09:00:00.000Z", channel: "email" }],
    });
  });

  it("ignores a feedback report that says the mail was not spam", () => {
    expect(read(complaint({ complaintFeedbackType: "not-spam" }))).toEqual({
      kind: "ignored",
      reason: "not_spam_complaint",
    });
  });

  it("takes the notification's time when the event has none", () => {
    const event = complaint();
    delete (event.complaint as { timestamp?: string }).timestamp;
    const verdict = read(event);
    expect(verdict.kind === "mark" && verdict.marks[0]?.at).toBe(RECEIVED);
  });

  it("reads identity feedback notifications too, which carry no tags and so mark nothing", () => {
    const { eventType: _type, ...rest } = bounce("Permanent");
    const tagged = { ...rest, notificationType: "Bounce" };
    expect(read(tagged).kind).toBe("mark");
    const untagged = { ...tagged, mail: { messageId: "ses-1" } };
    expect(read(untagged)).toEqual({ kind: "ignored", reason: "untagged" });
  });

  it("ignores other events of the configuration set", () => {
    expect(read({ eventType: "Delivery", mail: { tags: tags("shop", "u-1") } })).toEqual({
      kind: "ignored",
      reason: "not_bounce_or_complaint",
    });
  });

  it("ignores a push platform event: an endpoint ARN cannot be mapped back to a user", () => {
    const event = {
      EventType: "DeliveryFailure",
      EndpointArn: "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abc",
      FailureType: "EndpointDisabled",
    };
    expect(read(event)).toEqual({ kind: "ignored", reason: "push_event_not_consumed" });
  });

  it.each([
    ["not JSON", "{"],
    ["without mail", JSON.stringify({ eventType: "Bounce", bounce: bounce("Permanent").bounce })],
    ["without a type", JSON.stringify({ mail: {} })],
    ["a bounce without its object", JSON.stringify({ eventType: "Bounce", mail: {} })],
    [
      "tags in another encoding",
      JSON.stringify({
        ...bounce("Permanent"),
        mail: { tags: { appId: ["shop"], userId: ["u+1"] } },
      }),
    ],
  ])("refuses a message %s, without quoting addresses", (_, message) => {
    const verdict = interpretFeedback(message, RECEIVED);
    expect(verdict.kind).toBe("invalid");
    expect(JSON.stringify(verdict)).not.toContain("@example.com");
  });
});
