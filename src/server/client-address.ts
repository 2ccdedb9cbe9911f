import { createContextKey, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import net from "node:net";
import type http from "node:http";
import type http2 from "node:http2";
import { withConnection } from "./peer-certificate.js";
import { isTrustedProxy, normalizedAddress } from "./proxy-address.js";

/** Context key of the TCP peer of a network call; unset for the REST layer's calls. */
const peerAddressKey = createContextKey<string | undefined>(undefined, { description: "peer address" });

/** Context values of a call received from the network: its peer address and its connection. */
export function peerContextValues(req: http.IncomingMessage | http2.Http2ServerRequest): ContextValues {
  return peerSocketValues(req.socket);
}

/** Context values of a call that arrived on `socket`: its peer address and its connection. */
export function peerSocketValues(socket: net.Socket | undefined): ContextValues {
  return withConnection(socket, createContextValues().set(peerAddressKey, socket?.remoteAddress));
}

/**
 * The address a call came from. Each proxy appends to x-forwarded-for the address it received the
 * request from, so the chain, read from our side, is: the TCP peer (for a REST call, the peer the
 * REST layer appended last to x-forwarded-for), then x-forwarded-for from right to left. Addresses
 * of `trustedProxies` are passed over; the first other one is the client. With no trusted proxy
 * that is the peer, and x-forwarded-for (the client's word) is never believed.
 */
export function clientAddressOf(context: HandlerContext, trustedProxies: net.BlockList): string {
  const forwarded = (context.requestHeader.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => normalizedAddress(entry.trim()))
    .filter(Boolean);
  const peer = context.values.get(peerAddressKey);
  const chain = peer === undefined ? forwarded : [...forwarded, normalizedAddress(peer)];
  let at = chain.length - 1;
  while (at > 0 && isTrustedProxy(chain[at]!, trustedProxies)) at--;
  return chain[at] ?? "unknown";
}

/** A BlockList of IP addresses and CIDR ranges ("10.0.0.0/8", "fd00::/8", "192.0.2.7"); throws on a bad entry. */
export function trustedProxyList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = net.isIP(address);
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0 || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
      throw new Error(`"${entry}" is not an IP address or a CIDR range`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}
