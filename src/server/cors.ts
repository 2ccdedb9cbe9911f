import { cors as connectCors } from "@connectrpc/connect";
import type { IncomingHttpHeaders } from "node:http";

/** The part of a Node request/response CORS needs, for HTTP/1.1 and HTTP/2 alike. */
interface Request {
  readonly method?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}
interface Response {
  setHeader(name: string, value: string): unknown;
  writeHead(status: number): unknown;
  end(): unknown;
}

const allowedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"].join(", ");
const allowedHeaders = [...connectCors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
const exposedHeaders = [...connectCors.exposedHeaders, "X-Request-Id", "Retry-After"].join(", ");

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
 */
export function createCors(origins: readonly string[]): (req: Request, res: Response) => boolean {
  const allows = originFilter(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (!allows(origin)) return false;
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Vary", "Origin");
    if (req.method !== "OPTIONS" || req.headers["access-control-request-method"] === undefined) {
      res.setHeader("Access-Control-Expose-Headers", exposedHeaders);
      return false;
    }
    res.setHeader("Access-Control-Allow-Methods", allowedMethods);
    res.setHeader("Access-Control-Allow-Headers", allowedHeaders);
    res.setHeader("Access-Control-Max-Age", "7200");
    res.writeHead(204);
    res.end();
    return true;
  };
}

function originFilter(origins: readonly string[]): (origin: string | undefined) => origin is string {
  const anyOrigin = origins.includes("*");
  const allowed = new Set(origins);
  return (origin): origin is string => origin !== undefined && (anyOrigin || allowed.has(origin));
}
