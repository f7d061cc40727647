/**
 * Affinity keys for local pollers running batches side by side (see `affinityKey` in poller.ts):
 * messages with one key never sit in two batches in hand at once.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { userPartitionKey } from "../../lambdas/domain/user-key.js";

/**
 * The user an events-queue message (a tracked event: `{ appId, event: { userId } }`) is about, as
 * the features handler keys the profile it writes; undefined for a body that is not one (the
 * handler rejects it on its own, whatever batch it is in).
 */
export function trackedEventUser(message: Message): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? "");
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const { appId, event } = body as { appId?: unknown; event?: { userId?: unknown } | null };
  const userId = typeof event === "object" && event !== null ? event.userId : undefined;
  if (typeof appId !== "string" || typeof userId !== "string") return undefined;
  return userPartitionKey(appId, userId);
}
