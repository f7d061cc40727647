/**
 * What the win-back report reads: the plan step's action records and the senders' delivery
 * records from the ledger, and the users' profiles. Read-only; AWS adapters in
 * `adapters/dynamo-action-records.ts`, in-memory fakes in the tests.
 */
import type { ActionRecord, DeliveryRecord } from "./domain/actions/action-record.js";
import type { UserFeatures } from "./domain/features.js";

export interface ActionFilter {
  /** Only this experiment's actions. */
  readonly experimentId?: string;
}

/** One action, as far as finding its deliveries goes. */
export interface ActionRef {
  readonly appId: string;
  readonly userId: string;
  readonly warningId: string;
}

export interface ActionRecordReader {
  /** Every action record of one app (optionally one experiment's), page by page. */
  actionsOf(appId: string, filter?: ActionFilter): AsyncIterable<readonly ActionRecord[]>;
  /** The delivery records of each action, keyed by `actionKey(userId, warningId)`. */
  deliveriesOf(
    actions: readonly ActionRef[],
  ): Promise<ReadonlyMap<string, readonly DeliveryRecord[]>>;
}

export interface ProfileReader {
  /** The profiles of these users of one app, by userId; users without one are left out. */
  profilesOf(appId: string, userIds: readonly string[]): Promise<ReadonlyMap<string, UserFeatures>>;
}
