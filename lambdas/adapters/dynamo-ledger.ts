import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Channel } from "../../lib/topology.js";
import { type HighValueAtRisk, mergeTopHighValue } from "../domain/marketing.js";
import type { RetentionMessage, Warning } from "../domain/retention.js";
import { type CohortHistograms, mergeHistograms } from "../domain/risk-tiers.js";
import { addTotals, emptyTotals } from "../domain/run-summary.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { DigestLedger } from "../marketing-ports.js";
import type {
  ActionLedger,
  DeliveryLedger,
  DeliveryOutcome,
  RunLedger,
  RunSummary,
  SegmentSummary,
} from "../ports.js";
import { conditionally } from "./conditional-write.js";

/** Runs are listed under one partition, newest last by as-of, to find the recent ones. */
export const RUN_INDEX_PK = "RUNS";
/**
 * Set on a run's `RUNS` entry once its items no longer hold top high-value lists (user IDs):
 * erasure has to look only at the runs without it.
 */
export const TOP_LISTS_REMOVED_AT = "topHighValueRemovedAt";

const DAY_SECONDS = 86_400;
/** Ledger entries outlive any redelivery by far; a year keeps win-back measurement possible. */
const LEDGER_TTL_DAYS = 400;

/**
 * Ledger table. Per user (pk = the user's key): `ACTION#<warningId>` what planning decided,
 * `DELIVERY#<dedupeKey>` each send attempt's claim and outcome. Per run (pk = `RUN#<runId>`):
 * `RUN` the dispatch state and the marketing digest's claim (`digest`: claimed | published),
 * `SEGMENT#<n>` each segment's summary with its top high-value users at risk (until the digest
 * is published: then the lists go, so old runs hold no user IDs).
 * `RUNS` / `<asOf>#<runId>` lists the runs in as-of order; `topHighValueRemovedAt` once the
 * run's lists are gone.
 */
export class DynamoLedger implements DeliveryLedger, ActionLedger, RunLedger, DigestLedger {
  /** The lease end of each digest claim this instance holds: a release gives back only its own. */
  private readonly digestClaims = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiry(): number {
    return Math.floor(this.now().getTime() / 1000) + LEDGER_TTL_DAYS * DAY_SECONDS;
  }

  /**
   * The claim is a lease: if the sender dies between claim and outcome, another delivery may
   * take over once the lease (the invocation's remaining time) has run out.
   */
  async claim(message: RetentionMessage, leaseMs = 60_000) {
    const now = this.now();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: userPartitionKey(message.appId, message.userId),
            sk: `DELIVERY#${message.dedupeKey}`,
            status: "sending",
            appId: message.appId,
            userId: message.userId,
            dedupeKey: message.dedupeKey,
            channel: message.channel,
            warningId: message.warningId,
            claimedAt: now.toISOString(),
            leaseUntil: now.getTime() + leaseMs,
            expiresAt: this.expiry(),
          },
          ConditionExpression:
            "attribute_not_exists(pk) OR #status IN (:failed, :deferred) OR (#status = :sending AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":failed": "failed",
            ":deferred": "deferred",
            ":sending": "sending",
            ":now": now.getTime(),
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return "claimed" as const;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item?.status?.S === "sending" ? ("in-progress" as const) : ("done" as const);
    }
  }

  async record(message: RetentionMessage, outcome: DeliveryOutcome): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: {
          pk: userPartitionKey(message.appId, message.userId),
          sk: `DELIVERY#${message.dedupeKey}`,
        },
        UpdateExpression:
          "SET #status = :status, completedAt = :at, providerMessageId = :id, reason = :reason, deferredUntil = :until, channel = :channel, warningId = :warning, appId = :app, userId = :user, dedupeKey = :key, expiresAt = :expires",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":status": outcome.status,
          ":at": this.now().toISOString(),
          ":id": outcome.status === "sent" ? outcome.providerMessageId : null,
          ":reason": outcome.status === "sent" ? null : outcome.reason,
          ":until": outcome.status === "deferred" ? outcome.until : null,
          ":app": message.appId,
          ":user": message.userId,
          ":key": message.dedupeKey,
          ":channel": message.channel,
          ":warning": message.warningId,
          ":expires": this.expiry(),
        },
      }),
    );
  }

  async recordPlanned(warning: Warning, channel: Channel | null, reason: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: userPartitionKey(warning.appId, warning.userId),
          sk: `ACTION#${warning.warningId}`,
          runId: warning.runId,
          tier: warning.tier,
          score: warning.score,
          channel,
          reason,
          plannedAt: this.now().toISOString(),
          expiresAt: this.expiry(),
        },
      }),
    );
  }

  async beginRun(runId: string, asOf: string, segments: number) {
    const started = await conditionally(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `RUN#${runId}`,
            sk: "RUN",
            status: "dispatching",
            asOf,
            segments,
            startedAt: this.now().toISOString(),
            expiresAt: this.expiry(),
          },
          ConditionExpression: "attribute_not_exists(pk) OR #status = :dispatching",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":dispatching": "dispatching" },
        }),
      ),
    );
    if (started) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: RUN_INDEX_PK, sk: `${asOf}#${runId}`, runId, expiresAt: this.expiry() },
        }),
      );
    }
    return started ? ("started" as const) : ("already-dispatched" as const);
  }

  async markDispatched(runId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `RUN#${runId}`, sk: "RUN" },
        UpdateExpression: "SET #status = :dispatched, dispatchedAt = :at",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":dispatched": "dispatched", ":at": this.now().toISOString() },
      }),
    );
  }

  async segmentDone(runId: string, segment: number): Promise<boolean> {
    const found = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `RUN#${runId}`, sk: `SEGMENT#${segment}` },
        ConsistentRead: true,
      }),
    );
    return found.Item !== undefined;
  }

  async recordSegment(runId: string, segment: number, summary: SegmentSummary): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `RUN#${runId}`,
          sk: `SEGMENT#${segment}`,
          ...summary,
          completedAt: this.now().toISOString(),
          expiresAt: this.expiry(),
        },
      }),
    );
  }

  private async runItems(runId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": `RUN#${runId}` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async runSummary(runId: string): Promise<RunSummary | undefined> {
    const items = await this.runItems(runId);
    const run = items.find((item) => item.sk === "RUN");
    if (!run) return undefined;
    const segments = items.filter((item) => String(item.sk).startsWith("SEGMENT#"));
    const totals = segments.reduce(
      (sum, item) => addTotals(sum, item as Partial<SegmentSummary>),
      emptyTotals(),
    );
    const topHighValue = segments.reduce<HighValueAtRisk[]>(
      (top, item) =>
        Array.isArray(item.topHighValue)
          ? mergeTopHighValue(top, item.topHighValue as HighValueAtRisk[])
          : top,
      [],
    );
    const expected = Number(run.segments);
    const complete = segments.length >= expected;
    const startedAt = String(run.startedAt);
    const finishedAt = complete
      ? segments
          .map((item) => String(item.completedAt))
          .sort()
          .at(-1)
      : undefined;
    return {
      runId,
      asOf: String(run.asOf),
      segments: expected,
      segmentsDone: segments.length,
      complete,
      startedAt,
      ...(finishedAt
        ? { finishedAt, durationMs: Date.parse(finishedAt) - Date.parse(startedAt) }
        : {}),
      totals,
      // A segment that scored nobody names no model (""): nothing to list.
      models: [...new Set(segments.map((item) => String(item.model ?? "rules-v1")))]
        .filter((label) => label !== "")
        .sort(),
      topHighValue,
    };
  }

  /**
   * A lease on the RUN item: granted when no digest was claimed, or the last claim's lease ran
   * out without the digest being published.
   */
  async claimDigest(runId: string, leaseMs = 300_000): Promise<boolean> {
    const now = this.now().getTime();
    const until = now + leaseMs;
    const claimed = await conditionally(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RUN#${runId}`, sk: "RUN" },
          UpdateExpression:
            "SET #digest = :claimed, digestLeaseUntil = :until, digestClaimedAt = :at",
          ConditionExpression:
            "attribute_exists(pk) AND (attribute_not_exists(#digest) OR (#digest = :claimed AND digestLeaseUntil < :now))",
          ExpressionAttributeNames: { "#digest": "digest" },
          ExpressionAttributeValues: {
            ":claimed": "claimed",
            ":until": until,
            ":now": now,
            ":at": new Date(now).toISOString(),
          },
        }),
      ),
    );
    if (claimed) this.digestClaims.set(runId, until);
    return claimed;
  }

  async releaseDigest(runId: string): Promise<void> {
    const until = this.digestClaims.get(runId);
    if (until === undefined) return;
    this.digestClaims.delete(runId);
    await conditionally(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RUN#${runId}`, sk: "RUN" },
          UpdateExpression: "REMOVE #digest, digestLeaseUntil, digestClaimedAt",
          ConditionExpression: "#digest = :claimed AND digestLeaseUntil = :until",
          ExpressionAttributeNames: { "#digest": "digest" },
          ExpressionAttributeValues: { ":claimed": "claimed", ":until": until },
        }),
      ),
    );
  }

  /**
   * Marks the digest published, then drops the run's top high-value lists: they were kept only
   * for the digest, and a run that holds no user IDs is one erasure need not look at. The run's
   * `RUNS` entry records that they are gone; if dropping fails half-way it stays unmarked, and
   * erasure keeps looking at the run.
   */
  async markDigestPublished(runId: string): Promise<void> {
    this.digestClaims.delete(runId);
    const published = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `RUN#${runId}`, sk: "RUN" },
        UpdateExpression:
          "SET #digest = :published, digestPublishedAt = :at REMOVE digestLeaseUntil",
        ExpressionAttributeNames: { "#digest": "digest" },
        ExpressionAttributeValues: { ":published": "published", ":at": this.now().toISOString() },
        ReturnValues: "ALL_NEW",
      }),
    );
    await this.removeTopLists(runId);
    const asOf = published.Attributes?.asOf;
    if (typeof asOf !== "string") return;
    await conditionally(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: RUN_INDEX_PK, sk: `${asOf}#${runId}` },
          UpdateExpression: "SET #removed = :at",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#removed": TOP_LISTS_REMOVED_AT },
          ExpressionAttributeValues: { ":at": this.now().toISOString() },
        }),
      ),
    );
  }

  /** Drops `topHighValue` from every item of the run that has one. */
  private async removeTopLists(runId: string): Promise<void> {
    const items = await this.runItems(runId);
    for (const item of items) {
      if (item.topHighValue === undefined) continue;
      // Conditional: an item gone meanwhile (TTL) is not brought back as a bare key.
      await conditionally(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: "REMOVE topHighValue",
            ConditionExpression: "attribute_exists(pk)",
          }),
        ),
      );
    }
  }

  async recentHistograms(lookbackRuns: number) {
    const parts: CohortHistograms[] = [];
    let start: Record<string, unknown> | undefined;
    let runs = 0;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": RUN_INDEX_PK },
          ScanIndexForward: false,
          Limit: lookbackRuns * 2,
          ExclusiveStartKey: start,
        }),
      );
      for (const entry of page.Items ?? []) {
        if (runs >= lookbackRuns) break;
        const items = await this.runItems(String(entry.runId));
        const run = items.find((item) => item.sk === "RUN");
        const segments = items.filter((item) => String(item.sk).startsWith("SEGMENT#"));
        // An unfinished run would skew the quantiles towards the segments that happened to finish.
        if (!run || segments.length < Number(run.segments)) continue;
        runs += 1;
        for (const segment of segments) {
          if (segment.histograms) parts.push(segment.histograms as CohortHistograms);
        }
      }
      start = runs >= lookbackRuns ? undefined : page.LastEvaluatedKey;
    } while (start);
    return { runs, histograms: mergeHistograms(parts) };
  }
}
