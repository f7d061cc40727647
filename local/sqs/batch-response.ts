/**
 * Reads a handler's answer to an SQS batch the way an event-source mapping with
 * `ReportBatchItemFailures` does (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 * nothing or an empty list means every message succeeded; listed ids failed; a list Lambda cannot
 * make sense of (an id not in the batch, an empty or missing id) fails the whole batch.
 */
export type BatchOutcome =
  | { readonly kind: "all-succeeded" }
  | { readonly kind: "partial"; readonly failedIds: ReadonlySet<string> }
  | { readonly kind: "all-failed"; readonly reason: string };

export function interpretBatchResponse(
  response: unknown,
  messageIds: readonly string[],
): BatchOutcome {
  if (response === null || response === undefined || typeof response !== "object") {
    return { kind: "all-succeeded" };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: "all-succeeded" };
  if (!Array.isArray(failures)) {
    return { kind: "all-failed", reason: "batchItemFailures is not a list" };
  }
  if (failures.length === 0) return { kind: "all-succeeded" };
  const inBatch = new Set(messageIds);
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "") {
      return { kind: "all-failed", reason: "a batchItemFailures entry has no itemIdentifier" };
    }
    if (!inBatch.has(id)) {
      return {
        kind: "all-failed",
        reason: "a batchItemFailures entry names a message not in the batch",
      };
    }
    failedIds.add(id);
  }
  return { kind: "partial", failedIds };
}
