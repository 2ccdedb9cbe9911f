import http2 from "node:http2";

// A refused request's client may go on sending for this long, or this much, before its stream is reset.
const LINGER_MS = 1_000;
const LINGER_BYTES = 8 * 1024 * 1024;
// How long the response's last frames (gRPC trailers come after the body) may take to leave.
const ANSWER_GRACE_MS = 5_000;

/**
 * Ends an HTTP/2 exchange answered before its request body fully arrived (refused as too large,
 * unauthenticated, ...) without keeping what is left of the body: once the complete response has
 * left, what the client still sends is dropped as it comes, and if it is still sending after
 * LINGER_MS or LINGER_BYTES, the stream is reset with NO_ERROR, which asks it to stop (RFC 9113
 * §8.1).
 *
 * Without it, such streams never end: their unread bodies hold the connection's flow-control
 * window and the client's session memory until node:http2 refuses every later stream of the
 * connection with ENHANCE_YOUR_CALM. Dropping before resetting matters too: node:http2 gives the
 * connection's window back only for bytes read, and a Node.js client keeps counting the unsent
 * rest of a reset stream against its session.
 */
export function endUnreadBody(stream: http2.ServerHttp2Stream): void {
  stream.once("finish", () => {
    if (stream.destroyed || stream.state.remoteClose) return;
    // The request's readers (the compatibility API's among them) are done with it.
    stream.removeAllListeners("data");
    let dropped = 0;
    stream.on("data", (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > LINGER_BYTES) reset(stream);
    });
    stream.resume();
    onceAnswered(stream, Date.now(), () => setTimeout(() => reset(stream), LINGER_MS).unref());
  });
}

function reset(stream: http2.ServerHttp2Stream): void {
  if (!stream.destroyed && !stream.state.remoteClose) stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

/** Calls `then` once the stream's END_STREAM has been sent (nghttp2 would send a reset before it). */
function onceAnswered(stream: http2.ServerHttp2Stream, since: number, then: () => void): void {
  if (stream.destroyed || stream.state.remoteClose) return;
  if (stream.state.localClose || Date.now() - since > ANSWER_GRACE_MS) return then();
  setTimeout(() => onceAnswered(stream, since, then), 5).unref();
}
