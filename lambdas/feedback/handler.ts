import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DynamoContactStore } from "../adapters/dynamo-contact-store.js";
import { SnsSignatureVerifier } from "../adapters/sns-signature-verifier.js";
import { snsEnvelopeSchema } from "../domain/sns-signature.js";
import { dynamo } from "../shared/clients.js";
import { ConfigError, optionalEnv, requireEnv } from "../shared/config.js";
import { ENV } from "../shared/env-names.js";
import { logger } from "../shared/logger.js";
import { PoisonMessageError, parseRecord, processBatch } from "../shared/sqs-batch.js";
import { applyFeedback, RejectedFeedbackError } from "../use-cases/apply-feedback.js";

const signatures = optionalEnv(ENV.feedbackSignatures) ?? "on";
if (signatures !== "on" && signatures !== "off") {
  throw new ConfigError(`${ENV.feedbackSignatures} must be "on" or "off", got "${signatures}"`);
}
if (signatures === "off") {
  logger.warn("provider feedback is applied without checking SNS signatures (local mode only)");
}
const expectedTopicArn = optionalEnv(ENV.feedbackTopicArn);
const deps = {
  contacts: new DynamoContactStore(dynamo(), requireEnv(ENV.contactsTable)),
  verifier: signatures === "on" ? new SnsSignatureVerifier() : undefined,
  ...(expectedTopicArn ? { expectedTopicArn } : {}),
};

/**
 * Consumes the feedback queue: SES bounces and complaints, each record the SNS envelope (raw
 * message delivery off, so the signature can be checked). A notification that cannot be
 * verified or understood fails alone and reaches the DLQ; it never changes a contact.
 */
export const handler = (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
  processBatch(event, context, async (record) => {
    const envelope = parseRecord(record, snsEnvelopeSchema);
    let outcome: Awaited<ReturnType<typeof applyFeedback>>;
    try {
      outcome = await applyFeedback(envelope, deps);
    } catch (error) {
      if (error instanceof RejectedFeedbackError) throw new PoisonMessageError(error.message);
      throw error;
    }
    // IDs and codes only: the addresses stay out of the logs.
    if (outcome.status === "ignored") {
      logger.info("provider feedback ignored", {
        snsMessageId: envelope.MessageId,
        reason: outcome.reason,
      });
      return;
    }
    for (const mark of outcome.marks) {
      logger.info(mark.marked ? "channel marked undeliverable" : "feedback for a stale address", {
        snsMessageId: envelope.MessageId,
        appId: mark.appId,
        userId: mark.userId,
        channel: mark.channel,
        reason: mark.reason,
      });
    }
  });
