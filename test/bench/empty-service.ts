/**
 * The framework ceiling of the bench: DeviceAuthService served the way the service serves it
 * (connect-node on node:http2 behind the same cleartext listener), with an AuthenticateDevice that
 * does no work: no token, database, metrics or log line. No handler on this stack answers faster
 * on this machine.
 *
 * `node dist/test/bench/empty-service.js` listens on HOST:PORT and answers /healthz.
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import http from "node:http";
import http2 from "node:http2";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { defaultHttpTimeouts } from "../../src/config.js";
import { createCleartextListener } from "../../src/server/protocol-sniffing.js";

const handler = connectNodeAdapter({
  routes: (router) =>
    router.service(DeviceAuthService, {
      authenticateDevice: (request) => ({ deviceId: request.deviceId, status: "registered" }),
    }),
  fallback: (req, res) => {
    res.writeHead(req.url === "/healthz" ? 200 : 404);
    res.end();
  },
});

const listener = createCleartextListener(http.createServer(handler), http2.createServer(handler), defaultHttpTimeouts.headersMs);
listener.listen(Number(process.env["PORT"]), process.env["HOST"] ?? "127.0.0.1");
process.once("SIGTERM", () => process.exit(0));
