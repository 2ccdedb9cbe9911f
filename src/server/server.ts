import type { ConnectRouter, ConnectRouterOptions } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { DescMethod, DescService, JsonObject } from "@bufbuild/protobuf";
import http from "node:http";
import http2 from "node:http2";
import type net from "node:net";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { HttpTimeouts } from "../config.js";
import { createRequestLog, withRequestLog } from "../observability/request-log.js";
import type { ReadinessReport } from "../health/readiness.js";
import type { NodeRequest, NodeResponse } from "../node-http.js";
import { createRestHandler } from "../rest/index.js";
import { peerContextValues } from "./client-address.js";
import { withConnection } from "./peer-certificate.js";
import { createCors, createCorsHeaders } from "./cors.js";
import { encodeGrpcMessageAsSpecified } from "./grpc-message-encoding.js";
import { boundHttp2Times } from "./http2-timeouts.js";
import { serveStreams } from "./http2-streams.js";
import { createCleartextListener, createTlsListener } from "./protocol-sniffing.js";
import { createUnaryFastPath } from "./unary-fast-path.js";
import { createUnaryDispatch } from "../dispatch/unary-dispatch.js";
import { endUnreadBody } from "./unread-body.js";

/** Everything the HTTP server is built from. */
export interface ServerOptions {
  /** Registers the services on a router. */
  readonly routes: (router: ConnectRouter) => void;
  /** Services whose google.api.http annotations form the REST mapping. */
  readonly restServices: readonly DescService[];
  readonly interceptors: ConnectRouterOptions["interceptors"];
  readonly corsOrigins: readonly string[];
  /** The largest request body of each RPC in bytes (the routes give the connect-es handlers theirs). */
  readonly maxBodyBytes: (method: DescMethod) => number;
  /** The largest request body of anything else (health, reflection, unknown paths). */
  readonly defaultMaxBodyBytes: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** How long a connection may take over each part of an exchange. */
  readonly httpTimeouts: HttpTimeouts;
  /** Answers /readyz: HTTP 200 when the report's status is "ready", else 503. */
  readonly readiness: () => Promise<ReadinessReport>;
  /** Served at /metrics in the Prometheus text format. */
  readonly metrics: Registry;
  /** Gets one line per API request (probes and scrapes are not logged). */
  readonly requestLogger: Logger;
  /** Served at /api/v1/openapi.json, without authentication. */
  readonly openApiDocument: JsonObject;
  /** Plain HTTP resources served without authentication (the CRL); each returns whether it answered. */
  readonly plainRoutes?: readonly ((req: NodeRequest, res: NodeResponse) => boolean)[] | undefined;
  /**
   * Unary gRPC and Connect calls over HTTP/2 on node:http2's core API (default true); false serves
   * them through connect-node like every other call, the path they are compared with.
   */
  readonly unaryFastPath?: boolean | undefined;
}

/** A server built but not yet listening. */
export interface Server {
  listen(port: number, host: string): Promise<net.AddressInfo>;
  /** Stops accepting connections and resolves once the open ones have ended (forced after graceMs). */
  close(graceMs?: number): Promise<void>;
}

// JSON on every protocol uses proto field names (device_id, hardware_id), as the REST contract does,
// and refuses unknown fields, so a misspelt or forbidden field (tenant_id) is an error, not ignored.
// JSON counts one level per nested Value where binary counts two (Value and ListValue/Struct), so
// a JSON limit of 40 keeps every accepted message decodable in binary (limit 100), as gRPC clients
// read the results.
const jsonOptions = { useProtoFieldName: true, ignoreUnknownFields: false, recursionLimit: 40 } as const;

/**
 * One port for gRPC (HTTP/2, cleartext with prior knowledge or TLS with ALPN), gRPC-Web, Connect
 * (JSON and binary, HTTP/1.1 and HTTP/2) and the REST mapping of the google.api.http annotations.
 * Unary gRPC and Connect calls over HTTP/2 take the fast path; everything else goes to connect-node.
 */
export function createServer(options: ServerOptions): Server {
  const routerOptions: ConnectRouterOptions = {
    interceptors: options.interceptors ?? [],
    jsonOptions,
    readMaxBytes: options.defaultMaxBodyBytes,
  };
  // REST calls run through the same interceptors and implementations as every other protocol.
  const dispatch = createUnaryDispatch(options.routes, routerOptions.interceptors ?? []);
  const rest = createRestHandler({
    services: [...options.restServices],
    dispatch,
    jsonOptions,
    readMaxBytes: options.maxBodyBytes,
    // The peer address reaches REST calls through x-forwarded-for; the connection carries its client certificate.
    contextValues: (req) => withConnection(req.socket),
  });
  const cors = createCors(options.corsOrigins, (refused) =>
    options.requestLogger.warn(refused, "CORS preflight refused: the origin is not listed in CORS_ORIGINS"),
  );
  const requestLog = createRequestLog(options.requestLogger);
  const connect = connectNodeAdapter({
    ...routerOptions,
    routes: options.routes,
    contextValues: peerContextValues,
    fallback: (req, res) => {
      const response = res as NodeResponse;
      rest(req, response).then(
        (handled: boolean) => handled || sendError(response, 404, { code: "NOT_FOUND", message: "no such route" }),
        (err: unknown) => {
          options.requestLogger.error({ err, method: req.method, url: req.url }, "REST request failed");
          sendError(response, 500, { code: "INTERNAL", message: "internal error" });
        },
      );
    },
  });
  const openApi = JSON.stringify(options.openApiDocument);
  const api = withRequestLog(requestLog, (req, res) => {
    if (cors(req, res)) return;
    encodeGrpcMessageAsSpecified(req, res);
    if (req.method === "GET" && req.url?.split("?", 1)[0] === "/api/v1/openapi.json") return sendJson(res, openApi);
    if (options.plainRoutes?.some((route) => route(req, res))) return;
    connect(req, res);
  });
  const handler = (req: NodeRequest, res: NodeResponse) => {
    if (req.url === "/healthz") return alive(res);
    if (req.url === "/readyz") return void options.readiness().then((report) => ready(res, report));
    if (req.url === "/metrics") return scrape(res, options.metrics);
    api(req, res);
  };

  const fastPath =
    options.unaryFastPath === false
      ? () => false
      : createUnaryFastPath({ dispatch, maxBodyBytes: options.maxBodyBytes, jsonOptions, corsHeaders: createCorsHeaders(options.corsOrigins), requestLog });

  const timeouts = options.httpTimeouts;
  const h1 = http.createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      // How often Node.js looks for connections past their headers or request timeout (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs / 2),
    },
    handler,
  );
  const h2 = http2.createServer();
  serveStreams(h2, fastPath, handler);
  boundHttp2Times(h2, timeouts);
  const listener: net.Server = options.tls ? createTlsListener(options.tls, h1, h2) : createCleartextListener(h1, h2, timeouts.headersMs);
  // Node.js checks the headers and request timeouts of a server's connections from its 'listening'
  // event on; h1 only gets sockets handed over by the listener.
  listener.on("listening", () => h1.emit("listening"));
  listener.on("close", () => h1.close());
  const sockets = new Set<net.Socket>();
  listener.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const sessions = new Set<http2.Http2Session>();
  h2.on("stream", endUnreadBody);
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(port, host, () => resolve(listener.address() as net.AddressInfo));
      }),
    close: (graceMs = 10_000) =>
      new Promise((resolve) => {
        listener.close(() => resolve());
        // In-flight calls finish: HTTP/2 clients get GOAWAY, HTTP/1.1 connections close once idle.
        for (const session of sessions) session.close();
        const idle = setInterval(() => h1.closeIdleConnections(), 50);
        const force = setTimeout(() => sockets.forEach((s) => s.destroy()), graceMs);
        listener.once("close", () => {
          clearInterval(idle);
          clearTimeout(force);
        });
      }),
  };
}

/** Liveness: the process serves HTTP. */
function alive(res: NodeResponse): void {
  res.setHeader("content-type", "application/json");
  res.end('{"status":"SERVING"}');
}

/** The Prometheus scrape. */
function scrape(res: NodeResponse, registry: Registry): void {
  registry.metrics().then(
    (text) => {
      res.setHeader("content-type", registry.contentType);
      res.end(text);
    },
    () => {
      res.statusCode = 500;
      res.end();
    },
  );
}

function sendJson(res: NodeResponse, json: string): void {
  res.setHeader("content-type", "application/json");
  res.end(json);
}

/** Readiness: whether load balancers should send this replica traffic, and why not. */
function ready(res: NodeResponse, report: ReadinessReport): void {
  res.statusCode = report.status === "ready" ? 200 : 503;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(report));
}

/** An error in the REST mapping's JSON; only ends the response when it has begun. */
function sendError(res: NodeResponse, status: number, body: { code: string; message: string }): void {
  if (res.headersSent) return void res.end();
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}
