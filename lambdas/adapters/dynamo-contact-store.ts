import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Channel } from "../../lib/topology.js";
import type { ContactRecord, UndeliverableReason } from "../domain/contact.js";
import { userPartitionKey } from "../domain/user-key.js";
import type { ContactStore } from "../ports.js";
import { conditionally } from "./conditional-write.js";

/**
 * The condition that the channel's address is still the one the feedback was about. Push is
 * sent to the SNS endpoint where the app registered one, else to the raw token: either matches.
 */
const ADDRESS_CONDITION: Readonly<Record<Channel, string>> = {
  email: "#channel.#address = :address",
  sms: "#channel.#phone = :address",
  push: "#channel.#endpointArn = :address OR #channel.#token = :address",
};

const ADDRESS_NAMES: Readonly<Record<Channel, Record<string, string>>> = {
  email: { "#address": "address" },
  sms: { "#phone": "phone" },
  push: { "#endpointArn": "endpointArn", "#token": "token" },
};

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

  /** One conditional update: it never creates a record, nor marks an address that was replaced. */
  async markUndeliverable(
    appId: string,
    userId: string,
    channel: Channel,
    mark: { reason: UndeliverableReason; at: string; address: string },
  ): Promise<boolean> {
    return conditionally(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userPartitionKey(appId, userId) },
          UpdateExpression: "SET #channel.#undeliverable = :mark",
          ConditionExpression: ADDRESS_CONDITION[channel],
          ExpressionAttributeNames: {
            "#channel": channel,
            "#undeliverable": "undeliverable",
            ...ADDRESS_NAMES[channel],
          },
          ExpressionAttributeValues: {
            ":mark": { reason: mark.reason, at: mark.at },
            ":address": mark.address,
          },
        }),
      ),
    );
  }
}
