/**
 * The benchmark's DynamoDB: DynamoDB Local started by local mode's own starter, the users table
 * created by local mode's provisioning from the topology, and the naive design's table beside it.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ENV } from "../lambdas/shared/env-names.js";
import { functions, type TableName, tableEnv } from "../lib/topology.js";
import { createLocalClients, LOCAL_CREDENTIALS, LOCAL_REGION } from "../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../local/emulators/dynamodb-local.js";
import { createLogger } from "../local/log.js";
import { buildLocalPlan } from "../local/plan.js";
import { provision } from "../local/provision.js";

export const NAIVE_TABLE = "churnwatch-bench-naive";

export interface BenchDatabase {
  readonly server: DynamoDbLocal;
  readonly usersTable: string;
  readonly tableNames: Readonly<Partial<Record<TableName, string>>>;
  readonly naiveTable: string;
  /** Uncounted client for setup and checks; the designs under test get their own. */
  readonly admin: DynamoDBDocumentClient;
  /** A fresh document client for a design, configured as the Lambdas' own. */
  client(): DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** An address nothing listens on: provisioning is given no queues or topics, so never used. */
const UNUSED_ENDPOINT = "http://127.0.0.1:9";

export async function startBenchDatabase(): Promise<BenchDatabase> {
  const server = await startDynamoDbLocal({ logger: createLogger("silent") });
  const clients = createLocalClients({
    dynamodb: server.endpoint,
    sqs: UNUSED_ENDPOINT,
    sns: UNUSED_ENDPOINT,
  });
  try {
    const plan = buildLocalPlan();
    // The tables the features function may touch, as the topology grants them.
    const needed = new Set(Object.keys(functions.features.access.tables ?? {}));
    const tables = plan.tables.filter((table) => needed.has(table.key));
    const resources = await provision(
      { ...plan, tables, queues: [], topics: [], subscriptions: [] },
      clients,
    );
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: NAIVE_TABLE,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      }),
    );
    const created: DynamoDBDocumentClient[] = [];
    return {
      server,
      usersTable: resources.tables.users,
      tableNames: resources.tables,
      naiveTable: NAIVE_TABLE,
      admin: clients.doc,
      client() {
        const client = DynamoDBDocumentClient.from(
          new DynamoDBClient({
            endpoint: server.endpoint,
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
          }),
          { marshallOptions: { removeUndefinedValues: true } },
        );
        created.push(client);
        return client;
      },
      async close() {
        for (const client of created) client.destroy();
        clients.destroy();
        await server.stop();
      },
    };
  } catch (error) {
    clients.destroy();
    await server.stop();
    throw error;
  }
}

/**
 * What the features Lambda is configured with on AWS, pointed at this DynamoDB Local. Must be in
 * place before the handler module is imported: it reads its configuration at load.
 */
export function applyHandlerEnvironment(
  endpoint: string,
  tableNames: Readonly<Partial<Record<TableName, string>>>,
): void {
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  for (const [table, name] of Object.entries(tableNames) as [TableName, string][]) {
    process.env[tableEnv[table]] = name;
  }
  Object.assign(process.env, {
    [ENV.dedupeTtlDays]: "400",
    // The bench's events never trip a near-real-time rule, so nothing is sent here.
    [ENV.warningsQueueUrl]: "http://127.0.0.1:9/000000000000/bench-warnings-unused",
    [ENV.dynamodbEndpoint]: endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
}

/** Sums `eventCount` over the given items, through the uncounted admin client. */
export async function sumEventCounts(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, string>[],
): Promise<number> {
  let total = 0;
  for (let start = 0; start < keys.length; start += 100) {
    let request: Record<string, unknown>[] = keys.slice(start, start + 100);
    while (request.length > 0) {
      const result = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: {
              Keys: request,
              ProjectionExpression: "eventCount",
              ConsistentRead: true,
            },
          },
        }),
      );
      for (const item of result.Responses?.[tableName] ?? []) {
        total += typeof item.eventCount === "number" ? item.eventCount : 0;
      }
      request = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return total;
}
