import type http from "node:http";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { NodeRequest, NodeResponse } from "../node-http.js";
import { requestIdOf, runInRequest, type RequestContext } from "./request-context.js";

type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/** What the request line says of an HTTP exchange, read when it has closed. */
interface ExchangeOutcome {
  readonly httpMethod: string | undefined;
  /** The request target; the line keeps its path, without the query string. */
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly status: number;
}

/**
 * Request lines for handlers that do not go through withRequestLog (the HTTP/2 fast path):
 * `begin` gives the request its id (the caller's sane x-request-id, or a new one) and writes it
 * into the request headers, so handlers see the id in use; `end` writes the line.
 */
export interface RequestLog {
  begin(headers: http.IncomingHttpHeaders): RequestContext;
  end(context: RequestContext, started: number, outcome: ExchangeOutcome): void;
}

/** Request lines go through a child logger of `logger`. */
export function createRequestLog(logger: Logger): RequestLog {
  // The line holds only the fixed scalar fields below, never a secret: redaction paths would only
  // cost time walking them on every request (other lines keep the logger's redaction).
  const lines = logger.child({}, { redact: [] });
  return {
    begin: (headers) => {
      const context: RequestContext = { requestId: requestIdOf(headers["x-request-id"]) };
      headers["x-request-id"] = context.requestId;
      return context;
    },
    end: (context, started, outcome) => {
      const path = (outcome.url ?? "/").split("?", 1)[0]!;
      lines.info(
        {
          requestId: context.requestId,
          protocol: protocolOf(outcome.contentType ?? "", path, context),
          httpMethod: outcome.httpMethod,
          path,
          status: outcome.status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          procedure: context.procedure,
          code: context.code,
          tenant: context.tenant,
        },
        "request",
      );
    },
  };
}

/**
 * Wraps a request handler so that every request carries a request id (the caller's sane
 * x-request-id, or a new one), which is returned as the x-request-id response header on every
 * protocol, and ends with one JSON log line once the response is closed:
 * requestId, protocol, httpMethod, path (no query string), status, durationMs and, when an RPC
 * handled it, procedure, code and tenant. Headers and bodies are never logged.
 */
export function withRequestLog(log: RequestLog, handler: NodeHandler): NodeHandler {
  return (req, res) => {
    const started = performance.now();
    const context = log.begin(req.headers);
    res.setHeader("x-request-id", context.requestId);
    res.once("close", () =>
      log.end(context, started, { httpMethod: req.method, url: req.url, contentType: req.headers["content-type"], status: res.statusCode }),
    );
    runInRequest(context, () => handler(req, res));
  };
}

/**
 * grpc, grpc-web or connect when the path names a procedure (/package.Service/Method), rest
 * otherwise: known from the request alone, so requests refused before their RPC ran (an
 * undecodable body, an unknown route) say it too.
 */
function protocolOf(contentType: string, path: string, context: RequestContext): string {
  const procedurePath = context.procedure === undefined ? procedureLike.test(path) : path === `/${context.procedure}`;
  if (!procedurePath) return "rest";
  if (contentType.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType.startsWith("application/grpc")) return "grpc";
  return "connect";
}

const procedureLike = /^\/[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+\/[A-Za-z_][\w]*$/;
