import { createHash, X509Certificate } from "node:crypto";

/** SHA-256 of a certificate's DER: the stored form of a client-certificate credential. */
export function certificateFingerprint(der: Uint8Array): Buffer {
  return createHash("sha256").update(der).digest();
}

/** The fingerprint of a PEM certificate, or undefined when the text is not one. */
export function fingerprintOfPem(pem: string): Buffer | undefined {
  try {
    return certificateFingerprint(new X509Certificate(pem).raw);
  } catch {
    return undefined;
  }
}

/** A SHA-256 fingerprint in hex, colons and case ignored (as `openssl x509 -fingerprint` prints it), or undefined. */
export function parseFingerprint(text: string): Buffer | undefined {
  const hex = text.replaceAll(":", "");
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, "hex") : undefined;
}
