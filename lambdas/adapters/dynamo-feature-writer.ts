import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { dedupeKey } from "../domain/dedupe-key.js";
import { predatesErasure } from "../domain/erasure.js";
import {
  applyEvents,
  type FeatureInput,
  type UserFeatures,
  type UserProfile,
} from "../domain/features.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { ErasureRegistry, UserBatchOutcome, UserEvents } from "../ports.js";
import { batchGetAll } from "./dynamo-batch-get.js";

export const PROFILE_SK = "PROFILE";

/** DynamoDB's limit: 100 items per transaction. */
const MAX_TRANSACTION_ITEMS = 100;
/** Transactions may carry 4 MB; leave room for key and expression overhead. */
const MAX_TRANSACTION_BYTES = 3_000_000;
const MAX_ATTEMPTS = 8;
const DAY_SECONDS = 86_400;

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]
>[number];

/** One user's share of a transaction: its dedupe markers, then its profile. */
interface UserWrite {
  readonly key: string;
  readonly pending: readonly FeatureInput[];
  readonly items: readonly TransactItem[];
  readonly bytes: number;
  /** Lost a race on its profile before: it gets a transaction of its own, so it holds up nobody. */
  readonly alone: boolean;
}

interface UserState {
  readonly appId: string;
  readonly userId: string;
  pending: FeatureInput[];
  applied: number;
  duplicates: number;
  erased: number;
  conflicts: number;
  done: boolean;
}

function pause(attempt: number): Promise<void> {
  const ms = Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function toProfile(item: Record<string, unknown>): UserProfile {
  const { pk: _pk, sk: _sk, updatedAt: _updatedAt, ...profile } = item;
  return profile as unknown as UserProfile;
}

/**
 * Applies a whole SQS batch with as few write requests as DynamoDB allows: the users of the batch
 * share transactions (up to 100 items each), and within them each user gets one conditional
 * dedupe marker per event (dedupe table) plus one profile write guarded by its version. An event is applied
 * exactly when its marker is created, so a redelivered or concurrently delivered event finds the
 * marker and is dropped; a profile that moved on is re-read and the user retried.
 */
export class DynamoFeatureWriter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly dedupeTable: string,
    private readonly dedupeTtlDays: number,
    private readonly now: () => Date,
    private readonly erasures?: ErasureRegistry,
  ) {}

  async applyBatch(batch: readonly UserEvents[]): Promise<Map<string, UserBatchOutcome>> {
    const states = new Map<string, UserState>();
    for (const { appId, userId, inputs } of batch) {
      const key = userPartitionKey(appId, userId);
      const state = states.get(key) ?? {
        appId,
        userId,
        pending: [],
        applied: 0,
        duplicates: 0,
        erased: 0,
        conflicts: 0,
        done: false,
      };
      state.pending.push(...inputs);
      states.set(key, state);
    }
    // A transaction may not touch one item twice, so repeats of an app's event ID inside the
    // batch go first, across users too (the marker is per app and event, not per user).
    const seen = new Set<string>();
    for (const state of states.values()) {
      const unique = state.pending.filter((input) => {
        const marker = dedupeKey(state.appId, input.event.eventId);
        if (seen.has(marker)) return false;
        seen.add(marker);
        return true;
      });
      state.duplicates += state.pending.length - unique.length;
      state.pending = unique;
    }
    await this.dropErasedLeftovers([...states.values()]);

    let lastError: unknown;
    // Rounds go on while users have events left: more than one for a user with more events than
    // a transaction holds. Only rounds where something failed count against the attempts.
    for (let failures = 0; failures < MAX_ATTEMPTS; ) {
      const open = [...states.entries()].filter(([, state]) => !state.done);
      for (const [, state] of open) if (state.pending.length === 0) state.done = true;
      const todo = open.filter(([, state]) => !state.done);
      if (todo.length === 0) break;
      if (failures > 0) await pause(failures);
      const profiles = await this.readProfiles(todo.map(([key]) => key));
      const writes = todo.map(([key, state]) => this.userWrite(key, state, profiles.get(key)));
      const results = await Promise.allSettled(
        this.pack(writes).map((transaction) => this.commit(transaction, states)),
      );
      let failed = false;
      for (const result of results) {
        if (result.status === "rejected") lastError = result.reason;
        if (result.status === "rejected" || !result.value) failed = true;
      }
      if (failed) failures += 1;
    }

    const outcomes = new Map<string, UserBatchOutcome>();
    for (const [key, state] of states) {
      outcomes.set(
        key,
        state.done
          ? { applied: state.applied, duplicates: state.duplicates, erased: state.erased }
          : {
              error: new Error(
                `profile update for ${key} did not go through after ${MAX_ATTEMPTS} attempts: ${String(lastError ?? "kept conflicting")}`,
              ),
            },
      );
    }
    return outcomes;
  }

  /** Events queued before their user was erased must not bring the user back. */
  private async dropErasedLeftovers(states: UserState[]): Promise<void> {
    if (!this.erasures || states.length === 0) return;
    const erased = await this.erasures.erasedAt(states);
    for (const state of states) {
      const erasedAt = erased.get(`${state.appId}\u0000${state.userId}`);
      if (erasedAt === undefined) continue;
      const kept = state.pending.filter(
        (input) => input.receivedAt === undefined || !predatesErasure(input.receivedAt, erasedAt),
      );
      state.erased += state.pending.length - kept.length;
      state.pending = kept;
    }
  }

  private async readProfiles(keys: readonly string[]): Promise<Map<string, UserProfile>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      keys.map((pk) => ({ pk, sk: PROFILE_SK })),
      "profile reads",
    );
    return new Map(items.map((item) => [String(item.pk), toProfile(item)]));
  }

  /** A user's share of this round: as many events as fit one transaction with the profile. */
  private userWrite(key: string, state: UserState, current: UserProfile | undefined): UserWrite {
    // An oversized user's first events go now; the rest follow on the next round.
    const pending = state.pending.slice(0, MAX_TRANSACTION_ITEMS - 1);
    const features = applyEvents(current, state.appId, state.userId, pending);
    const items: TransactItem[] = [
      ...pending.map(({ event }) => ({
        Put: {
          TableName: this.dedupeTable,
          Item: { pk: dedupeKey(state.appId, event.eventId), expiresAt: this.expiry() },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      })),
      {
        Put: {
          TableName: this.tableName,
          Item: this.profileItem(key, features, current),
          ...(current
            ? {
                ConditionExpression: "version = :version",
                ExpressionAttributeValues: { ":version": current.version },
              }
            : { ConditionExpression: "attribute_not_exists(pk)" }),
        },
      },
    ];
    return {
      key,
      pending,
      items,
      bytes: Buffer.byteLength(JSON.stringify(items)),
      alone: state.conflicts > 0,
    };
  }

  /** Packs whole users into transactions, first fit, within the item and size limits. */
  private pack(writes: readonly UserWrite[]): UserWrite[][] {
    const transactions: { writes: UserWrite[]; items: number; bytes: number }[] = [];
    for (const write of writes) {
      const fit = transactions.find(
        (t) =>
          !write.alone &&
          !t.writes.some((other) => other.alone) &&
          t.items + write.items.length <= MAX_TRANSACTION_ITEMS &&
          t.bytes + write.bytes <= MAX_TRANSACTION_BYTES,
      );
      if (fit) {
        fit.writes.push(write);
        fit.items += write.items.length;
        fit.bytes += write.bytes;
      } else {
        transactions.push({ writes: [write], items: write.items.length, bytes: write.bytes });
      }
    }
    return transactions.map((t) => t.writes);
  }

  /** Commits one transaction; false when it was cancelled and its users must go again. */
  private async commit(
    transaction: readonly UserWrite[],
    states: Map<string, UserState>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({ TransactItems: transaction.flatMap((write) => write.items) }),
      );
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // The whole transaction was cancelled: nobody in it was applied. Events whose marker
      // exists were applied before and are dropped; everyone else is retried on fresh reads.
      const reasons = error.CancellationReasons ?? [];
      let offset = 0;
      for (const write of transaction) {
        const state = states.get(write.key) as UserState;
        const seenBefore = new Set(
          write.pending
            .filter((_, index) => reasons[offset + index]?.Code === "ConditionalCheckFailed")
            .map(({ event }) => event.eventId),
        );
        state.duplicates += seenBefore.size;
        state.pending = state.pending.filter(({ event }) => !seenBefore.has(event.eventId));
        const profileReason = reasons[offset + write.items.length - 1]?.Code;
        if (profileReason && profileReason !== "None") state.conflicts += 1;
        offset += write.items.length;
      }
      return false;
    }
    for (const write of transaction) {
      const state = states.get(write.key) as UserState;
      const applied = new Set(write.pending.map(({ event }) => event.eventId));
      state.applied += applied.size;
      state.pending = state.pending.filter(({ event }) => !applied.has(event.eventId));
    }
    return true;
  }

  private expiry(): number {
    return Math.floor(this.now().getTime() / 1000) + this.dedupeTtlDays * DAY_SECONDS;
  }

  private profileItem(pk: string, features: UserFeatures, current: UserProfile | undefined) {
    return {
      pk,
      sk: PROFILE_SK,
      ...features,
      ...(current?.risk ? { risk: current.risk } : {}),
      version: (current?.version ?? 0) + 1,
      updatedAt: this.now().toISOString(),
    };
  }
}
