import { chmod, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from "jose";
import type { CryptoKey, JWK } from "jose";
import { createExclusively, replaceFile } from "../atomic-file.js";

/** The local signing key of dev mode and where its public JWKS lives. */
export interface DevKey {
  /** Public JWKS file to hand to `createKeySet`. */
  readonly jwksPath: string;
  /** Ed25519 private key that signs dev tokens. */
  readonly privateKey: CryptoKey;
  readonly kid: string;
}

/**
 * Loads the dev-mode Ed25519 key from `<dataDir>/auth/dev-key.json` (mode 0600), creating it on
 * first use, and (re)writes its public JWKS to `<dataDir>/auth/dev-jwks.json`.
 */
export async function loadOrCreateDevKey(dataDir: string): Promise<DevKey> {
  const dir = path.join(dataDir, "auth");
  const keyPath = path.join(dir, "dev-key.json");
  const jwksPath = path.join(dir, "dev-jwks.json");
  // Only this folder is private: the data folder stays traversable, since as root the embedded
  // PostgreSQL runs as another user below it.
  await mkdir(dataDir, { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let jwk = await readPrivateJwk(keyPath);
  if (jwk === undefined) {
    await createExclusively(keyPath, `${JSON.stringify(await generateJwk(), null, 2)}\n`, 0o600);
    // Re-read: a process starting at the same moment may have won the race, and its key is the key.
    jwk = await readPrivateJwk(keyPath);
    if (jwk === undefined) throw new Error(`dev key ${keyPath} vanished after creation`);
  }
  await chmod(keyPath, 0o600); // tighten a copied or restored file

  const { d: _d, ...publicJwk } = jwk;
  const jwks = `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`;
  // Derived from the private key on every start, so a crash between the two writes heals itself.
  if ((await readFile(jwksPath, "utf8").catch(() => undefined)) !== jwks) await replaceFile(jwksPath, jwks, 0o644);

  const privateKey = (await importJWK(jwk, "EdDSA")) as CryptoKey;
  return { jwksPath, privateKey, kid: jwk.kid as string };
}

async function generateJwk(): Promise<JWK> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  return { ...(await exportJWK(privateKey)), kid, alg: "EdDSA", use: "sig" };
}

async function readPrivateJwk(file: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`dev key ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    const jwk = JSON.parse(text) as JWK;
    if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && typeof jwk.d === "string" && typeof jwk.kid === "string") {
      return jwk;
    }
  } catch {
    // fall through to the error below
  }
  throw new Error(`dev key ${file} is not an Ed25519 private JWK with a kid; delete it to create a new one`);
}
