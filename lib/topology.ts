/**
 * The one description of churnwatch's wiring. The CDK constructs build AWS resources from it and
 * local mode builds emulator resources and pollers from it, so the two cannot drift apart
 * (test/infra/topology-agreement.test.ts proves it on the synthesized template).
 *
 * Pure data: no CDK and no AWS SDK imports, so Lambdas, local mode and CDK can all read it.
 */

import { ENV, type EnvName } from "../lambdas/shared/env-names.js";

export type FunctionName =
  | "authorizer"
  | "ingest"
  | "contact"
  | "users"
  | "features"
  | "scoreDispatch"
  | "score"
  | "plan"
  | "release"
  | "reports"
  | "feedback"
  | "sms"
  | "email"
  | "push";

export type Channel = "sms" | "email" | "push";
export const CHANNELS: readonly Channel[] = ["email", "push", "sms"];

export type TableAccess = "read" | "readWrite";

/** What a function may touch; CDK turns it into environment variables and IAM grants. */
export interface FunctionAccess {
  readonly tables?: Partial<Record<TableName, TableAccess>>;
  readonly sendsTo?: readonly QueueName[];
  readonly publishesTo?: readonly TopicName[];
}

export interface FunctionSpec {
  /** Path of the handler module, relative to the repository root. */
  readonly entry: string;
  readonly access: FunctionAccess;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Reserved concurrency: set on senders to protect SMS/e-mail provider quotas. */
  readonly reservedConcurrency?: number;
}

export const functions: Readonly<Record<FunctionName, FunctionSpec>> = {
  authorizer: {
    entry: "lambdas/authorizer/handler.ts",
    timeoutSeconds: 5,
    memoryMb: 256,
    access: { tables: { apiKeys: "read" } },
  },
  ingest: {
    entry: "lambdas/ingest/handler.ts",
    timeoutSeconds: 10,
    memoryMb: 512,
    access: { sendsTo: ["events"] },
  },
  contact: {
    entry: "lambdas/contact/handler.ts",
    timeoutSeconds: 10,
    memoryMb: 256,
    access: { tables: { contacts: "readWrite" } },
  },
  users: {
    entry: "lambdas/users/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    access: { tables: { users: "readWrite", contacts: "readWrite", ledger: "readWrite" } },
  },
  features: {
    entry: "lambdas/features/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 512,
    // Reads erasure tombstones from the ledger, so leftovers of an erased user are dropped.
    // Sends warnings itself for rules a single event can trip (an uninstall signal is urgent).
    access: {
      tables: { users: "readWrite", dedupe: "readWrite", ledger: "read", scoring: "read" },
      sendsTo: ["warnings"],
    },
  },
  scoreDispatch: {
    entry: "lambdas/score-dispatch/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    access: { tables: { ledger: "readWrite", scoring: "read" }, sendsTo: ["scoring"] },
  },
  score: {
    entry: "lambdas/score/handler.ts",
    timeoutSeconds: 300,
    memoryMb: 1024,
    // Publishes the run's marketing digest when its last segment finishes.
    access: {
      tables: { users: "readWrite", ledger: "readWrite", scoring: "read" },
      sendsTo: ["warnings"],
      publishesTo: ["marketing"],
    },
  },
  plan: {
    entry: "lambdas/plan/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    // Alerts marketing itself when the policy escalates a high-value user to a human.
    access: {
      tables: { contacts: "read", ledger: "readWrite" },
      publishesTo: ["retention", "marketing"],
    },
  },
  release: {
    entry: "lambdas/release/handler.ts",
    timeoutSeconds: 60,
    memoryMb: 256,
    // Hands messages held back by quiet hours to their channel once the user's morning comes.
    access: { tables: { ledger: "readWrite" }, publishesTo: ["retention"] },
  },
  feedback: {
    entry: "lambdas/feedback/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    // Marks a channel undeliverable after a permanent bounce or a complaint.
    access: { tables: { contacts: "readWrite" } },
  },
  reports: {
    entry: "lambdas/reports/handler.ts",
    timeoutSeconds: 29,
    memoryMb: 512,
    access: { tables: { users: "read", ledger: "read" } },
  },
  sms: {
    entry: "lambdas/sms/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    reservedConcurrency: 5,
    access: { tables: { contacts: "readWrite", ledger: "readWrite" } },
  },
  email: {
    entry: "lambdas/email/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    reservedConcurrency: 5,
    access: { tables: { contacts: "readWrite", ledger: "readWrite" } },
  },
  push: {
    entry: "lambdas/push/handler.ts",
    timeoutSeconds: 30,
    memoryMb: 256,
    reservedConcurrency: 5,
    // An invalid token marks the channel and becomes a push_token_invalid event.
    access: { tables: { contacts: "readWrite", ledger: "readWrite" }, sendsTo: ["events"] },
  },
};

export type QueueName = "events" | "scoring" | "warnings" | "sms" | "email" | "push" | "feedback";

export interface QueueSpec {
  /** The function an event-source mapping delivers this queue's batches to. */
  readonly consumer: FunctionName;
  readonly batchSize: number;
  /** How long a mapping waits to fill a batch (0 = deliver as soon as anything is there). */
  readonly maxBatchingWindowSeconds: number;
  /** Deliveries before a message moves to the queue's DLQ. */
  readonly maxReceiveCount: number;
  /** Multiple of the consumer's timeout; AWS asks for at least 6 with event-source mappings. */
  readonly visibilityTimeoutFactor: number;
  readonly retentionDays: number;
}

export const queues: Readonly<Record<QueueName, QueueSpec>> = {
  events: {
    consumer: "features",
    batchSize: 100,
    maxBatchingWindowSeconds: 1,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 14,
  },
  scoring: {
    consumer: "score",
    batchSize: 1,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 4,
  },
  warnings: {
    consumer: "plan",
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 4,
  },
  sms: {
    consumer: "sms",
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 4,
  },
  email: {
    consumer: "email",
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 4,
  },
  push: {
    consumer: "push",
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 4,
  },
  feedback: {
    consumer: "feedback",
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxReceiveCount: 5,
    visibilityTimeoutFactor: 6,
    retentionDays: 14,
  },
};

/** DLQs keep failed messages the longest SQS allows, so an operator has time to look. */
export const DLQ_RETENTION_DAYS = 14;

export function visibilityTimeoutSeconds(queue: QueueName): number {
  const spec = queues[queue];
  return functions[spec.consumer].timeoutSeconds * spec.visibilityTimeoutFactor;
}

export type TopicName = "retention" | "marketing" | "ops" | "feedback";

export interface SubscriptionSpec {
  readonly queue: QueueName;
  /** SNS filter policy on message attributes. */
  readonly filterPolicy: Readonly<Record<string, readonly string[]>>;
  /**
   * Raw delivery (the default) hands the queue the message alone; off, the queue gets SNS's
   * signed envelope, which provider feedback needs to verify where a notification came from.
   */
  readonly rawMessageDelivery?: boolean;
}

export interface TopicSpec {
  readonly subscriptions: readonly SubscriptionSpec[];
  /** Whether local mode creates it (the ops topic only carries CloudWatch alarms). */
  readonly local: boolean;
}

export const CHANNEL_ATTRIBUTE = "channel";

export const topics: Readonly<Record<TopicName, TopicSpec>> = {
  retention: {
    local: true,
    subscriptions: [
      { queue: "sms", filterPolicy: { [CHANNEL_ATTRIBUTE]: ["sms"] } },
      { queue: "email", filterPolicy: { [CHANNEL_ATTRIBUTE]: ["email"] } },
      { queue: "push", filterPolicy: { [CHANNEL_ATTRIBUTE]: ["push"] } },
    ],
  },
  marketing: { local: true, subscriptions: [] },
  /** SES bounce and complaint events (the configuration set's event destination). */
  feedback: {
    local: true,
    subscriptions: [{ queue: "feedback", filterPolicy: {}, rawMessageDelivery: false }],
  },
  ops: { local: false, subscriptions: [] },
};

export type TableName = "users" | "dedupe" | "contacts" | "ledger" | "apiKeys" | "scoring";

export interface TableSpec {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Attribute holding an epoch-seconds expiry, where items expire. */
  readonly ttlAttribute?: string;
  /** Holds personal data: encrypted with a customer-managed key on AWS. */
  readonly personalData: boolean;
}

export const tables: Readonly<Record<TableName, TableSpec>> = {
  users: { partitionKey: "pk", sortKey: "sk", personalData: false },
  /** One marker per applied event, keyed by a hash of app and event ID: no user data in it. */
  dedupe: { partitionKey: "pk", ttlAttribute: "expiresAt", personalData: false },
  contacts: { partitionKey: "pk", personalData: true },
  ledger: { partitionKey: "pk", sortKey: "sk", ttlAttribute: "expiresAt", personalData: false },
  apiKeys: { partitionKey: "keyHash", personalData: false },
  /**
   * What scoring reads besides the users: fitted model versions with a CURRENT pointer per app
   * and model kind, and the app's promotion calendar (docs/data-model.md). Written by `fit` and
   * the operator; no user data in it.
   */
  scoring: { partitionKey: "pk", sortKey: "sk", personalData: false },
};

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  readonly path: string;
  readonly handler: FunctionName;
}

export const API_KEY_HEADER = "x-api-key";
/** Largest request body the API accepts, in bytes (the batch contract says 1 MB). */
export const MAX_BODY_BYTES = 1_048_576;

export const routes: readonly RouteSpec[] = [
  { method: "POST", path: "/v1/events", handler: "ingest" },
  { method: "PUT", path: "/v1/users/{userId}/contact", handler: "contact" },
  { method: "GET", path: "/v1/users/{userId}", handler: "users" },
  { method: "DELETE", path: "/v1/users/{userId}", handler: "users" },
  { method: "GET", path: "/v1/reports/winback", handler: "reports" },
];

export interface ScheduleSpec {
  readonly target: FunctionName;
  /** EventBridge schedule expression; local mode understands `rate(...)` and daily `cron(m h * * ? *)`. */
  readonly expression: string;
  /** The job name that, with the schedule's time, makes a run's idempotency key. */
  readonly job: string;
}

export const schedules: Readonly<Record<"scoring" | "release", ScheduleSpec>> = {
  scoring: { target: "scoreDispatch", expression: "cron(0 2 * * ? *)", job: "scoring" },
  /** Quiet hours end on the hour or half hour somewhere: five minutes late at most. */
  release: { target: "release", expression: "rate(5 minutes)", job: "release" },
};

/** Names local mode gives its emulator resources (AWS names are generated by CloudFormation). */
export function localResourceName(kind: "table" | "queue" | "dlq" | "topic", name: string): string {
  const suffix = kind === "dlq" ? "-dlq" : "";
  return `churnwatch-${name}${suffix}`;
}

/** The environment variable through which a function learns each resource's physical name. */
export const tableEnv: Readonly<Record<TableName, EnvName>> = {
  users: ENV.usersTable,
  dedupe: ENV.dedupeTable,
  contacts: ENV.contactsTable,
  ledger: ENV.ledgerTable,
  apiKeys: ENV.apiKeysTable,
  scoring: ENV.scoringTable,
};

export const queueUrlEnv: Readonly<Partial<Record<QueueName, EnvName>>> = {
  events: ENV.eventsQueueUrl,
  scoring: ENV.scoringQueueUrl,
  warnings: ENV.warningsQueueUrl,
};

export const topicArnEnv: Readonly<Partial<Record<TopicName, EnvName>>> = {
  retention: ENV.retentionTopicArn,
  marketing: ENV.marketingTopicArn,
};
