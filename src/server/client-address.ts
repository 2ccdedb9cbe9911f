import { createContextKey, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type http from "node:http";
import type http2 from "node:http2";

/** Context key of the TCP peer of a network call; unset for the REST layer's in-process calls. */
const peerAddressKey = createContextKey<string | undefined>(undefined, { description: "peer address" });

/** Context values of a call received from the network: its peer address. */
export function peerContextValues(req: http.IncomingMessage | http2.Http2ServerRequest): ContextValues {
  return createContextValues().set(peerAddressKey, req.socket.remoteAddress);
}

/**
 * The address a call came from. A REST call reaches the handler in-process, with the peer the
 * REST layer appended last to x-forwarded-for; any other x-forwarded-for entry is the client's
 * word and never trusted.
 */
export function clientAddressOf(context: HandlerContext): string {
  const address = context.values.get(peerAddressKey) ?? context.requestHeader.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  // One client over HTTP/1.1 and HTTP/2 appears as 127.0.0.1 and ::ffff:127.0.0.1: count it once.
  return address ? address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "") : "unknown";
}
