import type http from "node:http";
import type http2 from "node:http2";
import type { CrlPublisher } from "../domain/crl-publisher.js";

/** Where the issuing CA's CRL is served, without authentication (hubs and TLS libraries fetch it). */
export const CRL_PATH = "/api/v1/crl";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Answers GET/HEAD of {@link CRL_PATH}: DER (application/pkix-crl, what a CRL distribution point
 * serves, RFC 5280 4.2.1.13) unless the Accept header asks for PEM (application/x-pem-file or
 * text/plain), which Mosquitto's crlfile and nginx's ssl_crl load. Returns whether it answered.
 */
export function createCrlRoute(publisher: CrlPublisher, onError: (err: unknown) => void): (req: Request, res: Response) => boolean {
  return (req, res) => {
    if (req.url?.split("?", 1)[0] !== CRL_PATH || (req.method !== "GET" && req.method !== "HEAD")) return false;
    const pem = /application\/x-pem-file|text\/plain/i.test(req.headers["accept"] ?? "");
    publisher.crl().then(
      (crl) => {
        const body = pem ? Buffer.from(crl.pem) : crl.der;
        res.setHeader("content-type", pem ? "application/x-pem-file" : "application/pkix-crl");
        res.setHeader("vary", "accept");
        res.setHeader("last-modified", crl.thisUpdate.toUTCString());
        res.setHeader("expires", crl.nextUpdate.toUTCString());
        res.setHeader("content-length", body.length);
        if (req.method === "HEAD") res.end();
        else res.end(body);
      },
      (err: unknown) => {
        onError(err);
        res.statusCode = 503;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ code: "UNAVAILABLE", message: "the CRL cannot be produced now" }));
      },
    );
    return true;
  };
}
