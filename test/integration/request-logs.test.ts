import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { AuthenticateDeviceRequestSchema, DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { startServiceProcess, type ServiceProcess } from "../support/service-process.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { createTestKeys } from "../support/test-keys.js";

/** A per-request log line. */
interface RequestLine {
  msg: string;
  requestId: string;
  protocol?: string;
  httpMethod: string;
  path: string;
  status: number;
  durationMs: number;
  procedure?: string;
  code?: string;
  tenant?: string;
}

const REGISTRY = "deviceregistry.v1.DeviceRegistryService";
const PROVISIONING = "deviceregistry.v1.DeviceProvisioningService";
const AUTH = "deviceregistry.v1.DeviceAuthService";

describe("request logs of the service process", () => {
  let db: TestDatabase;
  let service: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await service?.kill("SIGKILL");
    await db?.drop();
  });

  test("register → import → claim → rotate → authenticate: one line per request with its fields, and no secret in any line", async () => {
    const keys = await createTestKeys();
    const tenant = randomUUID();
    const hubTenant = randomUUID();
    const admin = await keys.token({ tenant_id: tenant, role: "tenant_admin" });
    const hub = await keys.token({ tenant_id: hubTenant, role: "platform_service" });
    // debug: even the most verbose lines must hold no secret.
    service = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath, LOG_LEVEL: "debug" });

    const rest = async (method: string, path: string, body: unknown, auth: string | undefined, requestId?: string) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (auth !== undefined) headers["authorization"] = `Bearer ${auth}`;
      if (requestId !== undefined) headers["x-request-id"] = requestId;
      const res = await fetch(`${service.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, requestId: res.headers.get("x-request-id"), body: (await res.json()) as Record<string, any> };
    };

    const registered = await rest("POST", "/api/v1/devices", { name: "Lab", hardware_id: "HW-LOG-1" }, admin, "flow-register");
    expect(registered.status).toBe(200);
    const deviceId: string = registered.body["device_id"];
    const firstKey: string = registered.body["api_key"];

    const imported = await rest("POST", "/api/v1/devices:import", { devices: [{ hardware_id: "HW-LOG-2" }, { hardware_id: "HW-LOG-3" }] }, admin);
    expect(imported.status).toBe(200);
    const claimKeys: string[] = imported.body["results"].map((r: { claim_key: string }) => r.claim_key);
    expect(claimKeys).toHaveLength(2);

    const claimed = await rest("POST", "/api/v1/devices:claim", { claim_key: claimKeys[0], hardware_id: "HW-LOG-2" }, undefined);
    expect(claimed.status).toBe(200);
    const claimedKey: string = claimed.body["api_key"];
    // A claim key presented for another hardware_id is refused.
    expect((await rest("POST", "/api/v1/devices:claim", { claim_key: claimKeys[1], hardware_id: "HW-LOG-2" }, undefined)).status).toBeGreaterThanOrEqual(400);
    const config = await rest("GET", `/api/v1/devices/${claimed.body["device_id"]}/config`, undefined, claimedKey);
    expect(config.status).toBe(200);

    const connect = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    const rotated = await connect.rotateDeviceCredential({ deviceId }, { headers: { authorization: `Bearer ${admin}` } });
    const rotatedKey = rotated.apiKey;
    expect(rotatedKey).not.toBe(firstKey);

    const grpc = createGrpcJsClient(DeviceAuthService, `127.0.0.1:${service.port}`);
    try {
      const authenticate = (apiKey: string) =>
        grpc.call(DeviceAuthService.method.authenticateDevice, create(AuthenticateDeviceRequestSchema, { deviceId, apiKey }), {
          authorization: `Bearer ${hub}`,
        });
      expect(await authenticate(rotatedKey)).toMatchObject({ deviceId, tenantId: tenant });
      await expect(authenticate(firstKey)).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
    } finally {
      grpc.close();
    }
    await service.kill("SIGTERM");

    const secrets = [firstKey, claimedKey, rotatedKey, ...claimKeys, admin, hub];
    expect(secrets.every((s) => typeof s === "string" && s.length >= 16)).toBe(true);
    for (const line of service.logs) {
      for (const secret of secrets) expect({ line, leaks: line.includes(secret) }).toEqual({ line, leaks: false });
    }

    const lines = service.logs.map((l) => JSON.parse(l) as RequestLine).filter((l) => l.msg === "request");
    for (const line of lines) {
      expect(line).toEqual(
        expect.objectContaining({
          requestId: expect.any(String),
          httpMethod: expect.any(String),
          path: expect.any(String),
          status: expect.any(Number),
          durationMs: expect.any(Number),
        }),
      );
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
    }
    const rpcs = lines.filter((l) => l.procedure !== undefined).map((l) => [l.procedure, l.protocol, l.code, l.tenant ?? null]);
    expect(rpcs).toEqual([
      [`${REGISTRY}/RegisterDevice`, "rest", "OK", tenant],
      [`${REGISTRY}/ImportDevices`, "rest", "OK", tenant],
      [`${PROVISIONING}/ClaimDevice`, "rest", "OK", null],
      [`${PROVISIONING}/ClaimDevice`, "rest", expect.stringMatching(/^(PERMISSION_DENIED|UNAUTHENTICATED|INVALID_ARGUMENT)$/), null],
      [`${PROVISIONING}/GetDeviceConfig`, "rest", "OK", null],
      [`${REGISTRY}/RotateDeviceCredential`, "connect", "OK", tenant],
      [`${AUTH}/AuthenticateDevice`, "grpc", "OK", hubTenant],
      [`${AUTH}/AuthenticateDevice`, "grpc", "UNAUTHENTICATED", hubTenant],
    ]);
    // The caller's id is kept, a generated one is returned: either way the header names the log line.
    expect(lines.filter((l) => l.requestId === "flow-register")).toEqual([
      expect.objectContaining({ procedure: `${REGISTRY}/RegisterDevice`, httpMethod: "POST", path: "/api/v1/devices", status: 200 }),
    ]);
    expect(imported.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.filter((l) => l.requestId === imported.requestId)).toEqual([expect.objectContaining({ procedure: `${REGISTRY}/ImportDevices` })]);
  }, 120_000);
  test("requests refused before their RPC ran say their protocol; a refused CORS preflight is logged; HUBS unset warns once at startup", async () => {
    const keys = await createTestKeys();
    const admin = await keys.token({ tenant_id: randomUUID(), role: "tenant_admin" });
    const other = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath, CORS_ORIGINS: "https://dashboard.example.test" });
    try {
      const send = (path: string, headers: Record<string, string>, body: string, method = "POST") =>
        fetch(`${other.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...headers }, ...(method === "OPTIONS" ? {} : { body }) });
      expect((await send("/api/v1/devices", { "content-type": "application/json", "x-request-id": "bad-rest" }, "{not json")).status).toBe(400);
      expect((await send(`/${REGISTRY}/RegisterDevice`, { "content-type": "application/json", "x-request-id": "bad-connect" }, "{not json")).status).toBe(400);
      const refused = await send(
        "/api/v1/devices",
        { origin: "http://localhost:5173", "access-control-request-method": "POST", "x-request-id": "refused-preflight" },
        "",
        "OPTIONS",
      );
      expect([refused.status, await refused.json()]).toEqual([
        403,
        { code: "PERMISSION_DENIED", message: 'CORS: origin "http://localhost:5173" is not allowed (not listed in CORS_ORIGINS)' },
      ]);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await other.kill();
    }
    const entries = other.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const request = (id: string) => entries.find((e) => e["msg"] === "request" && e["requestId"] === id);
    expect(request("bad-rest")).toMatchObject({ protocol: "rest", status: 400, path: "/api/v1/devices" });
    expect(request("bad-connect")).toMatchObject({ protocol: "connect", status: 400, path: `/${REGISTRY}/RegisterDevice` });
    expect(request("refused-preflight")).toMatchObject({ protocol: "rest", status: 403, httpMethod: "OPTIONS" });
    expect(entries.filter((e) => String(e["msg"]).startsWith("CORS preflight refused"))).toEqual([
      expect.objectContaining({ level: 40, origin: "http://localhost:5173", path: "/api/v1/devices", requestId: "refused-preflight" }),
    ]);
    expect(entries.filter((e) => String(e["msg"]).includes("HUBS"))).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^HUBS not set: devices get no hub/) }),
    ]);
  }, 60_000);
});
