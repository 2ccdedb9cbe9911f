import { create } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { AuthenticateDeviceRequestSchema, DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const NOT_AUTHORIZED = { code: "UNAUTHENTICATED", message: "Not authorized" };

describe("AuthenticateDevice (hubs)", () => {
  let service: TestService;
  let replica: TestService;
  const tenant = randomUUID();
  let admin: string;
  let hub: string;

  const call = (baseUrl: string, method: string, path: string, token: string, body?: unknown) => createRestApi(baseUrl).call(method, path, token, body);
  const authenticate = (baseUrl: string, deviceId: unknown, apiKey: unknown) =>
    call(baseUrl, "POST", "/api/v1/devices:authenticate", hub, { device_id: deviceId, api_key: apiKey });

  beforeAll(async () => {
    service = await startTestService();
    admin = await service.token(tenant);
    // A hub of the whole platform: its token's tenant is its own, the credential names the device's.
    hub = await service.token(randomUUID(), "platform_service");
    replica = await startTestService({ replicaOf: service });
  });
  afterAll(async () => {
    await replica.stop();
    await service.stop();
  });

  test("a good key answers the identity; after rotation, disabling and deletion the old key is 401 Not authorized on every replica", async () => {
    const gateway = await call(service.baseUrl, "POST", "/api/v1/devices", admin, { name: "gw", hardware_id: "HW-AUTH-GW", is_gateway: true });
    const device = await call(service.baseUrl, "POST", "/api/v1/devices", admin, {
      name: "d",
      hardware_id: "HW-AUTH-DEV",
      gateway_id: gateway.body["device_id"],
    });
    const deviceId = device.body["device_id"] as string;
    const firstKey = device.body["api_key"] as string;

    for (const baseUrl of [service.baseUrl, replica.baseUrl]) {
      expect(await authenticate(baseUrl, deviceId, firstKey)).toEqual({
        status: 200,
        body: { device_id: deviceId, tenant_id: tenant, gateway_id: gateway.body["device_id"], status: "registered" },
      });
    }

    const rotated = await call(service.baseUrl, "POST", `/api/v1/devices/${deviceId}:rotateCredential`, admin, {});
    const secondKey = rotated.body["api_key"] as string;
    expect(await authenticate(replica.baseUrl, deviceId, firstKey)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect((await authenticate(replica.baseUrl, deviceId, secondKey)).status).toBe(200);

    await call(service.baseUrl, "PATCH", `/api/v1/devices/${deviceId}?update_mask=status`, admin, { status: "disabled" });
    expect(await authenticate(replica.baseUrl, deviceId, secondKey)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    await call(replica.baseUrl, "PATCH", `/api/v1/devices/${deviceId}?update_mask=status`, admin, { status: "registered" });
    expect((await authenticate(service.baseUrl, deviceId, secondKey)).status).toBe(200);

    expect((await call(replica.baseUrl, "DELETE", `/api/v1/devices/${deviceId}`, admin)).status).toBe(200);
    for (const baseUrl of [service.baseUrl, replica.baseUrl]) {
      expect(await authenticate(baseUrl, deviceId, secondKey)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    }
  });

  test("every kind of bad credential gets the same answer", async () => {
    const device = await call(service.baseUrl, "POST", "/api/v1/devices", admin, { name: "d", hardware_id: "HW-AUTH-BAD" });
    const other = await call(service.baseUrl, "POST", "/api/v1/devices", admin, { name: "o", hardware_id: "HW-AUTH-OTHER" });
    const deviceId = device.body["device_id"];
    for (const [id, key] of [
      [deviceId, other.body["api_key"]], // another device's key
      [other.body["device_id"], device.body["api_key"]],
      [randomUUID(), device.body["api_key"]], // unknown device
      [deviceId, `sk_live_${"A".repeat(43)}`], // well-formed, wrong
      [deviceId, "not-a-key"],
      ["not-a-uuid", device.body["api_key"]],
      [deviceId, ""],
    ]) {
      expect(await authenticate(service.baseUrl, id, key)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    }
  });

  test('over gRPC a bad key is UNAUTHENTICATED "Not authorized"', async () => {
    const client = createGrpcJsClient(DeviceAuthService, `127.0.0.1:${service.port}`);
    try {
      const request = create(AuthenticateDeviceRequestSchema, { deviceId: randomUUID(), apiKey: `sk_live_${"B".repeat(43)}` });
      await expect(client.call(DeviceAuthService.method.authenticateDevice, request, { authorization: `Bearer ${hub}` })).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
        details: "Not authorized",
      });
    } finally {
      client.close();
    }
  });

  test("only service tokens may ask: an admin token is PERMISSION_DENIED", async () => {
    const device = await call(service.baseUrl, "POST", "/api/v1/devices", admin, { name: "d", hardware_id: "HW-AUTH-ADMIN" });
    const asAdmin = await call(service.baseUrl, "POST", "/api/v1/devices:authenticate", admin, {
      device_id: device.body["device_id"],
      api_key: device.body["api_key"],
    });
    expect(asAdmin.status).toBe(403);
    expect(asAdmin.body["code"]).toBe("PERMISSION_DENIED");
  });

  test("a service token answers only for its own tenant's devices, on REST, Connect and gRPC; platform_service for any", async () => {
    const device = await call(service.baseUrl, "POST", "/api/v1/devices", admin, { name: "d", hardware_id: "HW-AUTH-TENANT" });
    const deviceId = device.body["device_id"] as string;
    const apiKey = device.body["api_key"] as string;
    const ownHub = await service.token(tenant, "service");
    const otherHub = await service.token(randomUUID(), "service");
    const identity = { device_id: deviceId, tenant_id: tenant };

    const rest = (token: string) => call(service.baseUrl, "POST", "/api/v1/devices:authenticate", token, { device_id: deviceId, api_key: apiKey });
    expect(await rest(otherHub)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect(await rest(ownHub)).toMatchObject({ status: 200, body: identity });
    expect(await rest(hub)).toMatchObject({ status: 200, body: identity });

    const connect = createClient(DeviceAuthService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    const viaConnect = (token: string) => connect.authenticateDevice({ deviceId, apiKey }, { headers: { authorization: `Bearer ${token}` } });
    await expect(viaConnect(otherHub)).rejects.toMatchObject({ code: Code.Unauthenticated, rawMessage: "Not authorized" });
    await expect(viaConnect(ownHub)).resolves.toMatchObject({ deviceId, tenantId: tenant });
    await expect(viaConnect(hub)).resolves.toMatchObject({ deviceId, tenantId: tenant });

    const grpc = createGrpcJsClient(DeviceAuthService, `127.0.0.1:${service.port}`);
    try {
      const request = create(AuthenticateDeviceRequestSchema, { deviceId, apiKey });
      const viaGrpc = (token: string) => grpc.call(DeviceAuthService.method.authenticateDevice, request, { authorization: `Bearer ${token}` });
      await expect(viaGrpc(otherHub)).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: "Not authorized" });
      await expect(viaGrpc(ownHub)).resolves.toMatchObject({ deviceId, tenantId: tenant });
      await expect(viaGrpc(hub)).resolves.toMatchObject({ deviceId, tenantId: tenant });
    } finally {
      grpc.close();
    }
  });

  test("platform_service may call nothing but AuthenticateDevice", async () => {
    const platformHub = await service.token(tenant, "platform_service");
    const listed = await call(service.baseUrl, "GET", "/api/v1/devices", platformHub);
    expect(listed).toEqual({ status: 403, body: { code: "PERMISSION_DENIED", message: "role platform_service may not call ListDevices" } });
  });
});
