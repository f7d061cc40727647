/**
 * The checks between a planned retention message and a sent one, each a pure function of what
 * the sender read just before sending: consent and addresses may change while a message waits in
 * its queue, and the cap counts what other channels sent meanwhile. The first guard that does
 * not allow decides, so a suppression always names the most fundamental reason.
 */
import type { Channel } from "../../../lib/topology.js";
import { isIanaTimeZone } from "../calendar.js";
import { type ContactRecord, hasConsent, isDeliverable } from "../contact.js";
import { type FrequencyCap, type SendSlot, slotWithin } from "./frequency.js";
import type { RetentionPolicy } from "./policy.js";
import { type QuietHoursConfig, quietHoursEnd } from "./quiet-hours.js";

export type SuppressReason =
  | "no_consent"
  | "not_contactable"
  | "frequency_cap"
  | "campaign_cooldown";

export type GuardVerdict =
  | { readonly verdict: "allow" }
  | { readonly verdict: "suppress"; readonly reason: SuppressReason }
  | { readonly verdict: "defer"; readonly reason: "quiet_hours"; readonly until: Date };

const ALLOW: GuardVerdict = { verdict: "allow" };

function suppress(reason: SuppressReason): GuardVerdict {
  return { verdict: "suppress", reason };
}

/** Only a recorded, granted consent for this very channel counts; another channel's does not. */
export function consentGuard(contact: ContactRecord | undefined, channel: Channel): GuardVerdict {
  return hasConsent(contact, channel) ? ALLOW : suppress("no_consent");
}

/**
 * The channel has an address and no provider has marked it undeliverable (bounced, complained,
 * invalid): sending again would only hurt the sender's reputation.
 */
export function contactabilityGuard(
  contact: ContactRecord | undefined,
  channel: Channel,
): GuardVerdict {
  return isDeliverable(contact, channel) ? ALLOW : suppress("not_contactable");
}

/**
 * Defers a message planned inside the channel's quiet hours to their end, on the user's own
 * clock; users without a (usable) time zone are taken to be in the configured default zone.
 */
export function quietHoursGuard(
  now: Date,
  contact: ContactRecord | undefined,
  channel: Channel,
  config: QuietHoursConfig,
): GuardVerdict {
  const own = contact?.timezone;
  const timeZone = own !== undefined && isIanaTimeZone(own) ? own : config.defaultTimeZone;
  const until = quietHoursEnd(now, timeZone, config.byChannel[channel]);
  return until === null ? ALLOW : { verdict: "defer", reason: "quiet_hours", until };
}

/**
 * At most `cap.maxMessages` messages in any `cap.windowDays` days, over all channels and
 * campaigns: allowed while fewer other messages lie in the window. A slot with this message's own
 * dedupe key is this very message (a retry after a crash between reserving and sending), so it
 * is not counted against itself — a retry is never capped by its own reservation, and sending it
 * again adds no message to the window.
 */
export function frequencyCapGuard(
  now: Date,
  slots: readonly SendSlot[],
  cap: FrequencyCap,
  dedupeKey: string,
): GuardVerdict {
  const others = new Set<string>();
  for (const slot of slots) {
    if (slot.dedupeKey !== dedupeKey && slotWithin(slot, now, cap.windowDays)) {
      others.add(slot.dedupeKey);
    }
  }
  return others.size >= cap.maxMessages ? suppress("frequency_cap") : ALLOW;
}

/**
 * No two messages of one campaign within its cooldown, whatever the channel; other campaigns
 * do not count (the frequency cap bounds them all together), nor does this message's own slot.
 */
export function campaignCooldownGuard(
  now: Date,
  slots: readonly SendSlot[],
  campaign: string,
  cooldownDays: number,
  dedupeKey: string,
): GuardVerdict {
  if (cooldownDays <= 0) return ALLOW;
  const recent = slots.some(
    (slot) =>
      slot.campaign === campaign &&
      slot.dedupeKey !== dedupeKey &&
      slotWithin(slot, now, cooldownDays),
  );
  return recent ? suppress("campaign_cooldown") : ALLOW;
}

export interface SendCheck {
  readonly now: Date;
  readonly contact: ContactRecord | undefined;
  readonly channel: Channel;
  readonly quietHours: QuietHoursConfig;
  readonly cap: FrequencyCap;
  readonly slots: readonly SendSlot[];
  readonly campaign: string;
  readonly cooldownDays: number;
  readonly dedupeKey: string;
}

/**
 * Every guard, in order: consent, contactability, quiet hours, frequency cap, campaign cooldown.
 * The first that does not allow wins: a user who withdrew consent is suppressed, not deferred.
 */
export function checkSend(check: SendCheck): GuardVerdict {
  const verdicts: readonly (() => GuardVerdict)[] = [
    () => consentGuard(check.contact, check.channel),
    () => contactabilityGuard(check.contact, check.channel),
    () => quietHoursGuard(check.now, check.contact, check.channel, check.quietHours),
    () => frequencyCapGuard(check.now, check.slots, check.cap, check.dedupeKey),
    () =>
      campaignCooldownGuard(
        check.now,
        check.slots,
        check.campaign,
        check.cooldownDays,
        check.dedupeKey,
      ),
  ];
  for (const guard of verdicts) {
    const verdict = guard();
    if (verdict.verdict !== "allow") return verdict;
  }
  return ALLOW;
}

/**
 * How long slots must be kept for this cap and policy: the longest window any cap or cooldown
 * counts (for liveSlots).
 */
export function slotRetentionDays(cap: FrequencyCap, policy: RetentionPolicy): number {
  return policy.rules.reduce(
    (longest, rule) => Math.max(longest, rule.cooldownDays),
    cap.windowDays,
  );
}
