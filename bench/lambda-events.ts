/**
 * What Lambda hands the features function: an SQS event-source-mapping batch and an invocation
 * context, shaped as AWS builds them.
 */
import { createHash } from "node:crypto";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import type { TrackedEvent } from "../lambdas/domain/events.js";
import { functions } from "../lib/topology.js";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:churnwatch-events`;
const SENT_AT_MS = Date.parse("2026-11-23T12:00:00Z");

/**
 * One SQS batch. Message IDs derive from the events, so a redelivery (`receiveCount` > 1) carries
 * the same message IDs as the first delivery, as SQS redelivers a message.
 */
export function sqsEvent(batch: readonly TrackedEvent[], receiveCount: number): SQSEvent {
  const records = batch.map((tracked): SQSRecord => {
    const body = JSON.stringify(tracked);
    const id = createHash("sha256")
      .update(`${tracked.appId}|${tracked.event.eventId}`)
      .digest("hex");
    return {
      messageId: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
      receiptHandle: `bench-${id.slice(0, 16)}-${receiveCount}`,
      body,
      attributes: {
        ApproximateReceiveCount: String(receiveCount),
        SentTimestamp: String(SENT_AT_MS),
        SenderId: ACCOUNT,
        ApproximateFirstReceiveTimestamp: String(SENT_AT_MS + 1_000),
      },
      messageAttributes: {},
      md5OfBody: createHash("md5").update(body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: QUEUE_ARN,
      awsRegion: REGION,
    };
  });
  return { Records: records };
}

let invocation = 0;

/** A context with the features function's configured timeout and memory. */
export function lambdaContext(): Context {
  invocation += 1;
  const spec = functions.features;
  const deadline = Date.now() + spec.timeoutSeconds * 1000;
  const requestId = `bench-${String(invocation).padStart(8, "0")}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "churnwatch-features",
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:churnwatch-features`,
    memoryLimitInMB: String(spec.memoryMb),
    awsRequestId: requestId,
    logGroupName: "/aws/lambda/churnwatch-features",
    logStreamName: `bench/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
