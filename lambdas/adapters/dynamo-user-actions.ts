import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ActionRecord, DeliveryRecord } from "../domain/actions/action-record.js";
import { userPartitionKey } from "../domain/user-key.js";
import { toActionRecord, toDeliveryRecord } from "./dynamo-action-records.js";

/** One user's latest retention actions, each with its deliveries, newest first. */
export interface UserAction extends ActionRecord {
  readonly deliveries: readonly DeliveryRecord[];
}

/**
 * Reads one user's ACTION# and DELIVERY# items (one Query each, within the user's partition) for
 * `GET /v1/users/{userId}`: what was decided for each warning and what became of each message.
 */
export async function userActions(
  client: DynamoDBDocumentClient,
  tableName: string,
  appId: string,
  userId: string,
  limit: number,
): Promise<UserAction[]> {
  const query = async (prefix: string) => {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": userPartitionKey(appId, userId), ":prefix": prefix },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  };
  const [actionItems, deliveryItems] = await Promise.all([query("ACTION#"), query("DELIVERY#")]);
  const deliveries = deliveryItems
    .map((item) => toDeliveryRecord(item, { appId, userId, warningId: "" }))
    .filter((record): record is DeliveryRecord => record !== undefined);
  return actionItems
    .map((item) => toActionRecord(item))
    .filter((record): record is ActionRecord => record !== undefined)
    .sort((a, b) => b.plannedAt.localeCompare(a.plannedAt))
    .slice(0, limit)
    .map((action) => ({
      ...action,
      deliveries: deliveries.filter((delivery) => delivery.warningId === action.warningId),
    }));
}
