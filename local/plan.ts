/**
 * What local mode builds from the topology: emulator resources, pollers, routes and timers.
 * Derived in one place so the agreement test can hold it against the synthesized template.
 */
import type { Message } from "@aws-sdk/client-sqs";
import {
  DLQ_RETENTION_DAYS,
  type FunctionName,
  functions,
  localResourceName,
  type QueueName,
  queues,
  type RouteSpec,
  routes,
  schedules,
  type TableName,
  type TopicName,
  tables,
  topics,
  visibilityTimeoutSeconds,
} from "../lib/topology.js";
import { trackedEventUser } from "./sqs/affinity.js";

export interface LocalTable {
  readonly key: TableName;
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly ttlAttribute?: string;
}

export interface LocalQueue {
  readonly key: QueueName;
  readonly name: string;
  readonly dlqName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly dlqRetentionSeconds: number;
  readonly maxReceiveCount: number;
}

export interface LocalSubscription {
  readonly topic: TopicName;
  readonly queue: QueueName;
  readonly filterPolicy: Readonly<Record<string, readonly string[]>>;
  readonly rawMessageDelivery: boolean;
}

export interface LocalPoller {
  readonly queue: QueueName;
  readonly consumer: FunctionName;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  /**
   * Batches the local poller handles at once: Lambda's concurrent invocations of the consumer,
   * which local mode fixes (AWS scales them with the backlog).
   */
  readonly concurrency: number;
  /** Messages with the same key are never in two of those batches at once (see poller.ts). */
  readonly affinityKey?: (message: Message) => string | undefined;
}

export interface LocalSchedule {
  readonly name: string;
  readonly expression: string;
  readonly target: FunctionName;
  readonly job: string;
}

/** What the function runtime needs to invoke a handler the way Lambda would. */
export interface LocalFunction {
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface LocalPlan {
  readonly tables: readonly LocalTable[];
  readonly queues: readonly LocalQueue[];
  readonly topics: readonly { readonly key: TopicName; readonly name: string }[];
  readonly subscriptions: readonly LocalSubscription[];
  readonly pollers: readonly LocalPoller[];
  readonly schedules: readonly LocalSchedule[];
  readonly routes: readonly RouteSpec[];
  readonly handlerEntries: Readonly<Record<FunctionName, string>>;
  readonly functions: Readonly<Record<FunctionName, LocalFunction>>;
}

const DAY_SECONDS = 86_400;

/**
 * Batches the events queue's poller handles at once by default. Measured on 2 cores with
 * `churnwatch simulate`, 3,000 users × 60 days (218,000 events), five alternating rounds, events
 * applied per second end to end: 1 → 2,470, 2 → 2,760, 4 → 3,340, 8 → 3,170 (two rounds); 10,000
 * users: 1 → 2,990, 4 → 4,070. Past 4 both cores are busy and more only slows the posting.
 */
export const DEFAULT_EVENTS_POLLERS = 4;

export interface LocalPollerSettings {
  readonly concurrency: number;
  readonly affinityKey?: (message: Message) => string | undefined;
}

/**
 * How local mode polls a queue beyond what the topology says (one batch at a time when not
 * listed). The events queue carries every tracked event: one batch at a time leaves the handler
 * waiting on DynamoDB Local round trips and the JVM waiting on the handler, so several batches
 * run at once, on different users each (batches sharing a user would race for its profile and
 * retry). The other queues carry little and keep to one batch at a time.
 */
export const LOCAL_POLLER_SETTINGS: Readonly<Partial<Record<QueueName, LocalPollerSettings>>> = {
  events: { concurrency: DEFAULT_EVENTS_POLLERS, affinityKey: trackedEventUser },
};

/** Sets the concurrency of the queues LOCAL_POLLER_SETTINGS lists (the events queue). */
export const POLLERS_ENV = "CHURNWATCH_POLLERS";
export const MAX_POLLERS = 16;

/** CHURNWATCH_POLLERS as a whole number from 1 to MAX_POLLERS; undefined when unset or empty. */
export function pollersFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[POLLERS_ENV]?.trim();
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_POLLERS) {
    throw new RangeError(
      `${POLLERS_ENV} must be a whole number from 1 to ${MAX_POLLERS}, got "${raw}"`,
    );
  }
  return value;
}

/** The plan's pollers, those LOCAL_POLLER_SETTINGS lists running `concurrency` batches at once. */
export function withPollerConcurrency(
  pollers: readonly LocalPoller[],
  concurrency: number | undefined,
): LocalPoller[] {
  return pollers.map((poller) =>
    concurrency !== undefined && LOCAL_POLLER_SETTINGS[poller.queue]
      ? { ...poller, concurrency }
      : poller,
  );
}

function entriesOf<K extends string, V>(record: Readonly<Record<K, V>>): [K, V][] {
  return Object.entries(record) as [K, V][];
}

export function buildLocalPlan(): LocalPlan {
  return {
    tables: entriesOf(tables).map(([key, spec]) => ({
      key,
      name: localResourceName("table", key),
      partitionKey: spec.partitionKey,
      ...(spec.sortKey ? { sortKey: spec.sortKey } : {}),
      ...(spec.ttlAttribute ? { ttlAttribute: spec.ttlAttribute } : {}),
    })),
    queues: entriesOf(queues).map(([key, spec]) => ({
      key,
      name: localResourceName("queue", key),
      dlqName: localResourceName("dlq", key),
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(key),
      retentionSeconds: spec.retentionDays * DAY_SECONDS,
      dlqRetentionSeconds: DLQ_RETENTION_DAYS * DAY_SECONDS,
      maxReceiveCount: spec.maxReceiveCount,
    })),
    topics: entriesOf(topics)
      .filter(([, spec]) => spec.local)
      .map(([key]) => ({ key, name: localResourceName("topic", key) })),
    subscriptions: entriesOf(topics).flatMap(([topic, spec]) =>
      spec.local
        ? spec.subscriptions.map((sub) => ({
            topic,
            queue: sub.queue,
            filterPolicy: sub.filterPolicy,
            rawMessageDelivery: sub.rawMessageDelivery ?? true,
          }))
        : [],
    ),
    pollers: entriesOf(queues).map(([key, spec]) => ({
      queue: key,
      consumer: spec.consumer,
      batchSize: spec.batchSize,
      maxBatchingWindowSeconds: spec.maxBatchingWindowSeconds,
      visibilityTimeoutSeconds: visibilityTimeoutSeconds(key),
      concurrency: 1,
      ...LOCAL_POLLER_SETTINGS[key],
    })),
    schedules: entriesOf(schedules).map(([name, spec]) => ({
      name,
      expression: spec.expression,
      target: spec.target,
      job: spec.job,
    })),
    routes,
    handlerEntries: Object.fromEntries(
      entriesOf(functions).map(([name, spec]) => [name, spec.entry]),
    ) as Record<FunctionName, string>,
    functions: Object.fromEntries(
      entriesOf(functions).map(([name, spec]) => [
        name,
        { entry: spec.entry, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb },
      ]),
    ) as Record<FunctionName, LocalFunction>,
  };
}
