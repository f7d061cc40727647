import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type Promotion, sortPromotions } from "../domain/promotions.js";
import { PromotionConflictError, type PromotionStore } from "../model-ports.js";

export function promotionsPartitionKey(appId: string): string {
  return `PROMOTIONS#${appId}`;
}

/** `<from>#<name>`: the partition reads back in calendar order. */
export function promotionSortKey(promotion: Promotion): string {
  return `${promotion.from}#${promotion.name}`;
}

interface PromotionItem {
  readonly pk: string;
  readonly sk: string;
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly addedAt: string;
}

/**
 * An app's promotion calendar in the scoring table: pk = `PROMOTIONS#<appId>`,
 * sk = `<from>#<name>`, one item per promotion. Overlaps are refused by the caller against the
 * merged calendar (configured + stored) before `add`; adding is an operator's act, rare enough
 * that two overlapping adds racing each other is not guarded here.
 */
export class DynamoPromotionStore implements PromotionStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(appId: string): Promise<Promotion[]> {
    const promotions: Promotion[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": promotionsPartitionKey(appId) },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of (page.Items ?? []) as PromotionItem[]) {
        promotions.push({ name: item.name, from: item.from, to: item.to });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return sortPromotions(promotions);
  }

  async add(appId: string, promotion: Promotion): Promise<void> {
    const item: PromotionItem = {
      pk: promotionsPartitionKey(appId),
      sk: promotionSortKey(promotion),
      name: promotion.name,
      from: promotion.from,
      to: promotion.to,
      addedAt: this.now().toISOString(),
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new PromotionConflictError(
          `promotion "${promotion.name}" starting ${promotion.from} is already stored`,
        );
      }
      throw error;
    }
  }
}
