import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { ENV } from "../../lambdas/shared/env-names.js";

/** Handlers read configuration once at import; tests set it before importing them. */
export function setHandlerEnv(overrides: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    POWERTOOLS_LOG_LEVEL: "SILENT",
    [ENV.usersTable]: "users",
    [ENV.dedupeTable]: "dedupe",
    [ENV.contactsTable]: "contacts",
    [ENV.ledgerTable]: "ledger",
    [ENV.apiKeysTable]: "keys",
    [ENV.scoringTable]: "scoring",
    [ENV.eventsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/1/events",
    [ENV.scoringQueueUrl]: "https://sqs.us-east-1.amazonaws.com/1/scoring",
    [ENV.warningsQueueUrl]: "https://sqs.us-east-1.amazonaws.com/1/warnings",
    [ENV.retentionTopicArn]: "arn:aws:sns:us-east-1:1:retention",
    [ENV.marketingTopicArn]: "arn:aws:sns:us-east-1:1:marketing",
    [ENV.scoringSegments]: "3",
    [ENV.channelProvider]: "aws",
    [ENV.emailFrom]: "no-reply@example.com",
    ...overrides,
  });
}

export function sqsEvent(bodies: readonly unknown[]): SQSEvent {
  return {
    Records: bodies.map(
      (body, index) =>
        ({
          messageId: `m${index}`,
          receiptHandle: `rh${index}`,
          body: typeof body === "string" ? body : JSON.stringify(body),
          attributes: { ApproximateReceiveCount: "1" },
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:1:q",
          awsRegion: "us-east-1",
        }) as unknown as SQSRecord,
    ),
  };
}

export const lambdaContext = {
  getRemainingTimeInMillis: () => 25_000,
  functionName: "test",
  awsRequestId: "req",
} as unknown as Context;
