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
 * CORS for the listed browser origins ("*" for any), with the headers Connect, gRPC-Web and the
 * REST mapping use. Returns true when it answered the request itself (a preflight).
 */
export function createCors(origins: readonly string[]): (req: Request, res: Response) => boolean {
  const anyOrigin = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined || !(anyOrigin || allowed.has(origin))) return false;
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
