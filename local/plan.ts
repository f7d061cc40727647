/**
 * What local mode builds from the topology: emulator resources, pollers, routes and timers.
 * Derived in one place so the agreement test can hold it against the synthesized template.
 */
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
