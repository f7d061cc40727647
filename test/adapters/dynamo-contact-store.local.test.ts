/**
 * The contact store's conditional mark against DynamoDB Local, for what a mock cannot show:
 * which records and addresses the condition really lets through.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoContactStore } from "../../lambdas/adapters/dynamo-contact-store.js";
import type { ContactRecord } from "../../lambdas/domain/contact.js";
import { localResourceName, tables } from "../../lib/topology.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/aws-clients.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "../../local/emulators/dynamodb-local.js";
import { createLogger } from "../../local/log.js";

let emulator: DynamoDbLocal;
let raw: DynamoDBClient;
let store: DynamoContactStore;
const tableName = localResourceName("table", "contacts");
const consent = { granted: true, at: "2026-10-01T00:00:00.000Z", source: "api" };
const at = "2026-11-02T00:00:00.000Z";

function contact(userId: string, channels: Partial<ContactRecord> = {}): ContactRecord {
  return { appId: "shop", userId, locale: "en", updatedAt: at, ...channels };
}

beforeAll(async () => {
  emulator = await startDynamoDbLocal({ logger: createLogger("silent") });
  raw = new DynamoDBClient({
    endpoint: emulator.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  store = new DynamoContactStore(DynamoDBDocumentClient.from(raw), tableName);
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: tables.contacts.partitionKey, AttributeType: "S" }],
      KeySchema: [{ AttributeName: tables.contacts.partitionKey, KeyType: "HASH" }],
    }),
  );
});

afterAll(async () => {
  raw?.destroy();
  await emulator?.stop();
});

describe("contacts table on DynamoDB Local", () => {
  it("marks the channel while the address is the one the feedback was about", async () => {
    await store.put(contact("u-1", { email: { address: "ann@example.com", consent } }));
    const mark = { reason: "bounce", at, address: "ann@example.com" } as const;
    expect(await store.markUndeliverable("shop", "u-1", "email", mark)).toBe(true);
    const stored = await store.get("shop", "u-1");
    expect(stored?.email).toEqual({
      address: "ann@example.com",
      consent,
      undeliverable: { reason: "bounce", at },
    });
  });

  it("leaves a new address alone, and a record without the channel", async () => {
    await store.put(contact("u-2", { email: { address: "new@example.com", consent } }));
    const old = { reason: "complaint", at, address: "old@example.com" } as const;
    expect(await store.markUndeliverable("shop", "u-2", "email", old)).toBe(false);
    expect((await store.get("shop", "u-2"))?.email).not.toHaveProperty("undeliverable");
    expect(
      await store.markUndeliverable("shop", "u-2", "sms", { ...old, address: "+15550100" }),
    ).toBe(false);
  });

  it("never creates a record for a user that is gone", async () => {
    const mark = { reason: "bounce", at, address: "gone@example.com" } as const;
    expect(await store.markUndeliverable("shop", "u-gone", "email", mark)).toBe(false);
    expect(await store.get("shop", "u-gone")).toBeUndefined();
  });

  it("matches push by endpoint ARN or by the raw token", async () => {
    const arn = "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abc";
    await store.put(
      contact("u-3", { push: { token: "t3", platform: "ios", endpointArn: arn, consent } }),
    );
    await store.put(contact("u-4", { push: { token: "t4", platform: "android", consent } }));
    const invalid = { reason: "invalid_token", at } as const;
    expect(await store.markUndeliverable("shop", "u-3", "push", { ...invalid, address: arn })).toBe(
      true,
    );
    expect(
      await store.markUndeliverable("shop", "u-4", "push", { ...invalid, address: "t4" }),
    ).toBe(true);
    expect(
      await store.markUndeliverable("shop", "u-4", "push", { ...invalid, address: "t5" }),
    ).toBe(false);
    expect((await store.get("shop", "u-4"))?.push?.undeliverable).toEqual({
      reason: "invalid_token",
      at,
    });
  });
});
