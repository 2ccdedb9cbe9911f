import type { HandlerContext } from "@connectrpc/connect";
import { notAuthorized } from "../domain/errors.js";

/** The api_key a device sent as `Authorization: <key>` or `Authorization: Bearer <key>`. */
export function apiKeyOf(context: HandlerContext): string {
  const header = context.requestHeader.get("authorization")?.trim() ?? "";
  const key = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "") : header;
  if (key === "") throw notAuthorized();
  return key;
}
