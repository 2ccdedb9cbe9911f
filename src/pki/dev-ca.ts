import { KeyObject, webcrypto } from "node:crypto";
import { chmod, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createExclusively, replaceFile } from "../atomic-file.js";
import { checkIssuingCa, type IssuingCaPem } from "./issuing-ca.js";
import { x509 } from "./x509.js";

/** The dev-mode issuing CA and where its certificate lives. */
export interface DevCa {
  readonly pem: IssuingCaPem;
  /** The CA certificate alone, for hubs (and `openssl verify -CAfile`) to trust. */
  readonly certPath: string;
  /** Whether this call generated the CA. */
  readonly created: boolean;
}

const KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const VALIDITY_MS = 10 * 365 * 86_400_000;

/**
 * Loads the dev-mode issuing CA from `<dataDir>/ca/dev-ca.pem` (private key and certificate,
 * mode 0600), generating an EC P-256 CA on first use, and (re)writes its certificate alone to
 * `<dataDir>/ca/dev-ca-cert.pem`.
 */
export async function loadOrCreateDevCa(dataDir: string): Promise<DevCa> {
  const dir = path.join(dataDir, "ca");
  const bundlePath = path.join(dir, "dev-ca.pem");
  const certPath = path.join(dir, "dev-ca-cert.pem");
  // Only this folder is private: the data folder stays traversable, since as root the embedded
  // PostgreSQL runs as another user below it.
  await mkdir(dataDir, { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let bundle = await readFile(bundlePath, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw new Error(`dev CA ${bundlePath} cannot be read: ${err.message}`, { cause: err });
  });
  const created = bundle === undefined;
  if (bundle === undefined) {
    await createExclusively(bundlePath, await generateCa(), 0o600);
    // Re-read: a process starting at the same moment may have won the race, and its CA is the CA.
    bundle = await readFile(bundlePath, "utf8");
  }
  await chmod(bundlePath, 0o600); // tighten a copied or restored file

  const pem = splitBundle(bundle);
  try {
    checkIssuingCa(pem);
  } catch (err) {
    throw new Error(`dev CA ${bundlePath}: ${(err as Error).message}; delete it to create a new one`, { cause: err });
  }
  if ((await readFile(certPath, "utf8").catch(() => undefined)) !== pem.certPem) await replaceFile(certPath, pem.certPem, 0o644);
  return { pem, certPath, created };
}

async function generateCa(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(KEY, true, ["sign", "verify"]);
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: ["Device Registry dev issuing CA"] }],
    keys,
    signingAlgorithm: SIGNING,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + VALIDITY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }) as string;
  return `${keyPem}${certificate.toString("pem")}\n`;
}

function splitBundle(bundle: string): IssuingCaPem {
  const block = (label: string) => new RegExp(`-----BEGIN ${label}-----[^-]+-----END ${label}-----\\n?`).exec(bundle)?.[0] ?? "";
  const certPem = block("CERTIFICATE");
  return { certPem: certPem.endsWith("\n") ? certPem : `${certPem}\n`, keyPem: block("PRIVATE KEY") };
}
