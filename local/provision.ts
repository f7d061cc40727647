/**
 * Creates in the emulators what the CDK stack creates on AWS, from the same local plan: tables
 * (with TTL), queues with their DLQs and redrive policies, topics, and SNS→SQS subscriptions with
 * the topology's filter policies. Idempotent, because `--data-dir` keeps tables across restarts.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { type ApiKeyRecord, hashApiKey } from "../lambdas/domain/api-keys.js";
import type { QueueName, TableName, TopicName } from "../lib/topology.js";
import { LocalModeError } from "./errors.js";
import type { LocalPlan, LocalQueue, LocalTable } from "./plan.js";

export interface ProvisionedQueue {
  readonly key: QueueName;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqName: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface ProvisionedResources {
  readonly tables: Readonly<Record<TableName, string>>;
  readonly queues: Readonly<Record<QueueName, ProvisionedQueue>>;
  readonly topicArns: Readonly<Partial<Record<TopicName, string>>>;
}

export interface ProvisionClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

function keySchemaOf(table: LocalTable): KeySchemaElement[] {
  return [
    { AttributeName: table.partitionKey, KeyType: "HASH" },
    ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: "RANGE" as const }] : []),
  ];
}

function sameKeySchema(a: readonly KeySchemaElement[], b: readonly KeySchemaElement[]): boolean {
  const render = (schema: readonly KeySchemaElement[]) =>
    schema.map((element) => `${element.AttributeName}:${element.KeyType}`).join(",");
  return render(a) === render(b);
}

async function ensureTable(dynamodb: DynamoDBClient, table: LocalTable): Promise<void> {
  const keySchema = keySchemaOf(table);
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: keySchema,
        // Every key in the topology is a string (ids, hashes, composite sort keys).
        AttributeDefinitions: keySchema.map((element) => ({
          AttributeName: element.AttributeName,
          AttributeType: "S",
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    // Kept from an earlier run (--data-dir): usable only if its keys still match the topology.
    const existing = await dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
    if (!sameKeySchema(existing.Table?.KeySchema ?? [], keySchema)) {
      throw new LocalModeError(
        `table ${table.name} in the data directory has a different key schema than the topology: ` +
          "delete the data directory's dynamodb folder (its data is lost) and start again",
        1,
      );
    }
  }
  if (table.ttlAttribute) {
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table.name }));
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== "ENABLED") {
      await dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: table.name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
}

async function queueArnOf(sqs: SQSClient, url: string): Promise<string> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

async function ensureQueue(sqs: SQSClient, queue: LocalQueue): Promise<ProvisionedQueue> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: queue.dlqName,
      Attributes: { MessageRetentionPeriod: String(queue.dlqRetentionSeconds) },
    }),
  );
  if (!dlq.QueueUrl) throw new Error(`fauxqs returned no URL for ${queue.dlqName}`);
  const dlqArn = await queueArnOf(sqs, dlq.QueueUrl);
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: queue.name,
      Attributes: {
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(queue.retentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: queue.maxReceiveCount,
        }),
      },
    }),
  );
  if (!main.QueueUrl) throw new Error(`fauxqs returned no URL for ${queue.name}`);
  return {
    key: queue.key,
    name: queue.name,
    url: main.QueueUrl,
    arn: await queueArnOf(sqs, main.QueueUrl),
    dlqName: queue.dlqName,
    dlqUrl: dlq.QueueUrl,
    dlqArn,
  };
}

export async function provision(
  plan: LocalPlan,
  clients: ProvisionClients,
): Promise<ProvisionedResources> {
  await Promise.all(plan.tables.map((table) => ensureTable(clients.dynamodb, table)));
  const queues = await Promise.all(plan.queues.map((queue) => ensureQueue(clients.sqs, queue)));
  const queueByKey = Object.fromEntries(queues.map((queue) => [queue.key, queue])) as Record<
    QueueName,
    ProvisionedQueue
  >;

  const topicArns: Partial<Record<TopicName, string>> = {};
  for (const topic of plan.topics) {
    const created = await clients.sns.send(new CreateTopicCommand({ Name: topic.name }));
    if (!created.TopicArn) throw new Error(`fauxqs returned no ARN for ${topic.name}`);
    topicArns[topic.key] = created.TopicArn;
  }
  for (const subscription of plan.subscriptions) {
    const topicArn = topicArns[subscription.topic];
    if (!topicArn) throw new Error(`subscription to ${subscription.topic}, a topic not created`);
    // Through the SNS API, not fauxqs' shortcut, so the filter policy is validated and applied
    // exactly as SNS would.
    await clients.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "sqs",
        Endpoint: queueByKey[subscription.queue].arn,
        ReturnSubscriptionArn: true,
        Attributes: {
          ...(Object.keys(subscription.filterPolicy).length > 0
            ? { FilterPolicy: JSON.stringify(subscription.filterPolicy) }
            : {}),
          RawMessageDelivery: String(subscription.rawMessageDelivery),
        },
      }),
    );
  }

  return {
    tables: Object.fromEntries(plan.tables.map((table) => [table.key, table.name])) as Record<
      TableName,
      string
    >,
    queues: queueByKey,
    topicArns,
  };
}

/** The local app's API key, stored hashed the way the authorizer looks keys up. */
export const LOCAL_APP_ID = "local";

export async function seedApiKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  apiKey: string,
  now: Date = new Date(),
): Promise<void> {
  const record: ApiKeyRecord = {
    keyHash: hashApiKey(apiKey),
    appId: LOCAL_APP_ID,
    status: "active",
    name: "local-dev",
    createdAt: now.toISOString(),
  };
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: record,
        // A key kept in --data-dir keeps its original record (and a revocation, if any).
        ConditionExpression: "attribute_not_exists(keyHash)",
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
