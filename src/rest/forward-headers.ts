/**
 * Which headers cross the REST/RPC boundary.
 *
 * Into the call: authorization, user-agent, forwarded, x-forwarded-for (with the peer address
 * appended, as a proxy does), W3C trace context, accept-language and every other `x-` header.
 * Never hop-by-hop headers (including those named by Connection), cookies, content negotiation,
 * or protocol headers (connect-*, grpc-*), which the transport owns.
 *
 * Out of the call: response headers, trailers and error metadata (retry-after, x-request-id,
 * www-authenticate, ...), except content/transport headers and protocol headers.
 */
import type { IncomingHttpHeaders } from "node:http";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);

const FORWARDED = new Set(["authorization", "user-agent", "forwarded", "traceparent", "tracestate", "baggage", "accept-language"]);

const NOT_RETURNED = new Set(["content-type", "content-length", "content-encoding", "accept-encoding", "date", "vary"]);

/** Builds the request headers of the RPC call from the incoming HTTP request's headers. */
export function forwardedRequestHeaders(incoming: IncomingHttpHeaders, remoteAddress: string | undefined): Headers {
  const out = new Headers();
  const connectionTokens = new Set(headerValues(incoming["connection"]).flatMap((v) => v.split(",").map((t) => t.trim().toLowerCase())));
  for (const [rawName, value] of Object.entries(incoming)) {
    const name = rawName.toLowerCase();
    if (name.startsWith(":") || HOP_BY_HOP.has(name) || connectionTokens.has(name)) continue;
    if (!FORWARDED.has(name) && !(name.startsWith("x-") && name !== "x-grpc-web")) continue;
    for (const v of headerValues(value)) out.append(name, v);
  }
  if (remoteAddress !== undefined && remoteAddress !== "") {
    const prior = out.get("x-forwarded-for");
    out.set("x-forwarded-for", prior === null || prior === "" ? remoteAddress : `${prior}, ${remoteAddress}`);
  }
  return out;
}

/** Merges RPC response metadata worth returning to an HTTP client into one Headers. */
export function returnedResponseHeaders(...sources: readonly Headers[]): Headers {
  const out = new Headers();
  for (const source of sources) {
    source.forEach((value, name) => {
      if (isReturned(name) && name !== "set-cookie") out.append(name, value);
    });
    for (const cookie of source.getSetCookie()) out.append("set-cookie", cookie);
  }
  return out;
}

/** Whether a response header of the RPC is copied to the HTTP response. */
function isReturned(name: string): boolean {
  return !(HOP_BY_HOP.has(name) || NOT_RETURNED.has(name) || name.startsWith("connect-") || name.startsWith("grpc-") || name.startsWith("trailer-"));
}

/** The values of an incoming header as a list. */
function headerValues(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
