import type { Message } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { interpretBatchResponse } from "../../local/sqs/batch-response.js";
import { toLambdaRecord, toSqsEvent } from "../../local/sqs/lambda-records.js";

const message: Message = {
  MessageId: "m-1",
  ReceiptHandle: "rh-1",
  MD5OfBody: "md5",
  Body: '{"a":1}',
  Attributes: {
    ApproximateReceiveCount: "2",
    SentTimestamp: "1700000000000",
    SenderId: "000000000000",
    ApproximateFirstReceiveTimestamp: "1700000000100",
  },
  MD5OfMessageAttributes: "md5attrs",
  MessageAttributes: {
    channel: { DataType: "String", StringValue: "email" },
    score: { DataType: "Number", StringValue: "0.5" },
    blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
  },
};

describe("SQS messages to Lambda records", () => {
  it("maps a received message to Lambda's record shape", () => {
    expect(toLambdaRecord(message, "arn:aws:sqs:us-east-1:000000000000:q", "us-east-1")).toEqual({
      messageId: "m-1",
      receiptHandle: "rh-1",
      body: '{"a":1}',
      attributes: {
        ApproximateReceiveCount: "2",
        SentTimestamp: "1700000000000",
        SenderId: "000000000000",
        ApproximateFirstReceiveTimestamp: "1700000000100",
      },
      messageAttributes: {
        channel: {
          stringValue: "email",
          stringListValues: [],
          binaryListValues: [],
          dataType: "String",
        },
        score: {
          stringValue: "0.5",
          stringListValues: [],
          binaryListValues: [],
          dataType: "Number",
        },
        blob: {
          binaryValue: "AQID",
          stringListValues: [],
          binaryListValues: [],
          dataType: "Binary",
        },
      },
      md5OfBody: "md5",
      md5OfMessageAttributes: "md5attrs",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q",
      awsRegion: "us-east-1",
    });
  });

  it("fills Lambda's required attributes and an empty attribute map when SQS sent none", () => {
    const record = toLambdaRecord(
      { MessageId: "m", ReceiptHandle: "r", Body: "x" },
      "arn",
      "us-east-1",
    );
    expect(record.attributes.ApproximateReceiveCount).toBe("1");
    expect(record.messageAttributes).toEqual({});
    expect(record).not.toHaveProperty("md5OfMessageAttributes");
  });

  it("wraps records in an SQSEvent", () => {
    expect(
      toSqsEvent([message, { ...message, MessageId: "m-2" }], "arn", "us-east-1").Records,
    ).toHaveLength(2);
  });
});

describe("reading batchItemFailures like an event-source mapping", () => {
  const ids = ["a", "b", "c"];
  it.each([undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }, "ok"])(
    "treats %j as every message succeeded",
    (response) => {
      expect(interpretBatchResponse(response, ids)).toEqual({ kind: "all-succeeded" });
    },
  );

  it("fails exactly the listed messages", () => {
    const outcome = interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: "b" }] }, ids);
    expect(outcome).toEqual({ kind: "partial", failedIds: new Set(["b"]) });
  });

  it.each([
    [{ batchItemFailures: [{ itemIdentifier: "zzz" }] }, "names a message not in the batch"],
    [{ batchItemFailures: [{ itemIdentifier: "" }] }, "has no itemIdentifier"],
    [{ batchItemFailures: [{ id: "a" }] }, "has no itemIdentifier"],
    [{ batchItemFailures: "a" }, "is not a list"],
  ])("fails the whole batch for %j", (response, reason) => {
    const outcome = interpretBatchResponse(response, ids);
    expect(outcome.kind).toBe("all-failed");
    expect(outcome.kind === "all-failed" && outcome.reason).toContain(reason);
  });
});
