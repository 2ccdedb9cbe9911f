/**
 * The HTTP side of a REST exchange, for node:http and the node:http2 compatibility API alike:
 * the request's method, path, query and headers, and writing JSON responses.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { NodeRequest, NodeResponse } from "../node-http.js";

/** The members of both response types that the REST layer uses. */
interface ResponseLike {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  setHeader(name: string, value: string | readonly string[]): unknown;
  end(chunk: string): unknown;
  once(event: "close", listener: () => void): unknown;
}

/** The parts of a request URL: raw (percent-encoded) path and query string. */
export interface RequestTarget {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Raw path, starting with "/". */
  readonly path: string;
  /** Raw query string without "?" ("" when absent). */
  readonly query: string;
}

/** Splits a request's method and target; the path keeps its percent-encoding. */
export function requestTarget(req: NodeRequest): RequestTarget {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return {
    method: (req.method ?? "GET").toUpperCase(),
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? "" : url.slice(q + 1),
  };
}

/** Whether the request arrived over HTTP/1.x (where Connection headers are allowed). */
export function isHttp1(req: NodeRequest): boolean {
  return req.httpVersionMajor === 1;
}

/** Calls `listener` if the response is closed (client gone) before it was ended. */
export function onClientGone(res: NodeResponse, listener: () => void): void {
  const r = res as ResponseLike;
  r.once("close", () => {
    if (!r.writableEnded) listener();
  });
}

/** Writes a complete JSON response (Content-Type application/json) with extra headers. */
export function sendJson(res: NodeResponse, status: number, body: JsonValue, headers: Headers): void {
  const r = res as ResponseLike;
  const text = JSON.stringify(body);
  if (r.headersSent) {
    r.end("");
    return;
  }
  r.statusCode = status;
  headers.forEach((value, name) => {
    if (name !== "set-cookie") r.setHeader(name, value);
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) r.setHeader("set-cookie", cookies);
  r.setHeader("content-type", "application/json");
  r.setHeader("content-length", String(Buffer.byteLength(text)));
  r.end(text);
}
