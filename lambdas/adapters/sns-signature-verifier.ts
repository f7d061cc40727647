import { type KeyObject, X509Certificate } from "node:crypto";
import {
  isTrustedSigningCertUrl,
  type SignatureVerdict,
  type SignatureVerifier,
  type SnsEnvelope,
  UnusableCertificateError,
  verifySnsSignature,
} from "../domain/sns-signature.js";

const FETCH_TIMEOUT_MS = 5_000;

/** Fetches a certificate's PEM text; an answer that will never change is an unusable one. */
export async function fetchSigningCertificate(url: string): Promise<string> {
  // Never followed elsewhere: the host was checked, a redirect would leave it.
  const response = await fetch(url, {
    redirect: "error",
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    throw new UnusableCertificateError(`signing certificate answered HTTP ${response.status}`);
  }
  if (!response.ok) throw new Error(`signing certificate answered HTTP ${response.status}`);
  return response.text();
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new UnusableCertificateError("signing certificate is not an X.509 certificate");
  }
}

/**
 * Verifies SNS signatures with certificates fetched from SNS's own https hosts only, each URL
 * fetched once per container (SNS rotates certificates by publishing them under new names).
 * A failed fetch is forgotten, so the next message tries again.
 */
export class SnsSignatureVerifier implements SignatureVerifier {
  private readonly certificates = new Map<string, Promise<X509Certificate>>();

  constructor(
    private readonly fetchCertificate: (url: string) => Promise<string> = fetchSigningCertificate,
    private readonly now: () => Date = () => new Date(),
  ) {}

  verify(envelope: SnsEnvelope): Promise<SignatureVerdict> {
    return verifySnsSignature(envelope, (url) => this.keyFor(url));
  }

  private async keyFor(url: string): Promise<KeyObject> {
    // verifySnsSignature checked it already; checked again so no other caller can widen it.
    if (!isTrustedSigningCertUrl(url)) throw new UnusableCertificateError("untrusted URL");
    let certificate = this.certificates.get(url);
    if (!certificate) {
      const loading = this.fetchCertificate(url).then(parseCertificate);
      this.certificates.set(url, loading);
      loading.catch(() => {
        if (this.certificates.get(url) === loading) this.certificates.delete(url);
      });
      certificate = loading;
    }
    const cert = await certificate;
    const now = this.now().getTime();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      throw new UnusableCertificateError("signing certificate is outside its validity period");
    }
    return cert.publicKey;
  }
}
