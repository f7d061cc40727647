import { describe, expect, it, vi } from "vitest";
import { SnsSignatureVerifier } from "../../lambdas/adapters/sns-signature-verifier.js";
import { signed, TEST_CERT_URL, TEST_SIGNING_CERT_PEM } from "../fixtures/sns-signing.js";

const notification = {
  Type: "Notification",
  MessageId: "m-1",
  TopicArn: "arn:aws:sns:eu-west-1:123456789012:feedback",
  Message: "{}",
  Timestamp: "2027-01-01T00:00:00.000Z",
};
/** Inside the test certificate's validity (it starts 2026-11-23). */
const now = () => new Date("2027-01-01T00:00:00Z");

describe("SNS signature verifier", () => {
  it("verifies with the fetched certificate and fetches each URL once", async () => {
    const fetchCertificate = vi.fn(async () => TEST_SIGNING_CERT_PEM);
    const verifier = new SnsSignatureVerifier(fetchCertificate, now);
    expect(await verifier.verify(signed(notification, "1"))).toEqual({ valid: true });
    expect(await verifier.verify(signed({ ...notification, MessageId: "m-2" }))).toEqual({
      valid: true,
    });
    expect(fetchCertificate).toHaveBeenCalledTimes(1);
    expect(fetchCertificate).toHaveBeenCalledWith(TEST_CERT_URL);
  });

  it("refuses a message signed under an expired certificate", async () => {
    const verifier = new SnsSignatureVerifier(
      async () => TEST_SIGNING_CERT_PEM,
      () => new Date("2200-01-01T00:00:00Z"),
    );
    expect(await verifier.verify(signed(notification))).toEqual({
      valid: false,
      reason: "unusable_certificate",
    });
  });

  it("refuses what is not a certificate, and tries again for the next message", async () => {
    const fetchCertificate = vi.fn(async () => "<html>not a certificate</html>");
    const verifier = new SnsSignatureVerifier(fetchCertificate, now);
    expect(await verifier.verify(signed(notification))).toEqual({
      valid: false,
      reason: "unusable_certificate",
    });
    await verifier.verify(signed(notification));
    expect(fetchCertificate).toHaveBeenCalledTimes(2);
  });

  it("lets a failed fetch through to be retried, and forgets it", async () => {
    const fetchCertificate = vi
      .fn<(url: string) => Promise<string>>()
      .mockRejectedValueOnce(new Error("socket hang up"))
      .mockResolvedValue(TEST_SIGNING_CERT_PEM);
    const verifier = new SnsSignatureVerifier(fetchCertificate, now);
    await expect(verifier.verify(signed(notification))).rejects.toThrow("socket hang up");
    expect(await verifier.verify(signed(notification))).toEqual({ valid: true });
  });

  it("never fetches from a URL off SNS's hosts", async () => {
    const fetchCertificate = vi.fn(async () => TEST_SIGNING_CERT_PEM);
    const verifier = new SnsSignatureVerifier(fetchCertificate, now);
    const forged = signed(notification, "2", "https://sns.example.com/cert.pem");
    expect(await verifier.verify(forged)).toEqual({
      valid: false,
      reason: "untrusted_certificate_url",
    });
    expect(fetchCertificate).not.toHaveBeenCalled();
  });
});
