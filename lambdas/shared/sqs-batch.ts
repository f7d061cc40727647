import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { z } from "zod";
import { logger } from "./logger.js";

/** A message that can never succeed however often it is retried: it fails alone, to the DLQ. */
export class PoisonMessageError extends Error {
  override readonly name = "PoisonMessageError";
}

export function parseRecord<T>(record: SQSRecord, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(record.body);
  } catch {
    throw new PoisonMessageError("body is not JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(root)");
    throw new PoisonMessageError(`body does not match the contract at ${fields.join(", ")}`);
  }
  return parsed.data;
}

/**
 * Powertools partial-batch processing: only the failed records' messageIds go back to SQS. A
 * processor per invocation, because the processor keeps per-batch state and local mode may run
 * two invocations of one handler at once.
 */
export function processBatch(
  event: SQSEvent,
  context: Context | undefined,
  handleRecord: (record: SQSRecord) => Promise<unknown>,
): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      try {
        return await handleRecord(record);
      } catch (error) {
        // IDs and the reason only: bodies may hold user data.
        logger.warn("record failed", {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        throw error;
      }
    },
    processor,
    { ...(context ? { context } : {}), throwOnFullBatchFailure: false },
  );
}
