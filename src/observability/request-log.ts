import type http from "node:http";
import type http2 from "node:http2";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { requestIdOf, runInRequest, type RequestContext } from "./request-context.js";

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/**
 * Wraps a request handler so that every request carries a request id (the caller's sane
 * x-request-id, or a new one), which is returned as the x-request-id response header on every
 * protocol, and ends with one JSON log line once the response is closed:
 * requestId, protocol, httpMethod, path (no query string), status, durationMs and, when an RPC
 * handled it, procedure, code and tenant. Headers and bodies are never logged.
 */
export function withRequestLog(logger: Logger, handler: NodeHandler): NodeHandler {
  // The line holds only the fixed scalar fields below, never a secret: redaction paths would only
  // cost time walking them on every request (other lines keep the logger's redaction).
  const lines = logger.child({}, { redact: [] });
  return (req, res) => {
    const started = performance.now();
    const context: RequestContext = { requestId: requestIdOf(req.headers["x-request-id"]) };
    // Handlers and the REST layer (which forwards x- headers into its calls) see the id in use.
    req.headers["x-request-id"] = context.requestId;
    res.setHeader("x-request-id", context.requestId);
    res.once("close", () => {
      const path = (req.url ?? "/").split("?", 1)[0]!;
      lines.info(
        {
          requestId: context.requestId,
          protocol: protocolOf(req, path, context),
          httpMethod: req.method,
          path,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          procedure: context.procedure,
          code: context.code,
          tenant: context.tenant,
        },
        "request",
      );
    });
    runInRequest(context, () => handler(req, res));
  };
}

/**
 * grpc, grpc-web or connect when the path names a procedure (/package.Service/Method), rest
 * otherwise: known from the request alone, so requests refused before their RPC ran (an
 * undecodable body, an unknown route) say it too.
 */
function protocolOf(req: NodeRequest, path: string, context: RequestContext): string {
  const procedurePath = context.procedure === undefined ? procedureLike.test(path) : path === `/${context.procedure}`;
  if (!procedurePath) return "rest";
  const contentType = req.headers["content-type"] ?? "";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

const procedureLike = /^\/[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+\/[A-Za-z_][\w]*$/;
