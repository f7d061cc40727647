/**
 * DynamoDB's item size by AWS's published rules, for items as they go on the wire (AttributeValue
 * form, after lib-dynamodb marshalled them): attribute names and strings count their UTF-8 bytes,
 * a number 1 byte per two significant digits plus 1, booleans and null 1, lists and maps 3 bytes
 * plus 1 per element plus their contents, sets the sum of their elements.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

function numberBytes(value: string): number {
  const digits = value
    .trim()
    .replace(/^[-+]/, "")
    .replace(/e[+-]?\d+$/i, "")
    .replace(".", "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function utf8(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, element) => total + utf8(element), 0);
  if (value.NS !== undefined) {
    return value.NS.reduce((total, element) => total + numberBytes(element), 0);
  }
  if (value.BS !== undefined) {
    return value.BS.reduce((total, element) => total + element.byteLength, 0);
  }
  if (value.L !== undefined) {
    return 3 + value.L.reduce((total, element) => total + 1 + attributeValueBytes(element), 0);
  }
  if (value.M !== undefined) {
    let total = 3;
    for (const [name, element] of Object.entries(value.M)) {
      total += 1 + utf8(name) + attributeValueBytes(element);
    }
    return total;
  }
  throw new Error(`cannot size attribute value ${JSON.stringify(value).slice(0, 60)}`);
}

export function itemBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item))
    total += utf8(name) + attributeValueBytes(value);
  return total;
}

/** Write capacity units of one item write: 1 per started KB, twice that inside a transaction. */
export function writeUnits(bytes: number, transactional: boolean): number {
  return Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
}

/**
 * What AWS would charge a successful TransactWriteItems by its rule (2 WCU per started KB of each
 * item), sized on the items written; undefined when an item's size is not in the request (Update,
 * Delete, ConditionCheck), since the stored item would be needed.
 */
export function transactionWriteUnits(input: unknown): number | undefined {
  const items = (input as { TransactItems?: unknown }).TransactItems;
  if (!Array.isArray(items)) return undefined;
  let units = 0;
  for (const entry of items) {
    const put = (entry as { Put?: { Item?: Record<string, AttributeValue> } }).Put;
    if (!put?.Item) return undefined;
    units += writeUnits(itemBytes(put.Item), true);
  }
  return units;
}
