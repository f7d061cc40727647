/**
 * Counts the DynamoDB requests a client sends, by operation, through middlewares on its stack.
 * The counting one sits inside the SDK's retry loop, so a retried request counts each time it goes
 * on the wire. Another asks DynamoDB to report consumed capacity on every operation that can,
 * without the code under test knowing: it only adds `ReturnConsumedCapacity: TOTAL`.
 *
 * DynamoDB Local sizes a transaction on the total of its items (ten 40-byte items: 2 WCU), where
 * AWS charges 2 WCU per started KB of each item (ten such items: 20 WCU). So transactions get
 * AWS's rule applied to the items in the request instead of the emulator's report.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { transactionWriteUnits } from "./item-size.js";

export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

export const READ_OPERATIONS: ReadonlySet<string> = new Set([
  "GetItem",
  "BatchGetItem",
  "Query",
  "Scan",
  "TransactGetItems",
]);

const REPORTS_CAPACITY: ReadonlySet<string> = new Set([...WRITE_OPERATIONS, ...READ_OPERATIONS]);
/** Operations whose capacity comes from AWS's rule on the request, not DynamoDB Local's report. */
const ESTIMATED: ReadonlySet<string> = new Set(["TransactWriteItems"]);

export interface OperationTally {
  /** Requests sent (each SDK attempt counts). */
  sent: number;
  /** Requests DynamoDB answered with an error (condition failed, transaction cancelled, ...). */
  failed: number;
  /**
   * Capacity units of the successful answers: as DynamoDB Local reported them, or for
   * transactions by AWS's rule on the request's items.
   */
  capacityUnits: number;
  /** Successful answers whose capacity is unknown (no report, or not estimable). */
  unreported: number;
}

export interface RequestTally {
  readonly byOperation: ReadonlyMap<string, OperationTally>;
}

export interface TallySummary {
  readonly writeRequests: number;
  readonly failedWriteRequests: number;
  readonly readRequests: number;
  readonly otherRequests: number;
  /** Write capacity units (see OperationTally), or undefined when some are unknown. */
  readonly writeUnits: number | undefined;
  readonly readUnits: number | undefined;
}

function operationOf(commandName: unknown): string {
  return typeof commandName === "string" ? commandName.replace(/Command$/, "") : "unknown";
}

function capacityUnitsOf(output: unknown): number | undefined {
  if (typeof output !== "object" || output === null) return undefined;
  const reported = (output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
  if (reported === undefined) return undefined;
  const entries = Array.isArray(reported) ? reported : [reported];
  let units = 0;
  for (const entry of entries) {
    const value = (entry as { CapacityUnits?: unknown }).CapacityUnits;
    if (typeof value !== "number") return undefined;
    units += value;
  }
  return units;
}

export class RequestCounter {
  private tally = new Map<string, OperationTally>();

  /** Installs the middlewares on the client's stack (shared with the client it wraps). */
  attach(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = operationOf(context.commandName);
        const input = args.input as Record<string, unknown>;
        if (REPORTS_CAPACITY.has(operation) && input.ReturnConsumedCapacity === undefined) {
          return next({ ...args, input: { ...input, ReturnConsumedCapacity: "TOTAL" } });
        }
        return next(args);
      },
      { step: "initialize", name: "benchReturnConsumedCapacity" },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = operationOf(context.commandName);
        const entry = this.entry(operation);
        entry.sent += 1;
        try {
          const result = await next(args);
          // lib-dynamodb marshalled the input before serializing: items are AttributeValues here.
          const units = ESTIMATED.has(operation)
            ? transactionWriteUnits(args.input)
            : capacityUnitsOf(result.output);
          if (units === undefined) entry.unreported += 1;
          else entry.capacityUnits += units;
          return result;
        } catch (error) {
          entry.failed += 1;
          throw error;
        }
      },
      // Low priority in finalizeRequest runs inside the retry middleware: once per attempt.
      { step: "finalizeRequest", priority: "low", name: "benchRequestCounter" },
    );
  }

  /** Returns what was counted since the last call and starts counting afresh. */
  take(): RequestTally {
    const byOperation = this.tally;
    this.tally = new Map();
    return { byOperation };
  }

  private entry(operation: string): OperationTally {
    let entry = this.tally.get(operation);
    if (!entry) {
      entry = { sent: 0, failed: 0, capacityUnits: 0, unreported: 0 };
      this.tally.set(operation, entry);
    }
    return entry;
  }
}

export function summarize(tally: RequestTally): TallySummary {
  let writeRequests = 0;
  let failedWriteRequests = 0;
  let readRequests = 0;
  let otherRequests = 0;
  let writeUnits: number | undefined = 0;
  let readUnits: number | undefined = 0;
  for (const [operation, entry] of tally.byOperation) {
    // An answer without a report, or a failed one (errors carry no report), leaves units unknown.
    const known = entry.unreported === 0 && entry.failed === 0;
    if (WRITE_OPERATIONS.has(operation)) {
      writeRequests += entry.sent;
      failedWriteRequests += entry.failed;
      writeUnits = known && writeUnits !== undefined ? writeUnits + entry.capacityUnits : undefined;
    } else if (READ_OPERATIONS.has(operation)) {
      readRequests += entry.sent;
      readUnits = known && readUnits !== undefined ? readUnits + entry.capacityUnits : undefined;
    } else {
      otherRequests += entry.sent;
    }
  }
  return { writeRequests, failedWriteRequests, readRequests, otherRequests, writeUnits, readUnits };
}

/** `TransactWriteItems 200, BatchGetItem 200 (3 failed)`: what a design actually sent. */
export function describeOperations(tally: RequestTally): string {
  const parts = [...tally.byOperation.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([operation, entry]) =>
        `${operation} ${entry.sent}${entry.failed > 0 ? ` (${entry.failed} failed)` : ""}`,
    );
  return parts.length > 0 ? parts.join(", ") : "no requests";
}
