import { createContextKey, createContextValues, type ContextValues, type HandlerContext } from "@connectrpc/connect";
import type net from "node:net";
import type tls from "node:tls";
import { forwardedClientCertificate } from "./forwarded-client-cert.js";
import { isTrustedProxy } from "./proxy-address.js";

/** The connection a call arrived on: the TCP peer's address and, on TLS, its socket. */
interface Connection {
  readonly peerAddress: string | undefined;
  readonly tlsSocket: tls.TLSSocket | undefined;
}

const connectionKey = createContextKey<Connection | undefined>(undefined, { description: "connection" });

/**
 * Records the connection of a network call (a REST call's too) that arrived on `socket`, for
 * {@link presentedCertificateOf}. The certificate itself is read only when a handler asks for it.
 */
export function withConnection(socket: net.Socket | undefined, values: ContextValues = createContextValues()): ContextValues {
  // An HTTP/2 request's or session's socket is a proxy that answers the TLS socket's methods but not `in`.
  const maybeTls = socket as Partial<tls.TLSSocket> | undefined;
  const tlsSocket = typeof maybeTls?.getPeerCertificate === "function" ? (maybeTls as tls.TLSSocket) : undefined;
  return values.set(connectionKey, { peerAddress: socket?.remoteAddress, tlsSocket });
}

/**
 * The DER of the client certificate the caller proved to hold in a TLS handshake: its own with
 * this service, or, when the TCP peer is one of `trustedProxies`, the one that proxy forwards in
 * X-Forwarded-Client-Cert. Undefined when there is none; the header of anyone else is never believed.
 * Verifying the certificate is the caller's business: the listener asks for it without checking it.
 */
export function presentedCertificateOf(context: HandlerContext, trustedProxies: net.BlockList): Buffer | undefined {
  const connection = context.values.get(connectionKey);
  if (connection === undefined) return undefined;
  const own = connection.tlsSocket?.getPeerCertificate()?.raw;
  if (own !== undefined && own.length > 0) return own;
  if (!isTrustedProxy(connection.peerAddress ?? "", trustedProxies)) return undefined;
  return forwardedClientCertificate(context.requestHeader.get("x-forwarded-client-cert"));
}
