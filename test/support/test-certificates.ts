import { KeyObject, webcrypto } from "node:crypto";
import { x509 } from "../../src/pki/x509.js";

const KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY = 86_400_000;

/** A CA made in memory: its certificate (PEM) and key. */
export interface TestCa {
  readonly certificatePem: string;
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  /** The private key, PKCS#8 PEM, for openssl. */
  readonly keyPem: string;
}

/** A certificate and its private key, PEM. */
export interface TestCertificate {
  readonly certificatePem: string;
  readonly keyPem: string;
}

let serial = 1;
const nextSerial = () => (0x100000 + serial++).toString(16);

/** A self-signed CA; `ca: false` or `keyCertSign: false` make certificates that must be refused as CAs. */
export async function createTestCa(name: string, options: { ca?: boolean; keyCertSign?: boolean; notBefore?: Date; notAfter?: Date } = {}): Promise<TestCa> {
  const keys = await webcrypto.subtle.generateKey(KEY, true, ["sign", "verify"]);
  const usages = options.keyCertSign === false ? x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}, O=Test manufacturer`,
    keys,
    signingAlgorithm: SIGNING,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    extensions: [new x509.BasicConstraintsExtension(options.ca ?? true, undefined, true), new x509.KeyUsagesExtension(usages, true)],
  });
  return { certificatePem: certificate.toString("pem"), certificate, keys, keyPem: pkcs8(keys.privateKey) };
}

/** A certificate signed by `ca` for a new key: a device certificate by default (clientAuth, CN `commonName`). */
export async function issueTestCertificate(
  ca: TestCa,
  commonName: string,
  options: { clientAuth?: boolean; dnsName?: string; uri?: string; notBefore?: Date; notAfter?: Date } = {},
): Promise<TestCertificate> {
  const keys = await webcrypto.subtle.generateKey(KEY, true, ["sign", "verify"]);
  const names = [
    ...(options.dnsName ? [{ type: "dns" as const, value: options.dnsName }] : []),
    ...(options.uri ? [{ type: "url" as const, value: options.uri }] : []),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${commonName}`,
    issuer: ca.certificate.subjectName,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(options.clientAuth === false ? [x509.ExtendedKeyUsage.serverAuth] : [x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  return { certificatePem: certificate.toString("pem"), keyPem: pkcs8(keys.privateKey) };
}

function pkcs8(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }) as string;
}
