import type { Channel } from "../../lib/topology.js";
import { type ContactRecord, hasConsent } from "../domain/contact.js";
import type { RetentionMessage } from "../domain/retention.js";
import { renderRetentionMessage } from "../domain/templates.js";
import type {
  ChannelProvider,
  ContactStore,
  DeliveryLedger,
  DeliveryOutcome,
  ErasureRegistry,
} from "../ports.js";

function addressFor(contact: ContactRecord, channel: Channel): string | undefined {
  switch (channel) {
    case "email":
      return contact.email?.address;
    case "sms":
      return contact.sms?.phone;
    case "push":
      return contact.push?.endpointArn ?? contact.push?.token;
  }
}

export class ProviderError extends Error {
  override readonly name = "ProviderError";
}

/** Another delivery of the same message holds the claim: retry once its lease has run out. */
export class DeliveryInProgressError extends Error {
  override readonly name = "DeliveryInProgressError";
}

const RECORD_ATTEMPTS = 3;

/**
 * Sends one retention message at most once. Consent is checked again here, at send time: an
 * opt-out or erasure that arrived while the message waited in the queue wins. A provider error
 * is recorded and rethrown so the queue redelivers the message (and dead-letters it at last).
 */
export async function deliverMessage(
  message: RetentionMessage,
  deps: {
    readonly contacts: ContactStore;
    readonly ledger: DeliveryLedger;
    readonly provider: ChannelProvider;
    readonly erasures: ErasureRegistry;
    readonly leaseMs: number;
    readonly onRecordFailure?: (message: RetentionMessage, error: unknown) => void;
  },
): Promise<DeliveryOutcome | "duplicate" | "erased"> {
  const contact = await deps.contacts.get(message.appId, message.userId);
  // A leftover of an erased user: no send, and no ledger entry that would bring the user back.
  if (!contact && (await deps.erasures.erasedAt([message])).size > 0) return "erased";
  const claim = await deps.ledger.claim(message, deps.leaseMs);
  if (claim === "done") return "duplicate";
  if (claim === "in-progress")
    throw new DeliveryInProgressError(`${message.dedupeKey} is being sent`);
  const to = contact ? addressFor(contact, message.channel) : undefined;
  if (!contact || !hasConsent(contact, message.channel) || !to) {
    const outcome: DeliveryOutcome = { status: "suppressed", reason: "no_consent_or_address" };
    await deps.ledger.record(message, outcome);
    return outcome;
  }
  const content = renderRetentionMessage(
    message.channel,
    contact.locale,
    message,
    contact.firstName,
  );
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
