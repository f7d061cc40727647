import { type MessageAttributeValue, PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import {
  asciiSubject,
  type MarketingAttributes,
  type MarketingNotification,
  snsMessageOf,
} from "../domain/marketing.js";
import type { MarketingNotifier } from "../marketing-ports.js";

/**
 * How the message is published:
 * - "json" (default): MessageStructure "json" with a `default` key (the notification's JSON, for
 *   SQS, Lambda, HTTP/S and email-json subscribers) and an `email` key (the plain-text body).
 *   AWS documents that attributes are forwarded to endpoints only for String-structured
 *   messages, so the JSON repeats them in `attributes`.
 * - "string": the plain-text body for every protocol; attributes reach SQS (raw delivery),
 *   Lambda and HTTP/S subscribers as message attributes.
 */
export type MarketingMessageStructure = "json" | "string";

export function snsAttributesOf(
  attributes: MarketingAttributes,
): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "number") {
      if (Number.isFinite(value)) out[name] = { DataType: "Number", StringValue: String(value) };
    } else if (value !== "") {
      // SNS refuses an empty string value.
      out[name] = { DataType: "String", StringValue: value };
    }
  }
  return out;
}

/** Publishes marketing digests and alerts to the marketing topic. */
export class SnsMarketingNotifier implements MarketingNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    private readonly structure: MarketingMessageStructure = "json",
  ) {}

  async notify(notification: MarketingNotification): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: asciiSubject(notification.subject),
        ...(this.structure === "json"
          ? { MessageStructure: "json", Message: snsMessageOf(notification) }
          : { Message: notification.body }),
        MessageAttributes: snsAttributesOf(notification.attributes),
      }),
    );
  }
}
