import https from "node:https";
import type { Json, RestReply } from "./rest-api.js";

/** What a client presents and trusts in a TLS handshake (PEM). */
export interface ClientTls {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  /** The server's certificate or CA. */
  readonly ca: string | Buffer;
}

/** A JSON POST over HTTPS (HTTP/1.1) with an optional client certificate; the status and parsed body. */
export function mtlsPost(url: string, body: Json, tls: ClientTls, headers: Record<string, string> = {}): Promise<RestReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        ca: tls.ca,
        ...(tls.cert === undefined ? {} : { cert: tls.cert, key: tls.key }),
        servername: "localhost",
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Json }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}
