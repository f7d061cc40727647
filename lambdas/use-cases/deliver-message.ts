import type { DeferredMessages, SendSlots } from "../action-ports.js";
import { type FrequencyCap, liveSlots, type SendSlot } from "../domain/actions/frequency.js";
import { checkSend, type GuardVerdict } from "../domain/actions/guards.js";
import type { QuietHoursConfig } from "../domain/actions/quiet-hours.js";
import { type ContactRecord, channelAddress } from "../domain/contact.js";
import { DEFAULT_CAMPAIGN, type RetentionMessage } from "../domain/retention.js";
import {
  type RenderedMessage,
  renderTemplate,
  type TemplateCatalogue,
} from "../domain/templates.js";
import type {
  ChannelProvider,
  ContactStore,
  DeliveryLedger,
  DeliveryOutcome,
  ErasureRegistry,
  EventQueue,
} from "../ports.js";
import { UndeliverableAddressError } from "../ports.js";

export class ProviderError extends Error {
  override readonly name = "ProviderError";
}

/** Another delivery of the same message holds the claim: retry once its lease has run out. */
export class DeliveryInProgressError extends Error {
  override readonly name = "DeliveryInProgressError";
}

const RECORD_ATTEMPTS = 3;
/** Concurrent sends to one user each re-read the slots after losing a race; this many times. */
const SLOT_ATTEMPTS = 8;
/** Slots are kept this long, longer than any cap window or campaign cooldown counts them. */
export const SLOT_RETENTION_DAYS = 365;
const DEFAULT_TEMPLATE = "we_miss_you";

export interface SendRules {
  readonly quietHours: QuietHoursConfig;
  readonly frequencyCap: FrequencyCap;
  readonly templates: TemplateCatalogue;
}

export interface DeliverDeps {
  readonly contacts: ContactStore;
  readonly ledger: DeliveryLedger;
  readonly provider: ChannelProvider;
  readonly erasures: ErasureRegistry;
  readonly slots: SendSlots;
  readonly deferred: DeferredMessages;
  readonly rules: SendRules;
  readonly now: () => Date;
  /** Where behaviour signals the provider gave us go (an invalid push token): the events queue. */
  readonly signals?: EventQueue;
  readonly leaseMs: number;
  readonly onRecordFailure?: (message: RetentionMessage, error: unknown) => void;
}

/** Gives back the cap slot of a message that did not go out after all. */
async function releaseSlot(message: RetentionMessage, deps: DeliverDeps): Promise<void> {
  for (let attempt = 1; attempt <= SLOT_ATTEMPTS; attempt += 1) {
    const state = await deps.slots.read(message.appId, message.userId);
    const kept = state.slots.filter((slot) => slot.dedupeKey !== message.dedupeKey);
    if (kept.length === state.slots.length) return;
    if (await deps.slots.write(message.appId, message.userId, state, kept)) return;
  }
}

/**
 * The provider says the address or device is gone: the channel is marked undeliverable (only
 * while it still holds that address), the message counts as suppressed, and an invalid push
 * token becomes a `push_token_invalid` event, which the uninstall-risk rule reads.
 */
async function markUndeliverable(
  message: RetentionMessage,
  address: string,
  error: UndeliverableAddressError,
  deps: DeliverDeps,
): Promise<DeliveryOutcome> {
  const at = deps.now().toISOString();
  await deps.contacts.markUndeliverable(message.appId, message.userId, message.channel, {
    reason: error.reason,
    at,
    address,
  });
  if (error.reason === "invalid_token" && deps.signals) {
    const { failedEventIds } = await deps.signals.enqueue([
      {
        appId: message.appId,
        receivedAt: at,
        event: {
          // One signal per message, however often the send is retried.
          eventId: `churnwatch:push_token_invalid:${message.dedupeKey}`,
          userId: message.userId,
          type: "push_token_invalid",
          occurredAt: at,
          properties: {},
        },
      },
    ]);
    if (failedEventIds.length > 0) throw new Error(`${message.dedupeKey}: signal not queued`);
  }
  await releaseSlot(message, deps);
  const outcome: DeliveryOutcome = {
    status: "suppressed",
    reason: `not_contactable:${error.reason}`,
  };
  await deps.ledger.record(message, outcome);
  return outcome;
}

/** Runs the guards and, when they allow, takes a slot under the cap; races re-check. */
async function guardAndReserve(
  message: RetentionMessage,
  contact: ContactRecord | undefined,
  deps: DeliverDeps,
): Promise<GuardVerdict> {
  const campaign = message.campaign ?? DEFAULT_CAMPAIGN;
  for (let attempt = 1; attempt <= SLOT_ATTEMPTS; attempt += 1) {
    const now = deps.now();
    const state = await deps.slots.read(message.appId, message.userId);
    const verdict = checkSend({
      now,
      contact,
      channel: message.channel,
      quietHours: deps.rules.quietHours,
      cap: deps.rules.frequencyCap,
      slots: state.slots,
      campaign,
      cooldownDays: message.cooldownDays ?? 0,
      dedupeKey: message.dedupeKey,
    });
    if (verdict.verdict !== "allow") return verdict;
    const mine: SendSlot = { dedupeKey: message.dedupeKey, campaign, at: now.toISOString() };
    const kept = liveSlots(state.slots, now, SLOT_RETENTION_DAYS).filter(
      (slot) => slot.dedupeKey !== message.dedupeKey,
    );
    if (await deps.slots.write(message.appId, message.userId, state, [...kept, mine])) {
      return verdict;
    }
  }
  throw new DeliveryInProgressError(`${message.dedupeKey}: too many concurrent sends to one user`);
}

/**
 * Sends one retention message at most once. Consent is checked again here, at send time: an
 * opt-out or erasure that arrived while the message waited in the queue wins. A provider error
 * is recorded and rethrown so the queue redelivers the message (and dead-letters it at last).
 */
export async function deliverMessage(
  message: RetentionMessage,
  deps: DeliverDeps,
): Promise<DeliveryOutcome | "duplicate" | "erased"> {
  const contact = await deps.contacts.get(message.appId, message.userId);
  // A leftover of an erased user: no send, and no ledger entry that would bring the user back.
  if (!contact && (await deps.erasures.erasedAt([message])).size > 0) return "erased";
  const claim = await deps.ledger.claim(message, deps.leaseMs);
  if (claim === "done") return "duplicate";
  if (claim === "in-progress")
    throw new DeliveryInProgressError(`${message.dedupeKey} is being sent`);
  const to = contact ? channelAddress(contact, message.channel) : undefined;
  let content: RenderedMessage | undefined;
  if (contact && to) {
    try {
      content = renderTemplate(
        {
          templateId: message.template ?? DEFAULT_TEMPLATE,
          channel: message.channel,
          locale: contact.locale,
          reasons: message.reasons,
          ...(contact.firstName ? { firstName: contact.firstName } : {}),
          offer: message.offer ?? null,
        },
        deps.rules.templates,
      );
    } catch (error) {
      // Checked at start, so this is a message from another configuration: never sent half-filled.
      const reason = `TemplateError: ${(error as Error).message}`;
      await deps.ledger.record(message, { status: "failed", reason });
      throw error;
    }
  }
  const verdict = await guardAndReserve(message, contact, deps);
  if (verdict.verdict === "suppress") {
    const outcome: DeliveryOutcome = { status: "suppressed", reason: verdict.reason };
    await deps.ledger.record(message, outcome);
    return outcome;
  }
  if (verdict.verdict === "defer") {
    await deps.deferred.defer(message, verdict.until);
    const outcome: DeliveryOutcome = {
      status: "deferred",
      reason: verdict.reason,
      until: verdict.until.toISOString(),
    };
    await deps.ledger.record(message, outcome);
    return outcome;
  }
  if (!content || !to) throw new Error(`${message.dedupeKey}: guards passed without an address`);
  let providerMessageId: string;
  try {
    ({ providerMessageId } = await deps.provider.send({
      channel: message.channel,
      to,
      appId: message.appId,
      userId: message.userId,
      dedupeKey: message.dedupeKey,
      content,
    }));
  } catch (error) {
    if (error instanceof UndeliverableAddressError) {
      return await markUndeliverable(message, to, error, deps);
    }
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : "provider error";
    await deps.ledger.record(message, { status: "failed", reason });
    throw new ProviderError(reason);
  }
  const outcome: DeliveryOutcome = { status: "sent", providerMessageId };
  // The message went out: from here on nothing may fail the record and have it sent again.
  for (let attempt = 1; attempt <= RECORD_ATTEMPTS; attempt += 1) {
    try {
      await deps.ledger.record(message, outcome);
      return outcome;
    } catch (error) {
      // Unrecorded, the claim stays "sending": duplicates wait, and only a redelivery after
      // its lease could send again. Said loudly, as the one window left.
      if (attempt === RECORD_ATTEMPTS) deps.onRecordFailure?.(message, error);
      else await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
  return outcome;
}
