import http2 from "node:http2";
import type { StreamHandler } from "./unary-fast-path.js";

type CompatHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/**
 * Serves an HTTP/2 server's streams: those `fastPath` takes on the core API, every other one
 * through node's compatibility request and response, as node's own "request" event would (a
 * server given a "request" listener builds them for every stream, so it is given none).
 */
export function serveStreams(server: http2.Http2Server, fastPath: StreamHandler, handler: CompatHandler): void {
  server.on("stream", (stream, headers, _flags, rawHeaders) => {
    if (fastPath(stream, headers)) return;
    const req = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const res = new http2.Http2ServerResponse(stream);
    // What node's compatibility layer answers itself, with no "connect" or "checkExpectation" listener.
    if (headers[":method"] === "CONNECT") return void res.writeHead(405).end();
    if (headers.expect !== undefined) {
      if (headers.expect !== "100-continue") return void res.writeHead(417).end();
      res.writeContinue();
    }
    handler(req, res);
  });
}
