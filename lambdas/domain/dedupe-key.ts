import { createHash } from "node:crypto";

/**
 * The dedupe marker of an event: one per app and event ID, as the contract promises, whoever
 * the user. A hash, so a client that puts something personal into an event ID leaves none of
 * it in the marker, and markers need no erasure.
 */
export function dedupeKey(appId: string, eventId: string): string {
  return `EVT#${createHash("sha256").update(`${appId}\u0000${eventId}`).digest("hex")}`;
}
