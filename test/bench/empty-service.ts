/**
 * The floor of the bench's gRPC figures: an empty unary gRPC handler on node:http2's core API,
 * hand-framed, behind the service's cleartext listener and node options. It answers every POST
 * with an AuthenticateDeviceResponse for the request's device (RegisterDevice loads get the same
 * small message): no framework, token, database, metrics or log line. No handler in Node answers
 * faster on this machine.
 *
 * `node dist/test/bench/empty-service.js` listens on HOST:PORT, answers /healthz, and logs the
 * service's "listening" line with its port.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { AuthenticateDeviceRequestSchema, AuthenticateDeviceResponseSchema } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { defaultHttpTimeouts } from "../../src/config.js";
import { createCleartextListener } from "../../src/server/protocol-sniffing.js";
import { grpcEnvelope } from "./grpc-h2-client.js";

const h2 = http2.createServer();
h2.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":method"] !== "POST") {
    stream.respond({ ":status": headers[":path"] === "/healthz" ? 200 : 404 }, { endStream: true });
    return;
  }
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    const request = body.byteLength >= 5 ? fromBinary(AuthenticateDeviceRequestSchema, body.subarray(5)) : create(AuthenticateDeviceRequestSchema);
    const message = toBinary(AuthenticateDeviceResponseSchema, create(AuthenticateDeviceResponseSchema, { deviceId: request.deviceId, status: "registered" }));
    const envelope = grpcEnvelope(message);
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(envelope);
  });
});

const h1 = http.createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404);
  res.end();
});

const listener = createCleartextListener(h1, h2, defaultHttpTimeouts.headersMs);
listener.listen(Number(process.env["PORT"]), process.env["HOST"] ?? "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (listener.address() as AddressInfo).port, msg: "device registry listening" })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
