/**
 * What providers report back about addresses, turned into undeliverable marks. Pure: the SNS
 * envelope around these messages is checked (signature, topic) before they get here.
 *
 * E-mail: SES publishes bounce and complaint events of the configuration set churnwatch sends
 * with to an SNS topic. Each message carries the user's IDs as SES message tags (base64url,
 * because tag values allow only letters, digits and `_ - . @`), so a bounce finds its user
 * without any reverse index from addresses. Identity feedback notifications (`notificationType`)
 * parse too, but SES publishes no tags with them: they are ignored as `untagged`.
 *
 * Push: an invalid token shows up as an error of the send itself (aws-providers.ts). The event
 * topic of an SNS platform application (`EventEndpointUpdated`, `EventDeliveryFailure`) names
 * only the endpoint ARN, which cannot be mapped back to a user without an index: churnwatch does
 * not consume it, and such a message is ignored as `push_event_not_consumed` should it arrive.
 */
import { z } from "zod";
import type { Channel } from "../../lib/topology.js";
import type { UndeliverableReason } from "./contact.js";

/** The SES message tags (EmailTags) each retention e-mail carries. */
export const SES_TAGS = { appId: "appId", userId: "userId" } as const;

/** SES allows at most 256 characters in a tag value. */
export const SES_TAG_VALUE_MAX = 256;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** An ID as an SES tag value: base64url of its UTF-8 bytes, which SES accepts as it is. */
export function encodeTagValue(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/** The ID an `encodeTagValue` value came from; undefined for anything that value cannot be. */
export function decodeTagValue(value: string): string | undefined {
  if (!BASE64URL.test(value)) return undefined;
  const id = Buffer.from(value, "base64url").toString("utf8");
  // Canonical encodings only: no padding bits, no bytes that are not UTF-8.
  return id !== "" && encodeTagValue(id) === value ? id : undefined;
}

/** One channel of one user to mark, if its address is still `address`. */
export interface FeedbackMark {
  readonly appId: string;
  readonly userId: string;
  readonly channel: Channel;
  readonly reason: UndeliverableReason;
  readonly address: string;
  /** When the provider saw it: redelivered feedback writes the same mark again. */
  readonly at: string;
}

/** Feedback that is genuine but says nothing that should change a contact. */
export type IgnoredFeedback =
  | "transient_bounce"
  | "undetermined_bounce"
  | "not_spam_complaint"
  | "untagged"
  | "not_bounce_or_complaint"
  | "push_event_not_consumed";

export type FeedbackVerdict =
  | {
      readonly kind: "mark";
      readonly event: "bounce" | "complaint";
      readonly marks: readonly FeedbackMark[];
    }
  | { readonly kind: "ignored"; readonly reason: IgnoredFeedback }
  /** Not a provider message churnwatch understands: the reason names fields, never values. */
  | { readonly kind: "invalid"; readonly reason: string };

const recipientSchema = z.object({ emailAddress: z.string().min(1).max(512) });

const sesEventSchema = z.object({
  /** Event publishing through a configuration set. */
  eventType: z.string().optional(),
  /** Feedback notifications of an identity. */
  notificationType: z.string().optional(),
  mail: z.object({
    messageId: z.string().optional(),
    tags: z.record(z.string(), z.array(z.string())).optional(),
  }),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(recipientSchema).min(1),
      timestamp: z.string().optional(),
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z.array(recipientSchema).min(1),
      complaintFeedbackType: z.string().optional(),
      timestamp: z.string().optional(),
    })
    .optional(),
});

type SesEvent = z.infer<typeof sesEventSchema>;

/** An SNS platform application event (endpoint updated, delivery failure, ...). */
const pushPlatformEventSchema = z.object({ EventType: z.string(), EndpointArn: z.string() });

function instant(raw: string | undefined, fallback: string): string {
  const at = raw === undefined ? Number.NaN : Date.parse(raw);
  return Number.isNaN(at) ? fallback : new Date(at).toISOString();
}

function invalid(error: z.ZodError): FeedbackVerdict {
  const fields = error.issues.map((issue) => issue.path.join(".") || "(root)");
  return {
    kind: "invalid",
    reason: `SES event does not match at ${[...new Set(fields)].join(", ")}`,
  };
}

function userOf(event: SesEvent): { appId: string; userId: string } | "untagged" | "bad_tags" {
  const tags = event.mail.tags ?? {};
  const appTag = tags[SES_TAGS.appId]?.[0];
  const userTag = tags[SES_TAGS.userId]?.[0];
  if (appTag === undefined || userTag === undefined) return "untagged";
  const appId = decodeTagValue(appTag);
  const userId = decodeTagValue(userTag);
  return appId === undefined || userId === undefined ? "bad_tags" : { appId, userId };
}

function marksFor(
  event: SesEvent,
  recipients: readonly { emailAddress: string }[],
  reason: UndeliverableReason,
  at: string,
): FeedbackVerdict {
  const user = userOf(event);
  if (user === "untagged") return { kind: "ignored", reason: "untagged" };
  if (user === "bad_tags") {
    return { kind: "invalid", reason: "SES event tags are not churnwatch's encoding" };
  }
  // One recipient per retention e-mail; several would all be marked against the same user, and
  // only the one that is still the user's address matches.
  const addresses = [...new Set(recipients.map((r) => r.emailAddress))];
  return {
    kind: "mark",
    event: reason === "complaint" ? "complaint" : "bounce",
    marks: addresses.map((address) => ({ ...user, channel: "email", reason, address, at })),
  };
}

function interpretSesEvent(event: SesEvent, receivedAt: string): FeedbackVerdict {
  const type = event.eventType ?? event.notificationType;
  if (type === "Bounce") {
    const bounce = event.bounce;
    if (!bounce) return { kind: "invalid", reason: "SES bounce event without a bounce object" };
    // Only a permanent bounce (including one from the suppression list) says the address is dead.
    if (bounce.bounceType === "Transient") return { kind: "ignored", reason: "transient_bounce" };
    if (bounce.bounceType !== "Permanent")
      return { kind: "ignored", reason: "undetermined_bounce" };
    return marksFor(
      event,
      bounce.bouncedRecipients,
      "bounce",
      instant(bounce.timestamp, receivedAt),
    );
  }
  if (type === "Complaint") {
    const complaint = event.complaint;
    if (!complaint) {
      return { kind: "invalid", reason: "SES complaint event without a complaint object" };
    }
    // A feedback report saying the mail was not spam is the opposite of a complaint.
    if (complaint.complaintFeedbackType === "not-spam") {
      return { kind: "ignored", reason: "not_spam_complaint" };
    }
    return marksFor(
      event,
      complaint.complainedRecipients,
      "complaint",
      instant(complaint.timestamp, receivedAt),
    );
  }
  return { kind: "ignored", reason: "not_bounce_or_complaint" };
}

/**
 * Reads the `Message` of a feedback notification. `receivedAt` (the SNS timestamp) stands in
 * when the provider's event carries no time of its own.
 */
export function interpretFeedback(message: string, receivedAt: string): FeedbackVerdict {
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return { kind: "invalid", reason: "message is not JSON" };
  }
  if (pushPlatformEventSchema.safeParse(raw).success) {
    return { kind: "ignored", reason: "push_event_not_consumed" };
  }
  const parsed = sesEventSchema.safeParse(raw);
  if (!parsed.success) return invalid(parsed.error);
  if (parsed.data.eventType === undefined && parsed.data.notificationType === undefined) {
    return { kind: "invalid", reason: "SES event has neither eventType nor notificationType" };
  }
  return interpretSesEvent(parsed.data, instant(receivedAt, receivedAt));
}
