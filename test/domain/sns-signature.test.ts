import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import {
  isTrustedSigningCertUrl,
  type SnsEnvelope,
  stringToSign,
  UnusableCertificateError,
  verifySnsSignature,
} from "../../lambdas/domain/sns-signature.js";
import { signed, TEST_CERT_URL, TEST_SIGNING_CERT_PEM } from "../fixtures/sns-signing.js";

const notification = {
  Type: "Notification",
  MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  TopicArn: "arn:aws:sns:eu-west-1:123456789012:feedback",
  Subject: "My First Message",
  Message: 'Hello world!\n{"a":1}',
  Timestamp: "2012-05-02T00:54:06.655Z",
};

const publicKey = createPublicKey(TEST_SIGNING_CERT_PEM);

describe("the string SNS signs", () => {
  it("lists a notification's fields in name order, each name and value on its own line", () => {
    expect(stringToSign(notification)).toBe(
      "Message\nHello world!\n" +
        '{"a":1}\n' +
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n" +
        "Subject\nMy First Message\n" +
        "Timestamp\n2012-05-02T00:54:06.655Z\n" +
        "TopicArn\narn:aws:sns:eu-west-1:123456789012:feedback\n" +
        "Type\nNotification\n",
    );
  });

  it("leaves out a subject the notification does not have", () => {
    const { Subject: _subject, ...withoutSubject } = notification;
    const expected =
      'Message\nHello world!\n{"a":1}\n' +
      "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n" +
      "Timestamp\n2012-05-02T00:54:06.655Z\n" +
      "TopicArn\narn:aws:sns:eu-west-1:123456789012:feedback\n" +
      "Type\nNotification\n";
    expect(stringToSign(withoutSubject)).toBe(expected);
    expect(stringToSign({ ...notification, Subject: null })).toBe(expected);
  });

  it("signs a subscription confirmation's URL and token, and nothing else it does not know", () => {
    const confirmation: SnsEnvelope = {
      Type: "SubscriptionConfirmation",
      MessageId: "m",
      TopicArn: "t",
      Message: "confirm",
      Timestamp: "2012-05-02T00:54:06.655Z",
      SubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
      Token: "tok",
    };
    expect(stringToSign(confirmation)).toBe(
      "Message\nconfirm\nMessageId\nm\n" +
        "SubscribeURL\nhttps://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription\n" +
        "Timestamp\n2012-05-02T00:54:06.655Z\nToken\ntok\nTopicArn\nt\nType\nSubscriptionConfirmation\n",
    );
    expect(stringToSign({ ...confirmation, Token: undefined })).toBeUndefined();
    expect(stringToSign({ ...notification, Type: "Other" })).toBeUndefined();
  });
});

describe("signing certificate URLs", () => {
  it.each([
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
  ])("trusts %s", (url) => {
    expect(isTrustedSigningCertUrl(url)).toBe(true);
  });

  it.each([
    ["plain http", "http://sns.us-east-1.amazonaws.com/cert.pem"],
    ["another host", "https://evil.example.com/cert.pem"],
    ["a lookalike suffix", "https://sns.us-east-1.amazonaws.com.evil.com/cert.pem"],
    ["a nested host", "https://sns.evil.com.amazonaws.com/cert.pem"],
    ["another AWS service", "https://s3.us-east-1.amazonaws.com/cert.pem"],
    ["credentials in the URL", "https://user@sns.us-east-1.amazonaws.com/cert.pem"],
    ["an explicit port", "https://sns.us-east-1.amazonaws.com:8443/cert.pem"],
    ["no .pem file", "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"],
    ["no URL at all", "sns.us-east-1.amazonaws.com/cert.pem"],
  ])("refuses %s", (_, url) => {
    expect(isTrustedSigningCertUrl(url)).toBe(false);
  });
});

describe("verifying a signature", () => {
  it.each(["1", "2"] as const)(
    "accepts SignatureVersion %s made with the certificate's key",
    async (version) => {
      const keyFor = vi.fn(async () => publicKey);
      expect(await verifySnsSignature(signed(notification, version), keyFor)).toEqual({
        valid: true,
      });
      expect(keyFor).toHaveBeenCalledWith(TEST_CERT_URL);
    },
  );

  it("accepts the certificate PEM itself as the key", async () => {
    const verdict = await verifySnsSignature(
      signed(notification),
      async () => TEST_SIGNING_CERT_PEM,
    );
    expect(verdict.valid).toBe(true);
  });

  it.each([
    ["the message", { Message: "Hello world?" }],
    ["the topic", { TopicArn: "arn:aws:sns:eu-west-1:123456789012:other" }],
    ["the subject", { Subject: "Another" }],
    ["the type", { Type: "SubscriptionConfirmation", SubscribeURL: "x", Token: "y" }],
  ])("refuses a notification whose %s changed after signing", async (_, change) => {
    const tampered = { ...signed(notification), ...change };
    expect(await verifySnsSignature(tampered, async () => publicKey)).toEqual({
      valid: false,
      reason: "bad_signature",
    });
  });

  it("refuses a signature made with another key", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    expect(await verifySnsSignature(signed(notification), async () => other)).toEqual({
      valid: false,
      reason: "bad_signature",
    });
  });

  it("refuses a signature that is not base64 of anything", async () => {
    const garbled = { ...signed(notification), Signature: "EXAMPLE" };
    expect((await verifySnsSignature(garbled, async () => publicKey)).valid).toBe(false);
  });

  it("never fetches a certificate from an untrusted URL", async () => {
    const keyFor = vi.fn(async () => publicKey);
    const forged = signed(notification, "2", "https://attacker.example.com/sns.pem");
    expect(await verifySnsSignature(forged, keyFor)).toEqual({
      valid: false,
      reason: "untrusted_certificate_url",
    });
    expect(keyFor).not.toHaveBeenCalled();
  });

  it.each([
    ["unsigned", { Signature: undefined }],
    ["unsupported_signature_version", { SignatureVersion: "3" }],
    ["unsupported_message_type", { Type: "Other" }],
  ])("refuses as %s", async (reason, change) => {
    const envelope = { ...signed(notification), ...change };
    expect(await verifySnsSignature(envelope, async () => publicKey)).toEqual({
      valid: false,
      reason,
    });
  });

  it("refuses when the certificate is unusable, and lets passing faults through", async () => {
    const unusable = async () => {
      throw new UnusableCertificateError("expired");
    };
    expect(await verifySnsSignature(signed(notification), unusable)).toEqual({
      valid: false,
      reason: "unusable_certificate",
    });
    const offline = async () => {
      throw new Error("ECONNRESET");
    };
    await expect(verifySnsSignature(signed(notification), offline)).rejects.toThrow("ECONNRESET");
  });
});
