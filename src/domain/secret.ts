import { createHash, randomBytes } from "node:crypto";

/** A newly issued secret: the clear text goes to the caller once, only the hash is stored. */
export interface IssuedSecret {
  readonly secret: string;
  readonly hash: Buffer;
}

/** Issues an api_key: "sk_live_" followed by 32 random bytes in base64url. */
export function issueApiKey(): IssuedSecret {
  const secret = `sk_live_${randomBytes(32).toString("base64url")}`;
  return { secret, hash: hashSecret(secret) };
}

/** Issues a claim key: "ck_" followed by 24 random bytes (192 bits) in base64url. */
export function issueClaimKey(): IssuedSecret {
  const secret = `ck_${randomBytes(24).toString("base64url")}`;
  return { secret, hash: hashSecret(secret) };
}

/**
 * SHA-256 of a secret. The secrets are 256-bit random values, so a fast hash is enough:
 * there is nothing to brute-force, and lookups by hash stay a single index probe.
 */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}
