import { createPublicKey } from "node:crypto";
import { InvalidArgumentError } from "../domain/errors.js";
import { x509 } from "./x509.js";

// A PEM CSR with a 4096-bit RSA key and a long subject stays well under this.
const MAX_CSR_CHARS = 16_384;
const PEM_CSR = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\s*$/;

/**
 * The public key of a PEM PKCS#10 request whose self-signature verifies and whose key is EC
 * P-256/P-384, Ed25519 or RSA of at least 2048 bits; InvalidArgumentError naming `field` otherwise.
 * Only the key is used: the subject and extensions the request asks for are the service's choice.
 */
export async function verifiedCsrKey(field: string, pem: string): Promise<x509.PublicKey> {
  const text = pem.trim();
  if (text.length > MAX_CSR_CHARS) throw new InvalidArgumentError(field, `must be at most ${MAX_CSR_CHARS} characters`);
  let request: x509.Pkcs10CertificateRequest;
  try {
    if (!PEM_CSR.test(text)) throw new Error("not PEM");
    request = new x509.Pkcs10CertificateRequest(text);
  } catch {
    throw new InvalidArgumentError(field, "is not a PEM PKCS#10 certificate request");
  }
  checkKeyType(field, request.publicKey);
  let verified: boolean;
  try {
    verified = await request.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new InvalidArgumentError(field, "the request's signature does not verify");
  return request.publicKey;
}

function checkKeyType(field: string, publicKey: x509.PublicKey): void {
  let type: string | undefined;
  let details: { namedCurve?: string | undefined; modulusLength?: number | undefined } | undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey.rawData), format: "der", type: "spki" });
    type = key.asymmetricKeyType;
    details = key.asymmetricKeyDetails;
  } catch {
    throw new InvalidArgumentError(field, "the request's public key cannot be read");
  }
  const ok =
    type === "ed25519" ||
    (type === "ec" && (details?.namedCurve === "prime256v1" || details?.namedCurve === "secp384r1")) ||
    (type === "rsa" && (details?.modulusLength ?? 0) >= 2048);
  if (!ok) throw new InvalidArgumentError(field, "the key must be EC P-256 or P-384, Ed25519, or RSA of at least 2048 bits");
}
