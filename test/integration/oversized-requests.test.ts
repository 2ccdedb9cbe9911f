import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import http2 from "node:http2";
import net from "node:net";
import { DeviceRegistryService, RegisterDeviceRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createDeviceRegistryClient } from "../../src/client/device-registry-client.js";
import { limits } from "../../src/domain/validate.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Requests over MAX_BODY_BYTES are refused without reading the rest of their body, and the
 * HTTP/2 connection they came on stays usable: without that, the refused bodies stay in the
 * session until node:http2 refuses every later stream with NGHTTP2_ENHANCE_YOUR_CALM.
 */
describe("oversized requests on one HTTP/2 connection", () => {
  let service: TestService;
  let token: string;
  const tenant = randomUUID();
  // Twelve 2 MB bodies: 24 MB, well past node:http2's 10 MB of session memory.
  const OVERSIZED = 12;
  const blob = "x".repeat(2 * 1024 * 1024);
  const oversized = () => create(RegisterDeviceRequestSchema, { name: "big", hardwareId: `HW-BIG-${randomUUID()}`, config: { blob } });
  const REGISTER = "/deviceregistry.v1.DeviceRegistryService/RegisterDevice";
  const LIST = "/deviceregistry.v1.DeviceRegistryService/ListDevices";

  beforeAll(async () => {
    service = await startTestService();
    token = await service.token(tenant);
  });
  afterAll(() => service.stop());

  interface Reply {
    status: number;
    headers: http2.IncomingHttpHeaders;
    trailers: http2.IncomingHttpHeaders;
    body: string;
  }

  /** One exchange on `session`; resolves once the response has ended, whatever the request's fate. */
  function exchange(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Uint8Array): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ authorization: `Bearer ${token}`, ...headers });
      const reply: Reply = { status: 0, headers: {}, trailers: {}, body: "" };
      stream.on("response", (h) => Object.assign(reply, { status: Number(h[":status"]), headers: h }));
      stream.on("trailers", (t) => (reply.trailers = t));
      stream.on("data", (chunk: Buffer) => (reply.body += chunk.toString("latin1")));
      stream.on("end", () => resolve(reply));
      stream.on("error", reject);
      stream.end(body);
    });
  }

  /** A gRPC length-prefixed message (uncompressed). */
  function grpcFrame(message: Uint8Array): Buffer {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(message.length, 1);
    return Buffer.concat([prefix, message]);
  }

  async function onOneSession(run: (session: http2.ClientHttp2Session) => Promise<void>): Promise<void> {
    const session = http2.connect(service.baseUrl);
    try {
      await run(session);
      expect(session.closed || session.destroyed).toBe(false);
    } finally {
      session.close();
    }
  }

  test(
    "REST: 413 each time, then a GET answers on the same connection",
    () =>
      onOneSession(async (session) => {
        const body = Buffer.from(JSON.stringify({ name: "big", hardware_id: "HW-BIG", config: { blob } }));
        for (let i = 0; i < OVERSIZED; i++) {
          const reply = await exchange(session, { ":method": "POST", ":path": "/api/v1/devices", "content-type": "application/json" }, body);
          expect({ i, status: reply.status, body: reply.body }).toEqual({
            i,
            status: 413,
            body: JSON.stringify({ code: "RESOURCE_EXHAUSTED", message: "request body exceeds 1048576 bytes" }),
          });
        }
        expect(await exchange(session, { ":method": "GET", ":path": "/api/v1/devices" })).toMatchObject({ status: 200, body: '{"devices":[]}' });
      }),
    60_000,
  );

  test(
    "Connect binary: resource_exhausted each time, then ListDevices answers on the same connection",
    () =>
      onOneSession(async (session) => {
        const headers = { ":method": "POST", ":path": REGISTER, "content-type": "application/proto", "connect-protocol-version": "1" };
        for (let i = 0; i < OVERSIZED; i++) {
          const reply = await exchange(session, headers, toBinary(RegisterDeviceRequestSchema, oversized()));
          expect({ i, status: reply.status, code: JSON.parse(reply.body).code }).toEqual({ i, status: 429, code: "resource_exhausted" });
        }
        const list = await exchange(session, { ...headers, ":path": LIST, "content-type": "application/json" }, Buffer.from("{}"));
        expect(list).toMatchObject({ status: 200, body: "{}" });
      }),
    60_000,
  );

  test(
    "gRPC: RESOURCE_EXHAUSTED each time, then ListDevices answers on the same connection",
    () =>
      onOneSession(async (session) => {
        const headers = { ":method": "POST", ":path": REGISTER, "content-type": "application/grpc", te: "trailers" };
        for (let i = 0; i < OVERSIZED; i++) {
          const reply = await exchange(session, headers, grpcFrame(toBinary(RegisterDeviceRequestSchema, oversized())));
          const status = reply.trailers["grpc-status"] ?? reply.headers["grpc-status"];
          expect({ i, status }).toEqual({ i, status: String(grpc.status.RESOURCE_EXHAUSTED) });
        }
        const list = await exchange(session, { ...headers, ":path": LIST }, grpcFrame(new Uint8Array()));
        expect(list.status).toBe(200);
        expect(list.trailers["grpc-status"]).toBe("0");
      }),
    60_000,
  );

  test.each(["grpc", "connect"] as const)(
    "connect-es %s client on HTTP/2: refused each time, then ListDevices works on the same connection",
    async (protocol) => {
      let connections = 0;
      const sessionManager = new Http2SessionManager(
        service.baseUrl,
        {},
        {
          createConnection: () => {
            connections++;
            return net.connect(service.port, "127.0.0.1");
          },
        },
      );
      const options = { baseUrl: service.baseUrl, sessionManager, useBinaryFormat: true };
      const client = createClient(
        DeviceRegistryService,
        protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport({ ...options, httpVersion: "2" }),
      );
      const headers = { authorization: `Bearer ${token}` };
      try {
        for (let i = 0; i < OVERSIZED; i++) {
          const err = await client.registerDevice(oversized(), { headers }).then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          );
          expect({ i, code: err?.code, message: err?.rawMessage }).toEqual({
            i,
            code: Code.ResourceExhausted,
            message: expect.stringContaining("readMaxBytes"),
          });
        }
        await expect(client.listDevices({}, { headers })).resolves.toMatchObject({ devices: [] });
        expect(connections).toBe(1);
      } finally {
        sessionManager.abort();
      }
    },
    60_000,
  );

  test("@grpc/grpc-js: RESOURCE_EXHAUSTED each time, then ListDevices works on the same channel", async () => {
    const client = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    const auth = { authorization: `Bearer ${token}` };
    try {
      for (let i = 0; i < OVERSIZED; i++) {
        await expect(client.call(DeviceRegistryService.method.registerDevice, oversized(), auth)).rejects.toMatchObject({
          code: grpc.status.RESOURCE_EXHAUSTED,
        });
      }
      const list = await client.call(DeviceRegistryService.method.listDevices, create(DeviceRegistryService.method.listDevices.input), auth);
      expect(list.devices).toEqual([]);
    } finally {
      client.close();
    }
  }, 60_000);

  describe("the largest valid ImportDevices", () => {
    // 10,000 entries (the most one call takes) with every string at its maximum length, 32 groups
    // and a tag and a meta entry at their maximum lengths: about 40 MB, far past MAX_BODY_BYTES.
    const profileId = "p".repeat(63);
    const entry = (prefix: string, i: number) => ({
      hardware_id: `${prefix}-${String(i).padStart(5, "0")}-`.padEnd(limits.hardwareIdLength, "h"),
      name: "n".repeat(limits.nameLength),
      groups: Array.from({ length: limits.groups }, (_, g) => `g${g}-`.padEnd(limits.groupLength, "g")),
      tags: { ["t".repeat(limits.mapKeyLength)]: "v".repeat(limits.mapValueLength) },
      meta: { ["m".repeat(limits.mapKeyLength)]: "w".repeat(limits.mapValueLength) },
      profile_id: profileId,
      sub_model: "s".repeat(limits.versionLength),
      is_gateway: true,
    });
    const entries = (prefix: string) => Array.from({ length: 10_000 }, (_, i) => entry(prefix, i));

    beforeAll(async () => {
      const reply = await createRestApi(service.baseUrl).call("POST", "/api/v1/profiles", token, { profile_id: profileId, display_name: "max" });
      expect(reply.status).toBe(200);
    });

    test("is accepted over REST: one claim key per entry", async () => {
      const body = JSON.stringify({ devices: entries("HW-MAX-REST") });
      expect(body.length).toBeGreaterThan(40_000_000);
      const res = await fetch(`${service.baseUrl}/api/v1/devices:import`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body,
      });
      expect(res.status).toBe(200);
      const { results } = (await res.json()) as { results: { hardware_id: string; claim_key?: string; error?: unknown }[] };
      expect(results).toHaveLength(10_000);
      expect(results.filter((r) => r.error !== undefined || !r.claim_key)).toEqual([]);
    }, 120_000);

    test("is accepted over gRPC by the project's client: one claim key per entry", async () => {
      const client = createDeviceRegistryClient(service.baseUrl, { protocol: "grpc", token });
      const { results } = await client.importDevices({
        devices: entries("HW-MAX-GRPC").map((e) => ({
          hardwareId: e.hardware_id,
          name: e.name,
          groups: e.groups,
          tags: e.tags,
          meta: e.meta,
          profileId: e.profile_id,
          subModel: e.sub_model,
          isGateway: true,
        })),
      });
      expect(results).toHaveLength(10_000);
      expect(results.filter((r) => r.error !== undefined || r.claimKey === "")).toEqual([]);
    }, 120_000);

    test("other RPCs keep MAX_BODY_BYTES", async () => {
      const reply = await createRestApi(service.baseUrl).call("POST", "/api/v1/devices", token, { name: "big", hardware_id: "HW-BIG-ONE", config: { blob } });
      expect(reply).toEqual({ status: 413, body: { code: "RESOURCE_EXHAUSTED", message: "request body exceeds 1048576 bytes" } });
    });
  });
});
