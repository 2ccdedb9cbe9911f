import { randomUUID } from "node:crypto";
import { CredentialType } from "../../gen/deviceregistry/v1/device_pb.js";
import type { NewCredential } from "../db/credential-repository.js";
import { verifiedCsrKey } from "../pki/certificate-request.js";
import type { CertificateSubject, IssuingCa } from "../pki/issuing-ca.js";
import type { x509 } from "../pki/x509.js";
import type { DeviceProfile } from "./device.js";
import { InvalidArgumentError } from "./errors.js";
import { issueApiKey } from "./secret.js";

/** What the caller receives once; the fields of the other credential type are empty. */
export interface CredentialSecrets {
  readonly apiKey: string;
  /** The client certificate, PEM. */
  readonly certificate: string;
  /** The certificate's private key (PKCS#8 PEM) when the service generated the key pair. */
  readonly privateKey: string;
}

/** A newly issued credential: the secrets go to the caller once, `stored` (hashes only) to the database. */
export interface IssuedCredential {
  readonly type: CredentialType.API_KEY | CredentialType.CLIENT_CERTIFICATE;
  readonly secrets: CredentialSecrets;
  readonly stored: NewCredential;
}

/** The public key of a verified CSR, or null when the request carried none. */
export type CsrKey = x509.PublicKey | null;

/** The credential type devices of this profile get: the profile's, else api_key (also without a profile). */
export function credentialTypeOf(profile: DeviceProfile | undefined): IssuedCredential["type"] {
  return profile?.credentialType === CredentialType.CLIENT_CERTIFICATE ? CredentialType.CLIENT_CERTIFICATE : CredentialType.API_KEY;
}

/** Issues device credentials: api keys, or client certificates signed by the issuing CA. */
export class CredentialIssuer {
  constructor(private readonly ca: IssuingCa) {}

  /**
   * Verifies a request's `csr` (PEM) before anything is written: its key, null for "", or
   * InvalidArgumentError naming `csr`.
   */
  async csrKey(csr: string): Promise<CsrKey> {
    return csr.trim() === "" ? null : verifiedCsrKey("csr", csr);
  }

  /**
   * Issues a credential of `type` for the device: an api_key, or a certificate for the CSR's key,
   * or for a key pair generated here whose private key is returned and forgotten. A CSR for an
   * api_key device is refused rather than silently ignored.
   */
  async issue(type: IssuedCredential["type"], subject: CertificateSubject, csrKey: CsrKey, now: Date): Promise<IssuedCredential> {
    if (type === CredentialType.API_KEY) {
      if (csrKey) throw new InvalidArgumentError("csr", "the device's credential type is api_key; a CSR applies only to client certificates");
      const apiKey = issueApiKey();
      return {
        type,
        secrets: { apiKey: apiKey.secret, certificate: "", privateKey: "" },
        stored: { credentialId: randomUUID(), kind: "api_key", secretHash: apiKey.hash, certificate: null },
      };
    }
    const { certificate, privateKeyPem } = csrKey
      ? { certificate: await this.ca.issue(subject, csrKey, now), privateKeyPem: "" }
      : await this.ca.issueWithNewKey(subject, now);
    return {
      type,
      secrets: { apiKey: "", certificate: certificate.pem, privateKey: privateKeyPem },
      stored: {
        credentialId: randomUUID(),
        kind: "client_certificate",
        secretHash: certificate.fingerprint,
        certificate: { serial: certificate.serial, notAfter: certificate.notAfter },
      },
    };
  }
}
