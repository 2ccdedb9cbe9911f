/**
 * createRestHandler: HTTP/JSON transcoding of the google.api.http bindings of services.
 *
 * A matched request is turned into the RPC's request message and called through the server's
 * unary dispatch (so its interceptors run, as for any protocol), and the response is returned as
 * JSON: the request is decoded once, from JSON, and the response encoded once, to JSON.
 *
 * - No route matches the path: nothing is written and the handler resolves to false.
 * - The path matches, but only for other HTTP methods: 405 with an Allow header and the body
 *   {"code":"UNIMPLEMENTED","message":"method X is not allowed for /p; allowed: GET, POST"}.
 * - Body above readMaxBytes: 413 {"code":"RESOURCE_EXHAUSTED","message":"request body exceeds N bytes"}
 *   (HTTP/1.1 connections are closed after it, since the rest of the body is not read).
 * - Any other error: the gRPC status mapping of rest-error.ts, e.g. 409 {"code":"ALREADY_EXISTS",...}.
 * - A path variable beats a value for the same field in the body; a query parameter naming a
 *   path-bound field is INVALID_ARGUMENT.
 */
import type { DescMethod, DescService, JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import type { ContextValues } from "@connectrpc/connect";
import { callEnded, type UnaryDispatch } from "../dispatch/unary-dispatch.js";
import { applyIfMatch, etagHeader } from "./conditional-request.js";
import { forwardedRequestHeaders, returnedResponseHeaders } from "./forward-headers.js";
import { isHttp1, onClientGone, requestTarget, sendJson } from "./http-exchange.js";
import type { NodeRequest, NodeResponse } from "../node-http.js";
import { bindVariables } from "./path-template.js";
import { parseJsonBody, readRequestBody } from "./request-body.js";
import { buildRequestMessage } from "./request-message.js";
import { responseToJson } from "./response-json.js";
import { toRestError, withHttpStatus } from "./rest-error.js";
import type { RestRoute } from "./rest-route.js";
import { compileRoutes, findRoute } from "./route-table.js";

/** Options of createRestHandler. */
export interface RestHandlerOptions {
  /** Services whose unary RPCs with google.api.http options are served. */
  services: readonly DescService[];
  /** The unary methods the routes call (createUnaryDispatch). */
  dispatch: UnaryDispatch;
  /** JSON options for request parsing and response serialization (useProtoFieldName defaults to true). */
  jsonOptions?: Partial<JsonWriteOptions & JsonReadOptions>;
  /** Largest accepted request body in bytes, or the one of each RPC (default 4 MiB); larger bodies get 413. */
  readMaxBytes?: number | ((method: DescMethod) => number);
  /** Context values of the call, as the handlers see them. */
  contextValues?: (req: NodeRequest) => ContextValues;
}

/** A REST handler: resolves to true when it responded, false when no route matched the path. */
export type RestHandler = (req: NodeRequest, res: NodeResponse) => Promise<boolean>;

/** Creates a REST handler; compiles all routes now and throws on invalid google.api.http rules. */
export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const routes = compileRoutes(options.services);
  const limit = options.readMaxBytes ?? 4 * 1024 * 1024;
  const readMaxBytes = typeof limit === "number" ? () => limit : limit;
  return async (req, res) => {
    const target = requestTarget(req);
    const lookup = findRoute(routes, target.method, target.path);
    if (lookup.kind === "not-found") return false;
    try {
      if (lookup.kind === "method-not-allowed") {
        const message = `method ${target.method} is not allowed for ${target.path}; allowed: ${lookup.allow.join(", ")}`;
        throw withHttpStatus(new ConnectError(message, Code.Unimplemented, { allow: lookup.allow.join(", ") }), 405);
      }
      await callRoute(lookup.route, lookup.segments, target.query, req, res, options, readMaxBytes(lookup.route.rpc));
    } catch (e) {
      const error = toRestError(e);
      if (error.status === 413 && isHttp1(req)) {
        error.headers.set("connection", "close"); // the rest of the body was not read
      }
      sendJson(res, error.status, error.body, error.headers);
    }
    return true;
  };
}

/** Reads the request, calls the RPC through the dispatch and writes the JSON response. */
async function callRoute(
  route: RestRoute,
  segments: readonly string[],
  rawQuery: string,
  req: NodeRequest,
  res: NodeResponse,
  options: RestHandlerOptions,
  readMaxBytes: number,
): Promise<void> {
  const variables = bindVariables(route.template, segments);
  const body = route.bodyKind === "none" ? undefined : parseJsonBody(await readRequestBody(req, req.headers["content-length"], readMaxBytes));
  const { ignoreUnknownFields, registry, recursionLimit, ...writeOptions } = options.jsonOptions ?? {};
  const readOptions: Partial<JsonReadOptions> = {
    ...(ignoreUnknownFields !== undefined ? { ignoreUnknownFields } : {}),
    ...(recursionLimit !== undefined ? { recursionLimit } : {}),
    ...(registry !== undefined ? { registry } : {}),
  };
  const message = buildRequestMessage(route, variables, new URLSearchParams(rawQuery), body, readOptions);
  applyIfMatch(route, req.headers, message);
  const controller = new AbortController();
  onClientGone(res, () => controller.abort(new ConnectError("client closed the request", Code.Canceled)));
  const path = `/${route.rpc.parent.typeName}/${route.rpc.name}`;
  const spec = options.dispatch.method(path);
  if (spec === undefined) throw new ConnectError(`${route.rpc.parent.typeName}.${route.rpc.name} is not implemented`, Code.Unimplemented);
  const context = createHandlerContext({
    service: route.rpc.parent,
    method: route.rpc,
    protocolName: "rest",
    requestMethod: req.method ?? "GET",
    url: req.url ?? "/",
    requestSignal: controller.signal,
    requestHeader: forwardedRequestHeaders(req.headers, req.socket?.remoteAddress),
    ...(options.contextValues !== undefined ? { contextValues: options.contextValues(req) } : {}),
  });
  let output;
  try {
    output = await options.dispatch.call(spec, context, message);
  } catch (e) {
    // As over Connect: what the handler put in the response headers and trailers travels with its error.
    const error = ConnectError.from(e);
    const metadata = returnedResponseHeaders(context.responseHeader, context.responseTrailer);
    error.metadata.forEach((value, name) => metadata.set(name, value));
    throw Object.assign(new ConnectError(error.rawMessage, error.code, metadata, undefined, error.cause), { details: error.details });
  } finally {
    context.abort(callEnded);
  }
  const json = responseToJson(route, output, { ...writeOptions, ...(registry !== undefined ? { registry } : {}) });
  const headers = returnedResponseHeaders(context.responseHeader, context.responseTrailer);
  const etag = etagHeader(json);
  if (etag !== undefined) headers.set("etag", etag);
  sendJson(res, 200, json, headers);
}
