import http from "node:http";
import https from "node:https";

// The container's HEALTHCHECK: exit 0 when the service on this machine answers /healthz with
// SERVING, 1 otherwise. It speaks TLS when the service does (TLS_CERT set), and reads only the
// settings that decide where the service listens, so it costs little every few seconds.

const port = process.env["PORT"]?.trim() || "8080";
const tls = Boolean(process.env["TLS_CERT"]?.trim());
const url = `${tls ? "https" : "http"}://127.0.0.1:${port}/healthz`;
// The certificate names the service's public host, not 127.0.0.1: this asks the process on the
// local port whether it is alive, which needs no proof of identity.
const request = (tls ? https : http).get(url, { timeout: 2_500, rejectUnauthorized: false }, (res) => {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => (body += chunk));
  res.on("end", () => process.exit(res.statusCode === 200 && body.includes('"SERVING"') ? 0 : 1));
});
request.on("timeout", () => request.destroy(new Error("timed out")));
request.on("error", (err) => {
  process.stderr.write(`healthcheck ${url}: ${err.message}\n`);
  process.exit(1);
});
