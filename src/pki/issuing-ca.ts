import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate as NodeX509Certificate } from "node:crypto";
import { signCrl, type CrlEntry } from "./crl.js";
import { certificateFingerprint } from "./fingerprint.js";
import { x509 } from "./x509.js";

/** The PEM certificate and private key of an issuing CA. */
export interface IssuingCaPem {
  readonly certPem: string;
  readonly keyPem: string;
  /** Decrypts an encrypted key (ENCRYPTED PRIVATE KEY, or a legacy PEM with DEK-Info). */
  readonly passphrase?: string | undefined;
}

/** Whom a device certificate names. */
export interface CertificateSubject {
  readonly tenantId: string;
  readonly deviceId: string;
}

/** A signed device certificate: the PEM goes to the device once, the rest is stored. */
export interface IssuedCertificate {
  readonly pem: string;
  /** SHA-256 of the certificate's DER. */
  readonly fingerprint: Buffer;
  /** Hex serial number. */
  readonly serial: string;
  readonly notAfter: Date;
}

// Devices' clocks drift: a certificate valid from the moment it is signed would be refused by a
// device a little behind.
const BACKDATE_MS = 5 * 60_000;
const DEVICE_KEY = { name: "ECDSA", namedCurve: "P-256" } as const;

/** The URI SAN that binds a device certificate to its tenant and device. */
function deviceUri({ tenantId, deviceId }: CertificateSubject): string {
  return `urn:device-registry:tenant:${tenantId}:device:${deviceId}`;
}

/**
 * Checks that the PEMs are a CA certificate and its own private key of a type the CA can sign
 * with (EC P-256/P-384, Ed25519, RSA); throws an Error saying what is wrong.
 */
export function checkIssuingCa(pem: IssuingCaPem): void {
  let certificate: NodeX509Certificate;
  try {
    certificate = new NodeX509Certificate(pem.certPem);
  } catch {
    throw new Error("is not a PEM X.509 certificate");
  }
  const key = privateKeyOf(pem);
  if (!certificate.ca) throw new Error("is not a CA certificate (basicConstraints CA:TRUE)");
  if (!certificate.checkPrivateKey(key)) throw new Error("the key does not belong to the certificate");
  signingAlgorithm(key);
}

/** The CA's private key, decrypted with its passphrase when it is encrypted. */
function privateKeyOf({ keyPem, passphrase }: IssuingCaPem): KeyObject {
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|^DEK-Info:/m.test(keyPem);
  if (encrypted && passphrase === undefined) throw new Error("the key is encrypted and no passphrase was given");
  try {
    return createPrivateKey(passphrase === undefined ? keyPem : { key: keyPem, passphrase });
  } catch {
    throw new Error(encrypted ? "the passphrase does not decrypt the key" : "is not a PEM private key");
  }
}

/** The CA that signs device client certificates. */
export class IssuingCa {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly key: webcrypto.CryptoKey,
    private readonly algorithm: SigningAlgorithm,
    private readonly validityMs: number,
    /** Where the CA publishes its CRL; named in every certificate it signs. */
    readonly crlUrl: string,
  ) {}

  /** Loads a CA checked by {@link checkIssuingCa}; device certificates last `validityMs` and name `crlUrl`. */
  static async load(pem: IssuingCaPem, validityMs: number, crlUrl: string): Promise<IssuingCa> {
    checkIssuingCa(pem);
    const keyObject = privateKeyOf(pem);
    const algorithm = signingAlgorithm(keyObject);
    const key = keyObject.toCryptoKey(algorithm.importParams, false, ["sign"]);
    return new IssuingCa(new x509.X509Certificate(pem.certPem), key, algorithm, validityMs, crlUrl);
  }

  /**
   * Signs a client certificate for `publicKey`: subject CN=<device_id>, O=<tenant_id>, the URI SAN
   * of {@link deviceUri}, clientAuth only, a random 128-bit serial, valid from `now` (less a few
   * minutes of clock skew) for the configured validity.
   */
  async issue(subject: CertificateSubject, publicKey: x509.PublicKey | webcrypto.CryptoKey, now: Date): Promise<IssuedCertificate> {
    const serial = randomBytes(16);
    serial[0] = (serial[0]! & 0x7f) | 0x40; // positive and of full length, as RFC 5280 wants
    // X.509 times are whole seconds: what is stored is exactly what the certificate says.
    const notAfter = wholeSeconds(now.getTime() + this.validityMs);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString("hex"),
      subject: [{ O: [subject.tenantId] }, { CN: [subject.deviceId] }],
      issuer: this.certificate.subjectName,
      notBefore: wholeSeconds(now.getTime() - BACKDATE_MS),
      notAfter,
      publicKey,
      signingKey: this.key,
      signingAlgorithm: this.algorithm.signParams,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: "url", value: deviceUri(subject) }]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate),
        new x509.CRLDistributionPointsExtension([this.crlUrl]),
      ],
    });
    const fingerprint = certificateFingerprint(new Uint8Array(certificate.rawData));
    return { pem: certificate.toString("pem"), fingerprint, serial: certificate.serialNumber, notAfter };
  }

  /** Signs a CRL (RFC 5280) of `entries` numbered `number`, valid from `thisUpdate` to `nextUpdate`. */
  signCrl(entries: readonly CrlEntry[], number: number, thisUpdate: Date, nextUpdate: Date): Promise<x509.X509Crl> {
    return signCrl({ certificate: this.certificate, key: this.key, algorithm: this.algorithm.signParams }, entries, number, thisUpdate, nextUpdate);
  }

  /** Generates an EC P-256 key pair and signs a certificate for it; the private key as PKCS#8 PEM. */
  async issueWithNewKey(subject: CertificateSubject, now: Date): Promise<{ certificate: IssuedCertificate; privateKeyPem: string }> {
    const keys = await webcrypto.subtle.generateKey(DEVICE_KEY, true, ["sign", "verify"]);
    const certificate = await this.issue(subject, keys.publicKey, now);
    const privateKeyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
    return { certificate, privateKeyPem };
  }
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

interface SigningAlgorithm {
  readonly importParams: webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  readonly signParams: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

function signingAlgorithm(key: KeyObject): SigningAlgorithm {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === "ed25519") return { importParams: { name: "Ed25519" }, signParams: { name: "Ed25519" } };
  if (key.asymmetricKeyType === "rsa") {
    return { importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, signParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as webcrypto.Algorithm };
  }
  if (key.asymmetricKeyType === "ec" && (curve === "prime256v1" || curve === "secp384r1")) {
    const namedCurve = curve === "prime256v1" ? "P-256" : "P-384";
    return { importParams: { name: "ECDSA", namedCurve }, signParams: { name: "ECDSA", hash: namedCurve === "P-256" ? "SHA-256" : "SHA-384" } };
  }
  throw new Error(`the key type ${key.asymmetricKeyType ?? "unknown"}${curve ? ` (${curve})` : ""} is not supported: use EC P-256/P-384, Ed25519 or RSA`);
}
