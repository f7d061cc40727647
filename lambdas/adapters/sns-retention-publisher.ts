import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { CHANNEL_ATTRIBUTE } from "../../lib/topology.js";
import type { RetentionMessage } from "../domain/retention.js";
import type { RetentionPublisher } from "../ports.js";

/** Publishes to the retention topic; the `channel` attribute routes it to one sender queue. */
export class SnsRetentionPublisher implements RetentionPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: RetentionMessage): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(message),
        MessageAttributes: {
          [CHANNEL_ATTRIBUTE]: { DataType: "String", StringValue: message.channel },
        },
      }),
    );
  }
}
