import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { ContactRecord } from "../domain/contact.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { ContactStore } from "../ports.js";

/** Contacts table: one item per user, keyed like every other per-user record. */
export class DynamoContactStore implements ContactStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(appId: string, userId: string): Promise<ContactRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userPartitionKey(appId, userId) },
        // An opt-out must win at once, so never read a stale copy.
        ConsistentRead: true,
      }),
    );
    if (!result.Item) return undefined;
    const { pk: _pk, ...record } = result.Item;
    return record as ContactRecord;
  }

  async put(record: ContactRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: userPartitionKey(record.appId, record.userId), ...record },
      }),
    );
  }
}
