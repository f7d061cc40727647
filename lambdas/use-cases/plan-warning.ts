import type { Channel } from "../../lib/topology.js";
import { chooseChannel } from "../domain/contact.js";
import { retentionMessageFor, type Warning } from "../domain/retention.js";
import type { ActionLedger, ContactStore, ErasureRegistry, RetentionPublisher } from "../ports.js";

/**
 * Picks the first channel the user consented to and hands the message to that channel. A warning
 * left over from before the user's erasure is dropped without a trace ("erased").
 */
export async function planWarning(
  warning: Warning,
  deps: {
    readonly contacts: ContactStore;
    readonly publisher: RetentionPublisher;
    readonly ledger: ActionLedger;
    readonly erasures: ErasureRegistry;
    readonly preference: readonly Channel[];
    readonly now: Date;
  },
): Promise<Channel | null | "erased"> {
  const contact = await deps.contacts.get(warning.appId, warning.userId);
  if (!contact && (await deps.erasures.erasedAt([warning])).size > 0) return "erased";
  const channel = chooseChannel(contact, deps.preference) ?? null;
  if (channel) {
    await deps.publisher.publish(retentionMessageFor(warning, channel, deps.now));
  }
  await deps.ledger.recordPlanned(warning, channel, channel ? "published" : "no_consented_channel");
  return channel;
}
