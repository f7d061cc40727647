/**
 * The numbers the dashboard, `/_local/stats` and `churnwatch score` show: users and events from
 * the profile items, users at risk, queue and DLQ depths, and outbox counts. Read-only.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { QueueInspector } from "./emulators/fauxqs.js";
import { type MarketingLine, type OutboxEntry, readOutbox } from "./outbox.js";
import { parallelScan } from "./parallel-scan.js";

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly deadLetters: number;
}

export interface LocalStats {
  readonly users: number;
  readonly usersAtRisk: number;
  readonly events: number;
  readonly outbox: {
    readonly total: number;
    readonly byChannel: Readonly<Record<string, number>>;
    /** Marketing notifications (digests, alerts) written next to the messages. */
    readonly marketing: number;
  };
  readonly queues: Readonly<Record<string, QueueDepth>>;
}

export interface ProfileCounts {
  readonly users: number;
  readonly usersAtRisk: number;
  readonly events: number;
}

/** Profile item marker (`sk`), written by the features handler. */
export const PROFILE_SORT_KEY = "PROFILE";

interface ProfileProjection {
  readonly eventCount?: unknown;
  readonly risk?: { readonly atRisk?: unknown } | null;
}

export function countProfiles(items: readonly ProfileProjection[]): ProfileCounts {
  let events = 0;
  let usersAtRisk = 0;
  for (const item of items) {
    if (typeof item.eventCount === "number" && Number.isFinite(item.eventCount)) {
      events += item.eventCount;
    }
    if (item.risk?.atRisk === true) usersAtRisk++;
  }
  return { users: items.length, usersAtRisk, events };
}

export async function scanProfiles(
  doc: DynamoDBDocumentClient,
  usersTable: string,
): Promise<ProfileCounts> {
  const items: ProfileProjection[] = [];
  await parallelScan(
    doc,
    {
      TableName: usersTable,
      FilterExpression: "sk = :profile",
      ProjectionExpression: "eventCount, #risk",
      ExpressionAttributeNames: { "#risk": "risk" },
      ExpressionAttributeValues: { ":profile": PROFILE_SORT_KEY },
    },
    (page) => items.push(...(page as readonly ProfileProjection[])),
  );
  return countProfiles(items);
}

export interface StatsSources {
  readonly doc: DynamoDBDocumentClient;
  readonly usersTable: string;
  readonly inspector: QueueInspector;
  readonly queues: readonly {
    readonly key: string;
    readonly name: string;
    readonly dlqName: string;
  }[];
  readonly outboxPath: string;
}

export async function collectStats(
  sources: StatsSources,
  recentOutbox = 20,
): Promise<{
  stats: LocalStats;
  recentOutbox: readonly OutboxEntry[];
  recentMarketing: readonly MarketingLine[];
}> {
  const [profiles, outbox, depths] = await Promise.all([
    scanProfiles(sources.doc, sources.usersTable),
    readOutbox(sources.outboxPath, recentOutbox),
    Promise.all(
      sources.queues.map(async (queue) => {
        const [main, dlq] = await Promise.all([
          sources.inspector.snapshot(queue.name),
          sources.inspector.snapshot(queue.dlqName),
        ]);
        const depth: QueueDepth = {
          visible: main?.visible ?? 0,
          inFlight: main?.inFlight.length ?? 0,
          delayed: main?.delayed ?? 0,
          deadLetters: (dlq?.visible ?? 0) + (dlq?.inFlight.length ?? 0) + (dlq?.delayed ?? 0),
        };
        return [queue.key, depth] as const;
      }),
    ),
  ]);
  return {
    stats: {
      ...profiles,
      outbox: {
        total: outbox.total,
        byChannel: outbox.byChannel,
        marketing: outbox.marketing.total,
      },
      queues: Object.fromEntries(depths),
    },
    recentOutbox: outbox.recent,
    recentMarketing: outbox.marketing.recent,
  };
}
