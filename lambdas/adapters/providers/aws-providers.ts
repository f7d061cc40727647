import { type SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { ChannelProvider, OutboundMessage } from "../../ports.js";

function requireId(id: string | undefined, provider: string): string {
  if (!id) throw new Error(`${provider} answered without a message id`);
  return id;
}

/** SMS through SNS direct publish to a phone number (transactional: retention is not bulk ads). */
export class SnsSmsProvider implements ChannelProvider {
  constructor(private readonly client: SNSClient) {}

  async send(message: OutboundMessage) {
    const result = await this.client.send(
      new PublishCommand({
        PhoneNumber: message.to,
        Message: message.content.text,
        MessageAttributes: {
          "AWS.SNS.SMS.SMSType": { DataType: "String", StringValue: "Transactional" },
        },
      }),
    );
    return { providerMessageId: requireId(result.MessageId, "SNS SMS") };
  }
}

export class SesEmailProvider implements ChannelProvider {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
  ) {}

  async send(message: OutboundMessage) {
    const { subject, text, html } = message.content;
    const result = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: subject ?? "", Charset: "UTF-8" },
            Body: {
              Text: { Data: text, Charset: "UTF-8" },
              ...(html ? { Html: { Data: html, Charset: "UTF-8" } } : {}),
            },
          },
        },
      }),
    );
    return { providerMessageId: requireId(result.MessageId, "SES") };
  }
}

/** Push through an SNS mobile platform endpoint; `to` is the endpoint ARN. */
export class SnsPushProvider implements ChannelProvider {
  constructor(private readonly client: SNSClient) {}

  async send(message: OutboundMessage) {
    const result = await this.client.send(
      new PublishCommand({ TargetArn: message.to, Message: message.content.text }),
    );
    return { providerMessageId: requireId(result.MessageId, "SNS push") };
  }
}
