/**
 * Checking that an SNS message really comes from SNS: the signature over the message's fields
 * in their documented order, with the public key of the certificate SNS names. Only fetching
 * that certificate is left to an adapter (adapters/sns-signature-verifier.ts), through a key
 * resolver, so everything here is testable with a key pair made in the test.
 */
import { createVerify, type KeyObject } from "node:crypto";
import { z } from "zod";

/**
 * The JSON document SNS delivers (to SQS without raw message delivery). Signature fields are
 * optional here so that an unsigned message parses and is then refused by verification.
 */
export const snsEnvelopeSchema = z.object({
  Type: z.string().min(1),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
  Timestamp: z.string().min(1),
  /** Absent, or null in some emulators, when the publisher gave none. */
  Subject: z.string().nullable().optional(),
  SubscribeURL: z.string().optional(),
  Token: z.string().optional(),
  SignatureVersion: z.string().optional(),
  Signature: z.string().optional(),
  SigningCertURL: z.string().optional(),
});

export type SnsEnvelope = z.infer<typeof snsEnvelopeSchema>;

const NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"];
const CONFIRMATION_FIELDS = [
  "Message",
  "MessageId",
  "SubscribeURL",
  "Timestamp",
  "Token",
  "TopicArn",
  "Type",
];

/**
 * The string SNS signed: each field's name and value on lines of their own, in byte order of
 * the names. A notification leaves Subject out when it has none; undefined for message types
 * SNS does not sign this way, or a confirmation that lacks a field.
 */
export function stringToSign(envelope: SnsEnvelope): string | undefined {
  const fields =
    envelope.Type === "Notification"
      ? NOTIFICATION_FIELDS
      : envelope.Type === "SubscriptionConfirmation" || envelope.Type === "UnsubscribeConfirmation"
        ? CONFIRMATION_FIELDS
        : undefined;
  if (!fields) return undefined;
  let canonical = "";
  for (const name of fields) {
    const value = envelope[name as keyof SnsEnvelope];
    if (typeof value !== "string") {
      if (name === "Subject") continue;
      return undefined;
    }
    canonical += `${name}\n${value}\n`;
  }
  return canonical;
}

/** The regional SNS endpoints, in the commercial and the China partitions. */
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** A certificate URL worth fetching: https, on an SNS host, a .pem file, nothing else. */
export function isTrustedSigningCertUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    url.protocol === "https:" &&
    url.username === "" &&
    url.password === "" &&
    url.port === "" &&
    SNS_HOST.test(url.hostname) &&
    url.pathname.endsWith(".pem")
  );
}

const ALGORITHMS: Readonly<Record<string, string>> = { "1": "RSA-SHA1", "2": "RSA-SHA256" };

/** The certificate at a trusted URL cannot vouch for anything (expired, not a certificate, gone). */
export class UnusableCertificateError extends Error {
  override readonly name = "UnusableCertificateError";
}

/**
 * The public key of the signing certificate at a (trusted) URL. Throws UnusableCertificateError
 * for a certificate that can never verify; any other error is taken to be passing (a network
 * fault) and propagates, so the message is tried again later.
 */
export type SigningKeyResolver = (certUrl: string) => Promise<KeyObject | string>;

export type SignatureFailure =
  | "unsigned"
  | "unsupported_signature_version"
  | "unsupported_message_type"
  | "untrusted_certificate_url"
  | "unusable_certificate"
  | "bad_signature";

export type SignatureVerdict =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: SignatureFailure };

export interface SignatureVerifier {
  verify(envelope: SnsEnvelope): Promise<SignatureVerdict>;
}

function refuse(reason: SignatureFailure): SignatureVerdict {
  return { valid: false, reason };
}

/** SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA). */
export async function verifySnsSignature(
  envelope: SnsEnvelope,
  keyFor: SigningKeyResolver,
): Promise<SignatureVerdict> {
  const { Signature, SignatureVersion, SigningCertURL } = envelope;
  if (!Signature || !SignatureVersion || !SigningCertURL) return refuse("unsigned");
  const algorithm = ALGORITHMS[SignatureVersion];
  if (!algorithm) return refuse("unsupported_signature_version");
  const canonical = stringToSign(envelope);
  if (canonical === undefined) return refuse("unsupported_message_type");
  if (!isTrustedSigningCertUrl(SigningCertURL)) return refuse("untrusted_certificate_url");
  let key: KeyObject | string;
  try {
    key = await keyFor(SigningCertURL);
  } catch (error) {
    if (error instanceof UnusableCertificateError) return refuse("unusable_certificate");
    throw error;
  }
  let valid = false;
  try {
    valid = createVerify(algorithm).update(canonical, "utf8").verify(key, Signature, "base64");
  } catch {
    // A key of the wrong type or a malformed signature: not a signature SNS made.
    valid = false;
  }
  return valid ? { valid: true } : refuse("bad_signature");
}
