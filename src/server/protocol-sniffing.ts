import type http from "node:http";
import type http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";

// Every HTTP/2 connection with prior knowledge starts with this preface (RFC 9113 §3.4).
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * A cleartext listener that serves HTTP/1.1 and HTTP/2 with prior knowledge (h2c, as gRPC
 * clients use it) on one port: it reads the first bytes of each connection, puts them back,
 * and hands the socket to the server that speaks its protocol. A connection that sends nothing
 * for `firstBytesMs` is closed.
 */
export function createCleartextListener(h1: http.Server, h2: http2.Http2Server, firstBytesMs: number): net.Server {
  return net.createServer((socket) => {
    const silent = setTimeout(() => socket.destroy(), firstBytesMs).unref();
    socket.once("close", () => clearTimeout(silent));
    socket.once("readable", () => {
      clearTimeout(silent);
      const head: Buffer | null = socket.read();
      if (head === null) {
        socket.destroy();
        return;
      }
      socket.unshift(head);
      const probe = head.subarray(0, PREFACE.length);
      const isHttp2 = probe.equals(PREFACE.subarray(0, probe.length));
      (isHttp2 ? h2 : h1).emit("connection", socket);
    });
  });
}

/**
 * A TLS listener that serves HTTP/2 and HTTP/1.1 on one port, as ALPN negotiates (HTTP/1.1 for a
 * client that names no protocol), handing each connection to the server that speaks it. A client
 * certificate is asked for but optional, and checked by the calls that use one (manufacturer CAs),
 * not by TLS.
 */
export function createTlsListener(credentials: { readonly cert: Buffer; readonly key: Buffer }, h1: http.Server, h2: http2.Http2Server): tls.Server {
  const options: tls.TlsOptions = {
    cert: credentials.cert,
    key: credentials.key,
    ALPNProtocols: ["h2", "http/1.1"],
    // HTTP/2 over TLS needs TLS 1.2 or later (RFC 9113 §9.2).
    minVersion: "TLSv1.2",
    requestCert: true,
    rejectUnauthorized: false,
  };
  return tls.createServer(options, (socket) => {
    (socket.alpnProtocol === "h2" ? h2 : h1).emit("connection", socket);
  });
}
