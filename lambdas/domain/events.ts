/**
 * The behaviour-event contract of `POST /v1/events`. These zod schemas are the one source for
 * validation and for the TypeScript types of events.
 */
import { z } from "zod";
import { isIanaTimeZone } from "./calendar.js";

export const MAX_EVENTS_PER_BATCH = 500;
/** Clock skew a client may have before an event counts as "from the future". */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

const EMAIL_LIKE = /@/;
/** E.164 numbers and mainland-China mobile numbers: phone numbers must never be user IDs. */
const PHONE_LIKE = /^(\+\d{6,15}|1[3-9]\d{9})$/;

export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, "only letters, digits and . _ : - are allowed")
  .refine((id) => !EMAIL_LIKE.test(id), "must be pseudonymous, not an e-mail address")
  .refine((id) => !PHONE_LIKE.test(id), "must be pseudonymous, not a phone number")
  .meta({
    description:
      "The app's pseudonymous ID of the user (letters, digits and . _ : -, at most 128). " +
      "E-mail addresses and phone numbers are refused.",
    examples: ["u-1"],
  });

const idSchema = z.string().min(1).max(128);
const amountSchema = z
  .number()
  .finite()
  .nonnegative()
  .meta({ description: "In major units of `currency` (99.5 = 99.50); finite, at least 0." });
const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as CNY")
  .meta({
    description:
      "ISO 4217 code; converted to the base currency (CNY by default) with the configured rate " +
      "table. A currency without a rate rejects the event.",
    examples: ["CNY"],
  });

const contextSchema = z
  .object({
    platform: z.enum(["ios", "android", "web", "mini_program", "other"]).optional(),
    deviceId: z.string().max(128).optional(),
    region: z.string().max(64).optional(),
    timezone: z
      .string()
      .max(64)
      .refine(isIanaTimeZone, "must be an IANA time zone such as Asia/Shanghai")
      .meta({ description: "IANA time zone of the device", examples: ["Asia/Shanghai"] })
      .optional(),
  })
  .meta({ description: "Where the event happened. Optional, like each of its fields." });

const noProperties = z.object({}).optional();

const propertiesByType = {
  app_open: noProperties,
  login: noProperties,
  session: z.object({
    durationSec: z.number().finite().nonnegative().meta({ description: "Seconds, at least 0" }),
  }),
  page_view: z.object({ page: z.string().max(512).optional() }).optional(),
  page_load: z.object({
    ms: z.number().finite().nonnegative().meta({ description: "Load time in milliseconds" }),
    page: z.string().max(512).optional(),
  }),
  search: z.object({ query: z.string().max(512), resultCount: z.number().int().nonnegative() }),
  product_view: z.object({ productId: idSchema.optional() }).optional(),
  add_to_cart: z.object({ productId: idSchema.optional() }).optional(),
  cart_abandon: noProperties,
  checkout_start: noProperties,
  purchase: z.object({
    orderId: idSchema,
    amount: amountSchema,
    currency: currencySchema,
    couponCode: z.string().max(64).optional(),
  }),
  refund: z.object({
    orderId: idSchema,
    amount: amountSchema,
    currency: currencySchema.optional(),
  }),
  return: z.object({
    orderId: idSchema,
    amount: amountSchema,
    currency: currencySchema.optional(),
  }),
  review: z.object({ rating: z.number().int().min(1).max(5) }),
  complaint: noProperties,
  support_contact: noProperties,
  coupon_redeemed: noProperties,
  follow: noProperties,
  unfollow: noProperties,
  device_change: noProperties,
  region_change: noProperties,
  push_opened: noProperties,
  email_opened: noProperties,
  sms_clicked: noProperties,
  uninstall: noProperties,
  push_token_invalid: noProperties,
} as const;

export type EventType = keyof typeof propertiesByType;
export const EVENT_TYPES = Object.keys(propertiesByType) as EventType[];

function eventVariant<T extends EventType>(type: T) {
  return z.object({
    eventId: idSchema.meta({
      description:
        "The client's ID of the event and its idempotency key: an ID seen before counts once.",
    }),
    userId: userIdSchema,
    type: z.literal(type),
    occurredAt: z.iso.datetime({ offset: true }).meta({
      description:
        "ISO 8601 with a UTC offset; at most 5 minutes in the future and not before the " +
        "configured horizon.",
      examples: ["2026-11-23T09:00:00+08:00"],
    }),
    properties: propertiesByType[type],
    context: contextSchema.optional(),
  });
}

export const behaviourEventSchema = z.discriminatedUnion(
  "type",
  EVENT_TYPES.map((type) => eventVariant(type)) as unknown as [
    ReturnType<typeof eventVariant<EventType>>,
    ...ReturnType<typeof eventVariant<EventType>>[],
  ],
);

export type BehaviourEvent = z.infer<typeof behaviourEventSchema>;

/** Only the envelope: each event is validated on its own so one bad event cannot sink a batch. */
export const eventBatchSchema = z.object({
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH),
});

/** What the events queue carries: one accepted event and the app it belongs to. */
export interface TrackedEvent {
  readonly appId: string;
  readonly receivedAt: string;
  readonly event: BehaviourEvent;
  /** Purchase, refund or return amount in minor units of the base currency, converted at ingest. */
  readonly baseAmountMinor?: number;
}

export const trackedEventSchema = z.object({
  appId: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
  event: behaviourEventSchema,
  baseAmountMinor: z.number().int().optional(),
});
