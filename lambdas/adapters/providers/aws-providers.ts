import { type MessageTag, type SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { encodeTagValue, SES_TAG_VALUE_MAX, SES_TAGS } from "../../domain/provider-feedback.js";
import {
  type ChannelProvider,
  type OutboundMessage,
  UndeliverableAddressError,
} from "../../ports.js";

function requireId(id: string | undefined, provider: string): string {
  if (!id) throw new Error(`${provider} answered without a message id`);
  return id;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : "";
}

/**
 * The SNS SMS error that says this number will never receive: an opt-out (the user replied
 * STOP), kept as a complaint, since the person refused while the number works. An invalid
 * parameter naming the phone number is not taken as one: in the SMS sandbox every unverified
 * number is refused that way, and an error of the sender's setup must not mark every user.
 * The provider's own text is never passed on, since it may quote the number.
 */
export function smsUndeliverable(error: unknown): UndeliverableAddressError | undefined {
  const name = errorName(error);
  if (name === "OptedOutException" || name === "OptedOut") {
    return new UndeliverableAddressError("complaint", `SNS SMS: ${name} (number opted out)`);
  }
  return undefined;
}

/** SMS through SNS direct publish to a phone number (transactional: retention is not bulk ads). */
export class SnsSmsProvider implements ChannelProvider {
  constructor(private readonly client: SNSClient) {}

  async send(message: OutboundMessage) {
    try {
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
    } catch (error) {
      throw smsUndeliverable(error) ?? error;
    }
  }
}

/** The user's pseudonymous IDs as SES tags, so a bounce or complaint finds its user again. */
export function sesTags(appId: string, userId: string): MessageTag[] {
  const tags = [
    { Name: SES_TAGS.appId, Value: encodeTagValue(appId) },
    { Name: SES_TAGS.userId, Value: encodeTagValue(userId) },
  ];
  // IDs are at most 128 characters, far inside the limit; a longer one goes untagged, not unsent.
  return tags.every((tag) => tag.Value.length <= SES_TAG_VALUE_MAX) ? tags : [];
}

/**
 * E-mail through SES v2. Bounces and complaints arrive later as events of the configuration set
 * (domain/provider-feedback.ts); that includes addresses on the account's suppression list, which
 * SES accepts and then reports as permanent bounces. No SendEmail error names a bad recipient
 * (MessageRejected and BadRequest are about content, the sender or the account), so none of
 * them marks the address: an error of the sender's setup must not mark every user's e-mail.
 */
export class SesEmailProvider implements ChannelProvider {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(message: OutboundMessage) {
    const { subject, text, html } = message.content;
    const tags = sesTags(message.appId, message.userId);
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
        ...(tags.length > 0 ? { EmailTags: tags } : {}),
        ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
      }),
    );
    return { providerMessageId: requireId(result.MessageId, "SES") };
  }
}

/**
 * SNS push errors that say this device endpoint will never receive again: disabled (the platform
 * said the token is invalid), deleted, or an endpoint ARN SNS does not know. Only for an endpoint
 * ARN: a raw token where an ARN belongs is a setup error, not a bad token. A disabled platform
 * application is the sender's problem, never the user's.
 */
export function pushUndeliverable(
  error: unknown,
  to: string,
): UndeliverableAddressError | undefined {
  const name = errorName(error);
  if (name === "EndpointDisabledException" || name === "EndpointDisabled") {
    return new UndeliverableAddressError("invalid_token", `SNS push: ${name}`);
  }
  if (!to.startsWith("arn:")) return undefined;
  const aboutEndpoint = /endpoint/i.test(errorText(error));
  if (
    aboutEndpoint &&
    (name === "NotFoundException" ||
      name === "NotFound" ||
      name === "InvalidParameterException" ||
      name === "InvalidParameter")
  ) {
    return new UndeliverableAddressError("invalid_token", `SNS push: ${name} (endpoint)`);
  }
  return undefined;
}

/** Push through an SNS mobile platform endpoint; `to` is the endpoint ARN. */
export class SnsPushProvider implements ChannelProvider {
  constructor(private readonly client: SNSClient) {}

  async send(message: OutboundMessage) {
    try {
      const result = await this.client.send(
        new PublishCommand({ TargetArn: message.to, Message: message.content.text }),
      );
      return { providerMessageId: requireId(result.MessageId, "SNS push") };
    } catch (error) {
      throw pushUndeliverable(error, message.to) ?? error;
    }
  }
}
