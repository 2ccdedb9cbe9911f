import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";

/** An Ed25519 signing key published in a JWKS file, as an identity provider would. */
export interface TestKeys {
  readonly jwksPath: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** Signs `claims` (defaults: sub, exp in 1 h) with this key, alg EdDSA. */
  token(claims: JWTPayload, header?: { kid?: string; alg?: string }): Promise<string>;
}

/** Generates a key pair and writes its JWKS to a temporary file. */
export async function createTestKeys(kid = "test-key-1"): Promise<TestKeys> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  const jwksPath = path.join(mkdtempSync(path.join(os.tmpdir(), "jwks-")), "jwks.json");
  writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }));
  return {
    jwksPath,
    kid,
    privateKey,
    token: (claims, header = {}) =>
      new SignJWT({ sub: "alice", ...claims })
        .setProtectedHeader({ alg: "EdDSA", kid, ...header })
        .setIssuedAt()
        .setExpirationTime(typeof claims.exp === "number" ? claims.exp : "1h")
        .sign(privateKey),
  };
}
