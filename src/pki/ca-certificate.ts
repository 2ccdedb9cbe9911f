import { X509Certificate } from "node:crypto";
import { InvalidArgumentError } from "../domain/errors.js";
import { certificateFingerprint } from "./fingerprint.js";
import { x509 } from "./x509.js";

// A CA certificate with a long chain of names and extensions stays well under this.
const MAX_PEM_CHARS = 16_384;

/** A manufacturer CA certificate fit to vouch for devices, and what is stored of it. */
export interface CaCertificate {
  readonly certificate: X509Certificate;
  readonly pem: string;
  readonly fingerprint: Buffer;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A PEM certificate, or InvalidArgumentError naming `field`. */
function parsePemCertificate(field: string, pem: string): X509Certificate {
  const text = pem.trim();
  if (text.length > MAX_PEM_CHARS) throw new InvalidArgumentError(field, `must be at most ${MAX_PEM_CHARS} characters`);
  try {
    if (!text.startsWith("-----BEGIN CERTIFICATE-----")) throw new Error("not PEM");
    return new X509Certificate(text);
  } catch {
    throw new InvalidArgumentError(field, "is not a PEM X.509 certificate");
  }
}

/**
 * Checks that `pem` is a CA certificate (basicConstraints CA:TRUE, the keyCertSign key usage)
 * valid at `now`; InvalidArgumentError naming `field` otherwise.
 */
export function checkCaCertificate(field: string, pem: string, now: Date): CaCertificate {
  const certificate = parsePemCertificate(field, pem);
  const parsed = new x509.X509Certificate(certificate.raw);
  if (!parsed.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new InvalidArgumentError(field, "is not a CA certificate (basicConstraints CA:TRUE)");
  }
  const usages = parsed.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  if ((usages & x509.KeyUsageFlags.keyCertSign) === 0) throw new InvalidArgumentError(field, "lacks the keyCertSign key usage");
  const notBefore = certificate.validFromDate;
  const notAfter = certificate.validToDate;
  if (notAfter <= now) throw new InvalidArgumentError(field, "has expired");
  if (notBefore > now) throw new InvalidArgumentError(field, "is not valid yet");
  return {
    certificate,
    pem: `${certificate.toString().trim()}\n`,
    fingerprint: certificateFingerprint(certificate.raw),
    subject: certificate.subject,
    notBefore,
    notAfter,
  };
}

/**
 * Proof that whoever registers the CA holds its key: `verificationPem` is signed by the CA and its
 * subject CN is the tenant's registration code; InvalidArgumentError naming `field` otherwise.
 */
export function checkProofOfPossession(field: string, ca: CaCertificate, verificationPem: string, registrationCode: string): void {
  const verification = parsePemCertificate(field, verificationPem);
  if (!verification.verify(ca.certificate.publicKey)) throw new InvalidArgumentError(field, "is not signed by the CA's key");
  const commonNames = new x509.X509Certificate(verification.raw).subjectName.getField("CN");
  if (!commonNames.includes(registrationCode)) {
    throw new InvalidArgumentError(field, "its subject CN must be the tenant's registration code (GetCaRegistrationCode)");
  }
}
