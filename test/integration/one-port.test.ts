import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import path from "node:path";
import tls from "node:tls";
import { DeviceRegistryService, RegisterDeviceRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createOpenssl } from "../support/openssl.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("one cleartext port", () => {
  let service: TestService;
  let token: string;
  const tenant = randomUUID();

  beforeAll(async () => {
    service = await startTestService({ maxBodyBytes: 4096 });
    token = await service.token(tenant);
  });
  afterAll(() => service.stop());

  test("serves REST over HTTP/1.1 and over HTTP/2 with prior knowledge", async () => {
    const h1 = await fetch(`${service.baseUrl}/api/v1/profiles`, { headers: { authorization: `Bearer ${token}` } });
    expect(h1.status).toBe(200);
    expect(await h1.json()).toEqual({ profiles: [] });

    const session = http2.connect(service.baseUrl);
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ":path": "/api/v1/profiles", authorization: `Bearer ${token}` });
        let status = 0;
        let body = "";
        req.on("response", (headers) => (status = Number(headers[":status"])));
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => resolve({ status, body }));
        req.on("error", reject);
      });
      expect(status).toBe(200);
      expect(JSON.parse(body)).toEqual({ profiles: [] });
    } finally {
      session.close();
    }
  });

  test("serves gRPC (h2c) with the Connect gRPC transport", async () => {
    const client = createClient(DeviceRegistryService, createGrpcTransport({ baseUrl: service.baseUrl }));
    const device = await client.registerDevice({ name: "h2c", hardwareId: "HW-H2C" }, { headers: { authorization: `Bearer ${token}` } });
    expect(device).toMatchObject({ hardwareId: "HW-H2C", tenantId: tenant });
  });

  test("answers a CORS preflight for a listed origin with the headers Connect and gRPC-Web need", async () => {
    const res = await fetch(`${service.baseUrl}/deviceregistry.v1.DeviceRegistryService/RegisterDevice`, {
      method: "OPTIONS",
      headers: {
        origin: "http://dashboard.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,connect-protocol-version,x-grpc-web",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://dashboard.test");
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase();
    for (const header of ["authorization", "content-type", "connect-protocol-version", "x-grpc-web"]) expect(allowed).toContain(header);
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
  });

  test("gives an unlisted origin no CORS headers", async () => {
    const res = await fetch(`${service.baseUrl}/api/v1/profiles`, {
      headers: { origin: "http://evil.test", authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const listed = await fetch(`${service.baseUrl}/api/v1/profiles`, {
      headers: { origin: "http://dashboard.test", authorization: `Bearer ${token}` },
    });
    expect(listed.headers.get("access-control-allow-origin")).toBe("http://dashboard.test");
  });

  test("refuses bodies over the limit on REST and Connect, writing nothing", async () => {
    const big = { name: "big", hardware_id: "HW-BIG", meta: { blob: "x".repeat(8000) } };
    const rest = await fetch(`${service.baseUrl}/api/v1/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(big),
    });
    expect(rest.status).toBe(413);
    expect(await rest.json()).toMatchObject({ code: "RESOURCE_EXHAUSTED" });

    const client = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    await expect(
      client.registerDevice({ name: "big", hardwareId: "HW-BIG", meta: { blob: "x".repeat(8000) } }, { headers: { authorization: `Bearer ${token}` } }),
    ).rejects.toMatchObject({ code: Code.ResourceExhausted } satisfies Partial<ConnectError>);
    const rows = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id = 'HW-BIG'");
    expect(rows.rows[0].n).toBe(0);
  });

  test("answers /healthz and 404 for unknown paths", async () => {
    expect(await (await fetch(`${service.baseUrl}/healthz`)).json()).toEqual({ status: "SERVING" });
    const res = await fetch(`${service.baseUrl}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: "NOT_FOUND", message: "no such route" });
  });
});

describe("TLS with ALPN", () => {
  let service: TestService;
  let cert: Buffer;
  let token: string;
  const tenant = randomUUID();

  beforeAll(async () => {
    const openssl = createOpenssl("tls");
    const files = await openssl.selfSignedServer();
    cert = readFileSync(path.join(openssl.dir, files.cert));
    service = await startTestService({ tls: { cert, key: readFileSync(path.join(openssl.dir, files.key)) } });
    token = await service.token(tenant);
  });
  afterAll(() => service.stop());

  test("negotiates h2 and http/1.1 by ALPN", async () => {
    for (const protocol of ["h2", "http/1.1"]) {
      const negotiated = await new Promise<string | false | null>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port: service.port, ca: cert, ALPNProtocols: [protocol], servername: "localhost" }, () => {
          resolve(socket.alpnProtocol);
          socket.end();
        });
        socket.on("error", reject);
      });
      expect(negotiated).toBe(protocol);
    }
  });

  test("serves gRPC over TLS to @grpc/grpc-js", async () => {
    const client = createGrpcJsClient(DeviceRegistryService, `localhost:${service.port}`, grpc.credentials.createSsl(cert));
    try {
      const device = await client.call(
        DeviceRegistryService.method.registerDevice,
        create(RegisterDeviceRequestSchema, { name: "tls", hardwareId: "HW-TLS" }),
        {
          authorization: `Bearer ${token}`,
        },
      );
      expect(device).toMatchObject({ hardwareId: "HW-TLS", tenantId: tenant });
    } finally {
      client.close();
    }
  });

  test("serves REST over HTTPS/1.1", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://localhost:${service.port}/api/v1/profiles`, { ca: cert, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let data = "";
          res.on("data", (c) => (data += c));
          res.on("end", () => resolve(`${res.statusCode} ${data}`));
        })
        .on("error", reject);
    });
    expect(body).toBe('200 {"profiles":[]}');
  });
});
