/**
 * The ports of the actions path beyond delivery itself: what planning recorded, the per-user send
 * slots the frequency cap and cooldowns count, and messages held back by quiet hours.
 */
import type { ActionRecord } from "./domain/actions/action-record.js";
import type { SendSlot } from "./domain/actions/frequency.js";
import type { RetentionMessage } from "./domain/retention.js";

export interface ActionRecords {
  /** Whether the plan step already handled this warning (a redelivered warning does nothing). */
  hasAction(appId: string, userId: string, warningId: string): Promise<boolean>;
  /** Writes the record once; false when one exists already. */
  putAction(record: ActionRecord): Promise<boolean>;
}

/** What a user's slot list looked like when read: the version guards the write that follows. */
export interface SlotState {
  readonly slots: readonly SendSlot[];
  readonly version: number;
}

export interface SendSlots {
  read(appId: string, userId: string): Promise<SlotState>;
  /**
   * Replaces the slot list if nobody changed it since `expected` was read; false when someone
   * did (a concurrent send for the same user): read again and re-check the cap.
   */
  write(
    appId: string,
    userId: string,
    expected: SlotState,
    slots: readonly SendSlot[],
  ): Promise<boolean>;
}

export interface DeferredMessage {
  readonly message: RetentionMessage;
  readonly until: Date;
}

export interface DeferredMessages {
  /** Holds a message until `until`; holding the same dedupe key again replaces the first hold. */
  defer(message: RetentionMessage, until: Date): Promise<void>;
  /** Messages due at or before `now` that are still held, oldest first, at most `limit`. */
  due(now: Date, limit: number): Promise<readonly DeferredMessage[]>;
  /** Forgets a hold once its message was handed back to its channel. */
  release(held: DeferredMessage): Promise<void>;
}

/** Claims a marketing alert for one warning, so a redelivered warning alerts once. */
export interface AlertClaims {
  claim(appId: string, userId: string, warningId: string): Promise<boolean>;
  /** Gives the claim back after the alert could not be sent, so a retry may send it. */
  unclaim(appId: string, userId: string, warningId: string): Promise<void>;
}
