/**
 * Contact details and per-channel consent. Kept apart from behaviour data (own table, encrypted
 * with a customer-managed key on AWS) because it is the only personal data churnwatch holds.
 */
import { z } from "zod";
import { CHANNELS, type Channel } from "../../lib/topology.js";
import { isIanaTimeZone } from "./calendar.js";

const consentSchema = z.object({
  granted: z.boolean(),
  /** When the user gave or withdrew consent; defaults to the time of the request. */
  at: z.iso
    .datetime({ offset: true })
    .meta({ description: "When consent was given or withdrawn; default: the time of the request" })
    .optional(),
  source: z
    .string()
    .min(1)
    .max(64)
    .meta({ description: "Where consent was collected; default: api", examples: ["signup"] })
    .optional(),
});

export const contactRequestSchema = z
  .object({
    locale: z.enum(["en", "zh-CN"]).optional(),
    timezone: z
      .string()
      .refine(isIanaTimeZone, "must be an IANA time zone such as Asia/Shanghai")
      .meta({
        description: "IANA time zone: messages respect the user's local day",
        examples: ["Europe/Berlin"],
      })
      .optional(),
    firstName: z.string().min(1).max(64).optional(),
    channels: z
      .object({
        email: z.object({ address: z.email().max(254), consent: consentSchema }).optional(),
        sms: z
          .object({
            phone: z
              .string()
              .regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number such as +8613800138000"),
            consent: consentSchema,
          })
          .optional(),
        push: z
          .object({
            token: z.string().min(1).max(4096),
            platform: z.enum(["ios", "android", "web"]),
            /** SNS platform endpoint for this device, where the app registered one. */
            endpointArn: z.string().max(2048).startsWith("arn:").optional(),
            consent: consentSchema,
          })
          .optional(),
      })
      .strict()
      .meta({
        description:
          "Addresses and consent per channel. The record is replaced: a channel left out is a " +
          "channel churnwatch may not use.",
      }),
  })
  .strict()
  .meta({
    description:
      "Contact details and per-channel consent, kept apart from behaviour data and encrypted.",
  });

export type ContactRequest = z.infer<typeof contactRequestSchema>;

export interface Consent {
  readonly granted: boolean;
  readonly at: string;
  readonly source: string;
}

/** Why a provider said an address can receive nothing more. */
export type UndeliverableReason = "bounce" | "complaint" | "invalid_token";

/**
 * A provider's verdict on the channel's current address: a permanent bounce, a complaint (or an
 * SMS opt-out), an invalid push token. Set only by provider feedback, for the address it was
 * about; a PUT with a new address starts deliverable again.
 */
export interface UndeliverableMark {
  readonly reason: UndeliverableReason;
  readonly at: string;
}

export interface ContactRecord {
  readonly appId: string;
  readonly userId: string;
  readonly locale: "en" | "zh-CN";
  readonly timezone?: string;
  readonly firstName?: string;
  readonly email?: {
    readonly address: string;
    readonly consent: Consent;
    readonly undeliverable?: UndeliverableMark;
  };
  readonly sms?: {
    readonly phone: string;
    readonly consent: Consent;
    readonly undeliverable?: UndeliverableMark;
  };
  readonly push?: {
    readonly token: string;
    readonly platform: "ios" | "android" | "web";
    readonly endpointArn?: string;
    readonly consent: Consent;
    readonly undeliverable?: UndeliverableMark;
  };
  readonly updatedAt: string;
}

function consentOf(input: z.infer<typeof consentSchema>, now: string): Consent {
  return { granted: input.granted, at: input.at ?? now, source: input.source ?? "api" };
}

/**
 * A PUT replaces the contact record: a channel left out is a channel churnwatch may not use. It
 * never carries an undeliverable mark: a new address starts deliverable.
 */
export function toContactRecord(
  appId: string,
  userId: string,
  request: ContactRequest,
  now: Date,
): ContactRecord {
  const at = now.toISOString();
  const { email, sms, push } = request.channels;
  return {
    appId,
    userId,
    locale: request.locale ?? "en",
    ...(request.timezone ? { timezone: request.timezone } : {}),
    ...(request.firstName ? { firstName: request.firstName } : {}),
    ...(email ? { email: { address: email.address, consent: consentOf(email.consent, at) } } : {}),
    ...(sms ? { sms: { phone: sms.phone, consent: consentOf(sms.consent, at) } } : {}),
    ...(push
      ? {
          push: {
            token: push.token,
            platform: push.platform,
            ...(push.endpointArn ? { endpointArn: push.endpointArn } : {}),
            consent: consentOf(push.consent, at),
          },
        }
      : {}),
    updatedAt: at,
  };
}

export function hasConsent(contact: ContactRecord | undefined, channel: Channel): boolean {
  return contact?.[channel]?.consent.granted === true;
}

/** The first channel in preference order that the user consented to. */
export function chooseChannel(
  contact: ContactRecord | undefined,
  preference: readonly Channel[],
): Channel | undefined {
  return preference.find((channel) => hasConsent(contact, channel));
}

export function parseChannelPreference(raw: string): Channel[] {
  const names = raw.split(",").map((name) => name.trim());
  const unknown = names.filter((name) => !(CHANNELS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`channel preference "${raw}" names unknown channels: ${unknown.join(", ")}`);
  }
  return names as Channel[];
}

/**
 * The address a provider is given for the channel: for push the SNS platform endpoint where the
 * app registered one, else the raw device token.
 */
export function channelAddress(contact: ContactRecord, channel: Channel): string | undefined {
  switch (channel) {
    case "email":
      return contact.email?.address;
    case "sms":
      return contact.sms?.phone;
    case "push":
      return contact.push?.endpointArn || contact.push?.token;
  }
}

/** The channel has an address and no provider has marked that address undeliverable. */
export function isDeliverable(contact: ContactRecord | undefined, channel: Channel): boolean {
  if (contact === undefined || !channelAddress(contact, channel)) return false;
  return contact[channel]?.undeliverable === undefined;
}

export interface ChannelSummary {
  readonly reachable: boolean;
  readonly consent: Consent | null;
  /** Present when a provider marked the address undeliverable (then `reachable` is false). */
  readonly undeliverable?: UndeliverableMark;
}

/** What `GET /v1/users/{userId}` shows of contact data: consent, never the addresses. */
export function consentSummary(
  contact: ContactRecord | undefined,
): Record<Channel, ChannelSummary> {
  const summary = (channel: Channel): ChannelSummary => {
    const details = contact?.[channel];
    if (!details) return { reachable: false, consent: null };
    const mark = details.undeliverable;
    return mark
      ? {
          reachable: false,
          consent: details.consent,
          undeliverable: { reason: mark.reason, at: mark.at },
        }
      : { reachable: true, consent: details.consent };
  };
  return { email: summary("email"), push: summary("push"), sms: summary("sms") };
}

/**
 * The new record with the marks of the previous one kept on channels whose address did not
 * change: a client re-sending the same bounced address must not make it deliverable again.
 */
export function keepUndeliverableMarks(
  previous: ContactRecord | undefined,
  next: ContactRecord,
): ContactRecord {
  if (!previous) return next;
  let kept = next;
  for (const channel of CHANNELS) {
    const mark = previous[channel]?.undeliverable;
    const details = kept[channel];
    if (!mark || !details) continue;
    const address = channelAddress(next, channel);
    if (address === undefined || address !== channelAddress(previous, channel)) continue;
    kept = { ...kept, [channel]: { ...details, undeliverable: mark } };
  }
  return kept;
}
