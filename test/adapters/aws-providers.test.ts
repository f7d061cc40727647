import { MessageRejected, SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  EndpointDisabledException,
  InvalidParameterException,
  NotFoundException,
  OptedOutException,
  PlatformApplicationDisabledException,
  PublishCommand,
  SNSClient,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  SesEmailProvider,
  SnsPushProvider,
  SnsSmsProvider,
} from "../../lambdas/adapters/providers/aws-providers.js";
import { decodeTagValue } from "../../lambdas/domain/provider-feedback.js";
import type { OutboundMessage } from "../../lambdas/ports.js";
import { UndeliverableAddressError } from "../../lambdas/ports.js";

const sesMock = mockClient(SESv2Client);
const snsMock = mockClient(SNSClient);
const ses = new SESv2Client({ region: "eu-west-1" });
const sns = new SNSClient({ region: "eu-west-1" });
const $metadata = {};

const ENDPOINT = "arn:aws:sns:eu-west-1:1:endpoint/APNS/app/abc";

function outbound(channel: OutboundMessage["channel"], to: string): OutboundMessage {
  return {
    channel,
    to,
    appId: "shop",
    userId: "u-1:x.y",
    dedupeKey: "k",
    content: { subject: "We miss you", text: "Come back" },
  };
}

beforeEach(() => {
  sesMock.reset();
  snsMock.reset();
});

describe("SES e-mail", () => {
  it("tags the message with the user's IDs and sends it under the configuration set", async () => {
    sesMock.on(SendEmailCommand).resolves({ MessageId: "ses-1" });
    const provider = new SesEmailProvider(ses, "no-reply@example.com", "churnwatch-feedback");
    expect(await provider.send(outbound("email", "ann@example.com"))).toEqual({
      providerMessageId: "ses-1",
    });
    const input = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input?.ConfigurationSetName).toBe("churnwatch-feedback");
    const tags = input?.EmailTags ?? [];
    expect(tags.map((tag) => tag.Name)).toEqual(["appId", "userId"]);
    for (const tag of tags) expect(tag.Value).toMatch(/^[A-Za-z0-9_.@-]+$/);
    expect(tags.map((tag) => decodeTagValue(tag.Value ?? ""))).toEqual(["shop", "u-1:x.y"]);
  });

  it("names no configuration set when none is configured", async () => {
    sesMock.on(SendEmailCommand).resolves({ MessageId: "ses-1" });
    await new SesEmailProvider(ses, "no-reply@example.com").send(outbound("email", "a@b.example"));
    const input = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty("ConfigurationSetName");
    expect(input?.EmailTags).toHaveLength(2);
  });

  it("never marks an address for a rejection about the sender or the content", async () => {
    const rejected = new MessageRejected({ message: "Email address is not verified.", $metadata });
    sesMock.on(SendEmailCommand).rejects(rejected);
    const provider = new SesEmailProvider(ses, "no-reply@example.com");
    await expect(provider.send(outbound("email", "a@b.example"))).rejects.toBe(rejected);
  });
});

describe("SNS push", () => {
  const provider = new SnsPushProvider(sns);

  it.each([
    ["disabled", new EndpointDisabledException({ message: "Endpoint is disabled", $metadata })],
    ["deleted", new NotFoundException({ message: "Endpoint does not exist", $metadata })],
    [
      "unknown",
      new InvalidParameterException({
        message:
          "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified",
        $metadata,
      }),
    ],
  ])("reports a %s endpoint as an invalid token", async (_, error) => {
    snsMock.on(PublishCommand).rejects(error);
    const thrown = await provider.send(outbound("push", ENDPOINT)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UndeliverableAddressError);
    expect((thrown as UndeliverableAddressError).reason).toBe("invalid_token");
    expect((thrown as Error).message).not.toContain(ENDPOINT);
  });

  it("blames no user for a disabled platform application", async () => {
    const error = new PlatformApplicationDisabledException({ message: "disabled", $metadata });
    snsMock.on(PublishCommand).rejects(error);
    await expect(provider.send(outbound("push", ENDPOINT))).rejects.toBe(error);
  });

  it("blames no token for a raw token where an endpoint ARN belongs", async () => {
    const error = new InvalidParameterException({
      message: "Invalid parameter: TargetArn Reason: An ARN must have at least 6 elements",
      $metadata,
    });
    snsMock.on(PublishCommand).rejects(error);
    await expect(provider.send(outbound("push", "raw-device-token"))).rejects.toBe(error);
  });

  it("sends to the endpoint otherwise", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "sns-1" });
    expect(await provider.send(outbound("push", ENDPOINT))).toEqual({ providerMessageId: "sns-1" });
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.TargetArn).toBe(ENDPOINT);
  });
});

describe("SNS SMS", () => {
  const provider = new SnsSmsProvider(sns);

  it("reports an opted-out number as a complaint, without quoting the number", async () => {
    snsMock
      .on(PublishCommand)
      .rejects(new OptedOutException({ message: "+8613800138000 opted out", $metadata }));
    const thrown = await provider.send(outbound("sms", "+8613800138000")).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UndeliverableAddressError);
    expect((thrown as UndeliverableAddressError).reason).toBe("complaint");
    expect((thrown as Error).message).not.toContain("+8613800138000");
  });

  it("passes other errors on as they are, to be retried", async () => {
    const error = new InvalidParameterException({
      message: "Invalid parameter: PhoneNumber Reason: not verified in the SMS sandbox",
      $metadata,
    });
    snsMock.on(PublishCommand).rejects(error);
    await expect(provider.send(outbound("sms", "+8613800138000"))).rejects.toBe(error);
  });
});
