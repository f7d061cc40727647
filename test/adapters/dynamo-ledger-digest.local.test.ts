/**
 * The run ledger's marketing parts against DynamoDB Local: segments keep their top high-value
 * users, the run summary merges them, the digest claim is granted once (conditional writes
 * a mock cannot prove), and the lists go once the digest is out.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DynamoLedger,
  RUN_INDEX_PK,
  TOP_LISTS_REMOVED_AT,
} from "../../lambdas/adapters/dynamo-ledger.js";
import type { HighValueAtRisk } from "../../lambdas/domain/marketing.js";
import { emptyTotals } from "../../lambdas/domain/run-summary.js";
import type { SegmentSummary } from "../../lambdas/ports.js";
import { localResourceName, tables } from "../../lib/topology.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/emulators/dynamodb-local.js";
import { createLogger } from "../../local/log.js";

let emulator: DynamoDbLocal;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
const tableName = localResourceName("table", "ledger");

beforeAll(async () => {
  emulator = await startDynamoDbLocal({ logger: createLogger("silent") });
  raw = new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const spec = tables.ledger;
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: spec.partitionKey, AttributeType: "S" },
        { AttributeName: spec.sortKey as string, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: spec.partitionKey, KeyType: "HASH" },
        { AttributeName: spec.sortKey as string, KeyType: "RANGE" },
      ],
    }),
  );
});

afterAll(async () => {
  doc?.destroy();
  raw?.destroy();
  await emulator?.stop();
});

const user = (userId: string, tier: HighValueAtRisk["tier"], score: number): HighValueAtRisk => ({
  appId: "shop",
  userId,
  valueMinor: 650_000,
  currency: "CNY",
  tier,
  score,
  lifecycleStage: "mature",
  reasons: [{ code: "no_login", severity: "high", params: { days: 40, thresholdDays: 30 } }],
});

const segment = (top: HighValueAtRisk[]): SegmentSummary => ({
  ...emptyTotals(),
  scored: 10,
  highValueAtRisk: top.length,
  topHighValue: top,
  histograms: {},
  durationMs: 5,
  model: "rules-v1",
});

describe("DynamoLedger's marketing digest parts", () => {
  it("merges the segments' top lists into the run summary", async () => {
    const ledger = new DynamoLedger(doc, tableName);
    await ledger.beginRun("run-top", "2026-12-25T00:00:00.000Z", 2);
    await ledger.recordSegment("run-top", 0, segment([user("a", "high", 0.8)]));
    await ledger.recordSegment(
      "run-top",
      1,
      segment([user("b", "critical", 0.9), user("c", "high", 0.85)]),
    );
    const summary = await ledger.runSummary("run-top");
    expect(summary?.complete).toBe(true);
    expect(summary?.totals.highValueAtRisk).toBe(3);
    expect(summary?.topHighValue.map((u) => u.userId)).toEqual(["b", "c", "a"]);
    expect(summary?.topHighValue[0]).toEqual(user("b", "critical", 0.9));
  });

  it("grants the digest claim once, gives it back, and never again once published", async () => {
    let now = Date.parse("2026-12-25T01:00:00.000Z");
    const clock = () => new Date(now);
    const a = new DynamoLedger(doc, tableName, clock);
    const b = new DynamoLedger(doc, tableName, clock);
    expect(await a.claimDigest("run-unknown")).toBe(false);
    await a.beginRun("run-claim", "2026-12-25T00:00:00.000Z", 1);

    const first = await Promise.all([
      a.claimDigest("run-claim", 60_000),
      b.claimDigest("run-claim", 60_000),
    ]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const [winner, loser] = first[0] ? [a, b] : [b, a];

    // Only the holder's release counts.
    await loser.releaseDigest("run-claim");
    expect(await loser.claimDigest("run-claim")).toBe(false);
    await winner.releaseDigest("run-claim");
    expect(await loser.claimDigest("run-claim", 60_000)).toBe(true);

    // The holder died: its lease runs out, then the claim can be taken over.
    now += 30_000;
    expect(await winner.claimDigest("run-claim", 60_000)).toBe(false);
    now += 31_000;
    expect(await winner.claimDigest("run-claim", 60_000)).toBe(true);

    await winner.markDigestPublished("run-claim");
    now += 3_600_000;
    expect(await a.claimDigest("run-claim")).toBe(false);
    expect(await b.claimDigest("run-claim")).toBe(false);
  });

  it("drops the run's top lists once its digest is published, and marks its RUNS entry so", async () => {
    const ledger = new DynamoLedger(doc, tableName);
    await ledger.beginRun("run-drop", "2026-12-26T00:00:00.000Z", 2);
    await ledger.recordSegment("run-drop", 0, segment([user("a", "high", 0.8)]));
    await ledger.recordSegment("run-drop", 1, segment([user("b", "critical", 0.9)]));
    const entryKey = { pk: RUN_INDEX_PK, sk: "2026-12-26T00:00:00.000Z#run-drop" };
    const entry = async () =>
      (await doc.send(new GetCommand({ TableName: tableName, Key: entryKey }))).Item;
    expect((await entry())?.[TOP_LISTS_REMOVED_AT]).toBeUndefined();

    expect(await ledger.claimDigest("run-drop")).toBe(true);
    await ledger.markDigestPublished("run-drop");
    const items = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "RUN#run-drop" },
      }),
    );
    expect(items.Items).toHaveLength(3);
    expect(JSON.stringify(items.Items)).not.toMatch(/"userId"/);
    expect(items.Items?.find((item) => item.sk === "RUN")).toMatchObject({ digest: "published" });
    expect((await entry())?.[TOP_LISTS_REMOVED_AT]).toEqual(expect.any(String));
    // The totals stay; only the list of users is gone.
    const summary = await ledger.runSummary("run-drop");
    expect(summary?.totals.highValueAtRisk).toBe(2);
    expect(summary?.totals.scored).toBe(20);
    expect(summary?.topHighValue).toEqual([]);
    expect(await ledger.claimDigest("run-drop")).toBe(false);
  });
});
