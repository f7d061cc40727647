/**
 * Turns messages from SQS ReceiveMessage (SDK shape: `Body`, `MessageAttributes.StringValue`,
 * binary as bytes) into the records an SQS event-source mapping hands Lambda (`body`,
 * `messageAttributes.stringValue`, binary as base64, empty list fields, `eventSourceARN`).
 */
import type { Message } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from "aws-lambda";

function toBase64(bytes: Uint8Array | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString("base64") : undefined;
}

export function toLambdaMessageAttributes(
  attributes: Message["MessageAttributes"],
): SQSMessageAttributes {
  const mapped: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const binaryValue = toBase64(value.BinaryValue);
    mapped[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(binaryValue !== undefined ? { binaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType ?? "String",
    };
  }
  return mapped;
}

function toRecordAttributes(attributes: Message["Attributes"]): SQSRecordAttributes {
  const source: Record<string, string | undefined> = { ...attributes };
  return {
    ...(source as Record<string, string>),
    ApproximateReceiveCount: source.ApproximateReceiveCount ?? "1",
    SentTimestamp: source.SentTimestamp ?? "",
    SenderId: source.SenderId ?? "",
    ApproximateFirstReceiveTimestamp: source.ApproximateFirstReceiveTimestamp ?? "",
  };
}

export function toLambdaRecord(message: Message, queueArn: string, region: string): SQSRecord {
  if (!message.MessageId || !message.ReceiptHandle) {
    throw new Error("SQS returned a message without MessageId or ReceiptHandle");
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? "",
    attributes: toRecordAttributes(message.Attributes),
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes
      ? { md5OfMessageAttributes: message.MD5OfMessageAttributes }
      : {}),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function toSqsEvent(
  messages: readonly Message[],
  queueArn: string,
  region: string,
): SQSEvent {
  return { Records: messages.map((message) => toLambdaRecord(message, queueArn, region)) };
}
