import http2 from "node:http2";

/**
 * Bounds the time of HTTP/2 connections and requests, which node:http2 leaves unbounded:
 * a session without open streams for `idleMs` is closed (GOAWAY, then the connection ends once
 * the client has nothing left), and a stream whose request has not fully arrived `requestMs`
 * after it opened is reset with CANCEL, whatever its handler is doing.
 */
export function boundHttp2Times(server: http2.Http2Server | http2.Http2SecureServer, timeouts: { readonly requestMs: number; readonly idleMs: number }): void {
  server.on("session", (session: http2.ServerHttp2Session) => {
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const startIdle = () => {
      idle = setTimeout(() => session.close(), timeouts.idleMs).unref();
    };
    startIdle();
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      open++;
      clearTimeout(idle);
      const slow = setTimeout(() => {
        if (!stream.destroyed && !stream.state.remoteClose) stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeouts.requestMs).unref();
      stream.once("close", () => {
        clearTimeout(slow);
        if (--open === 0 && !session.closed && !session.destroyed) startIdle();
      });
    });
    session.once("close", () => clearTimeout(idle));
  });
}
