import { createHash } from "node:crypto";
import { userPartitionKey } from "./user-key.js";

/**
 * After an erasure, messages that were already queued for the user must not bring the user back.
 * A tombstone remembers the erasure under a hash of the user's key: it holds no user ID, yet
 * the features, plan and sender functions can still recognise the user's leftovers.
 */
export function erasureKey(appId: string, userId: string): string {
  return `ERASED#${createHash("sha256").update(userPartitionKey(appId, userId)).digest("hex")}`;
}

/** An event the API accepted at `receivedAt` was queued before an erasure at `erasedAt`. */
export function predatesErasure(receivedAt: string, erasedAt: string | undefined): boolean {
  return erasedAt !== undefined && Date.parse(receivedAt) <= Date.parse(erasedAt);
}
