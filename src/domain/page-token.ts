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
 * HMAC-SHA256 tag under a key all replicas share, bound to the List method it came from.
 */
export class PageTokens {
  constructor(private readonly key: Buffer) {}

  /** A token for the page after `position` of `list`. */
  encode(list: string, position: Record<string, string>): string {
    const body = Buffer.from(JSON.stringify(position)).toString("base64url");
    return `${body}.${this.tag(list, body)}`;
  }

  /** The position in a token made by encode for the same list, or INVALID_ARGUMENT. */
  decode(list: string, token: string): Record<string, string> {
    const parts = token.split(".");
    const [body, tag] = parts.length === 2 ? parts : [];
    const given = Buffer.from(tag ?? "");
    const expected = Buffer.from(body ? this.tag(list, body) : "");
    if (!body || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidArgumentError("page_token", "is not a token returned by this method");
    }
    const position: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    return position as Record<string, string>;
  }

  private tag(list: string, body: string): string {
    return createHmac("sha256", this.key).update(`${list}\n${body}`).digest("base64url");
  }
}
