import { cors as connectCors } from "@connectrpc/connect";
import type { IncomingHttpHeaders } from "node:http";

/** The part of a Node request/response CORS needs, for HTTP/1.1 and HTTP/2 alike. */
interface Request {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}
interface Response {
  setHeader(name: string, value: string): unknown;
  writeHead(status: number): unknown;
  end(body: string): unknown;
}

/** Told about each preflight refused because its origin is not listed. */
export type RefusedPreflight = (details: { origin: string; path: string }) => void;

const allowedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"].join(", ");
const baseAllowedHeaders = [...connectCors.allowedHeaders, "Authorization", "X-Request-Id", "If-Match"];
const exposedHeaders = [...connectCors.exposedHeaders, "X-Request-Id", "Retry-After", "ETag"].join(", ");
// An HTTP field name (RFC 9110 token); at most this many of them are reflected per preflight.
const fieldName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const MAX_REFLECTED_HEADERS = 32;

/**
 * The CORS response headers of a request that is not a preflight, from the listed browser origins
 * ("*" for any): none when the request has no allowed origin.
 */
export function createCorsHeaders(origins: readonly string[]): (headers: IncomingHttpHeaders) => Record<string, string> | undefined {
  const allows = originFilter(origins);
  return (headers) => {
    const origin = headers.origin;
    if (!allows(origin)) return undefined;
    return { "access-control-allow-origin": origin, vary: "Origin", "access-control-expose-headers": exposedHeaders };
  };
}

/**
 * CORS for the listed browser origins ("*" for any), with the headers Connect, gRPC-Web and the
 * REST mapping use. Returns true when it answered the request itself (a preflight).
 *
 * A listed origin's preflight may ask for any other request headers too (traceparent, baggage,
 * x-… of a tracing or API client): they are allowed, being well-formed field names, since the
 * service reads only the headers it knows and no cookie or other ambient credential is used. A
 * preflight from an origin that is not listed is answered 403 with a JSON body saying so.
 */
export function createCors(origins: readonly string[], onRefused: RefusedPreflight = () => undefined): (req: Request, res: Response) => boolean {
  const allows = originFilter(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined) return false;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (!allows(origin)) {
      if (!preflight) return false;
      const path = (req.url ?? "/").split("?", 1)[0]!;
      onRefused({ origin, path });
      res.setHeader("content-type", "application/json");
      res.writeHead(403);
      res.end(JSON.stringify({ code: "PERMISSION_DENIED", message: `CORS: origin ${JSON.stringify(origin)} is not allowed (not listed in CORS_ORIGINS)` }));
      return true;
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Vary", "Origin");
    if (!preflight) {
      res.setHeader("Access-Control-Expose-Headers", exposedHeaders);
      return false;
    }
    res.setHeader("Access-Control-Allow-Methods", allowedMethods);
    res.setHeader("Access-Control-Allow-Headers", allowedHeaders(req.headers["access-control-request-headers"]));
    res.setHeader("Access-Control-Max-Age", "7200");
    res.writeHead(204);
    res.end("");
    return true;
  };
}

/** The service's own headers and the well-formed ones the preflight asks for. */
function allowedHeaders(requested: string | undefined): string {
  const names = new Map(baseAllowedHeaders.map((name) => [name.toLowerCase(), name]));
  const asked = (requested ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => fieldName.test(name));
  for (const name of asked.slice(0, MAX_REFLECTED_HEADERS)) {
    if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
  }
  return [...names.values()].join(", ");
}

function originFilter(origins: readonly string[]): (origin: string | undefined) => origin is string {
  const anyOrigin = origins.includes("*");
  const allowed = new Set(origins);
  return (origin): origin is string => origin !== undefined && (anyOrigin || allowed.has(origin));
}
