import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { InvalidArgumentError } from "./errors.js";

/** Default and largest page sizes of List methods (AIP-158). */
export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 1000;

/** The page size to use: 0 means the default, larger than the maximum is capped, negative is refused. */
export function pageSize(requested: number): number {
  if (requested < 0) throw new InvalidArgumentError("page_size", "must not be negative");
  return requested === 0 ? PAGE_SIZE_DEFAULT : Math.min(requested, PAGE_SIZE_MAX);
}

/**
 * Opaque page tokens: the keyset position encrypted and authenticated with AES-256-GCM under a key
 * derived from a secret all replicas share. The tenant and the listing (List method and filters)
 * are the additional authenticated data, so a token works only for the tenant and the listing it
 * was issued for, and reveals nothing of the ids or timestamps it holds.
 */
export class PageTokens {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "", "device-registry page token v2", 32));
  }

  /** A token for the page after `position` of the tenant's `listing`. */
  encode(tenantId: string, listing: string, position: Record<string, string>): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv).setAAD(scopeOf(tenantId, listing));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(position), "utf8"), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
  }

  /** The position in a token made by encode for the same tenant and listing, or INVALID_ARGUMENT. */
  decode(tenantId: string, listing: string, token: string): Record<string, string> {
    const raw = Buffer.from(token, "base64url");
    if (raw.length <= IV_BYTES + TAG_BYTES || raw.toString("base64url") !== token) throw notOurs();
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES)).setAAD(scopeOf(tenantId, listing));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as Record<string, string>;
    } catch {
      throw notOurs();
    }
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

function scopeOf(tenantId: string, listing: string): Buffer {
  return Buffer.from(`${tenantId}\n${listing}`, "utf8");
}

function notOurs(): InvalidArgumentError {
  return new InvalidArgumentError("page_token", "is not a token returned by this method");
}
