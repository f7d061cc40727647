import { type DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { ApiKeyRecord } from "../domain/api-keys.js";
import type { ApiKeyStore } from "../ports.js";

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async find(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { keyHash } }),
    );
    return result.Item as ApiKeyRecord | undefined;
  }
}
