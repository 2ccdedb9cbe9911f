import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { InvalidArgumentError } from "./errors.js";

/** Default and largest page sizes of List methods (AIP-158). */
const PAGE_SIZE_DEFAULT = 50;
const PAGE_SIZE_MAX = 1000;

/** The page size to use: 0 means the default, larger than the maximum is capped, negative is refused. */
export function pageSize(requested: number): number {
  if (requested < 0) throw new InvalidArgumentError("page_size", "must not be negative");
  return requested === 0 ? PAGE_SIZE_DEFAULT : Math.min(requested, PAGE_SIZE_MAX);
}

/**
 * Opaque page tokens: the keyset position encrypted and authenticated with AES-256-GCM under a key
 * derived from a secret all replicas share. The tenant and the List method are the additional
 * authenticated data, so a token works only for the tenant and the method it was issued for and
 * reveals nothing of the ids or timestamps it holds. A digest of the filters travels inside, so
 * that a token reused with other filters is told apart from one that is not a token of the method.
 */
export class PageTokens {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "", "device-registry page token v2", 32));
  }

  /** A token for the page after `position` of the tenant's `list` with these `filters`. */
  encode(tenantId: string, list: string, position: Record<string, string>, filters = ""): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv).setAAD(scopeOf(tenantId, list));
    const plain = JSON.stringify({ ...position, [FILTERS]: this.digest(filters) });
    const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
  }

  /**
   * One page of the tenant's `list`, from `rows` read with one more than `size`: the first `size`
   * rows and the token of the page after them ("" when this is the last page).
   */
  page<T>(
    tenantId: string,
    list: string,
    rows: readonly T[],
    size: number,
    positionOf: (last: T) => Record<string, string>,
    filters = "",
  ): { items: T[]; next: string } {
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return { items, next: rows.length > size && last !== undefined ? this.encode(tenantId, list, positionOf(last), filters) : "" };
  }

  /** The position in a token made by encode for the same tenant, list and filters, or INVALID_ARGUMENT. */
  decode(tenantId: string, list: string, token: string, filters = ""): Record<string, string> {
    const { [FILTERS]: issuedFor, ...position } = this.open(tenantId, list, token);
    if (issuedFor !== this.digest(filters)) {
      throw new InvalidArgumentError("page_token", "was issued for other filters: send the filters of the first page with it, or no page_token to start over");
    }
    return position;
  }

  private open(tenantId: string, list: string, token: string): Record<string, string> {
    const raw = Buffer.from(token, "base64url");
    if (raw.length <= IV_BYTES + TAG_BYTES || raw.toString("base64url") !== token) throw notOurs();
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES)).setAAD(scopeOf(tenantId, list));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString("utf8")) as Record<string, string>;
    } catch {
      throw notOurs();
    }
  }

  private digest(filters: string): string {
    return createHmac("sha256", this.key).update(`filters\n${filters}`).digest("base64url").slice(0, 16);
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The key of the filters' digest in a token's JSON. */
const FILTERS = "f";

function scopeOf(tenantId: string, list: string): Buffer {
  return Buffer.from(`${tenantId}\n${list}`, "utf8");
}

function notOurs(): InvalidArgumentError {
  return new InvalidArgumentError("page_token", "is not a token returned by this method");
}
