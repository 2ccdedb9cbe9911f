import { createHmac, timingSafeEqual } from "node:crypto";
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
 * Opaque, tamper-checked page tokens: base64url JSON of the keyset position followed by an
 * HMAC-SHA256 tag under a key all replicas share, bound to the List method it came from and to
 * a digest of the filters it was issued with (inside the tagged JSON), so that a token reused
 * with other filters is told apart from one that is not a token of the method at all.
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  /** A token for the page after `position` of `list` with these `filters`. */
  encode(list: string, position: Record<string, string>, filters = ""): string {
    const body = Buffer.from(JSON.stringify({ ...position, [FILTERS]: this.digest(filters) })).toString("base64url");
    return `${body}.${this.tag(list, body)}`;
  }

  /** The position in a token made by encode for the same list and filters, or INVALID_ARGUMENT. */
  decode(list: string, token: string, filters = ""): Record<string, string> {
    const parts = token.split(".");
    const [body, tag] = parts.length === 2 ? parts : [];
    const given = Buffer.from(tag ?? "");
    const expected = Buffer.from(body ? this.tag(list, body) : "");
    if (!body || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidArgumentError("page_token", "is not a token returned by this method");
    }
    const { [FILTERS]: issuedFor, ...position } = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, string>;
    if (issuedFor !== this.digest(filters)) {
      throw new InvalidArgumentError("page_token", "was issued for other filters: send the filters of the first page with it, or no page_token to start over");
    }
    return position;
  }

  private tag(list: string, body: string): string {
    return createHmac("sha256", this.key).update(`${list}\n${body}`).digest("base64url");
  }

  private digest(filters: string): string {
    return createHmac("sha256", this.key).update(`filters\n${filters}`).digest("base64url").slice(0, 16);
  }
}

/** The key of the filters' digest in a token's JSON. */
const FILTERS = "f";
