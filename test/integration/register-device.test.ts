import { create } from "@bufbuild/protobuf";
import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { createHash, randomUUID } from "node:crypto";
import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { DeviceRegistryService, RegisterDeviceRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const seedBody = {
  name: "Lab Bench Thermometer",
  hardware_id: "HW-LAB-0001",
  groups: ["lab", "floor-3"],
  tags: { region: "eu", owner: "qa" },
  anchor_mode: "ANCHOR_MODE_MERKLE_BATCH",
  profile_id: "p_temp_sensor_v2",
};

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const API_KEY = /^sk_live_[A-Za-z0-9_-]{43}$/;

describe("RegisterDevice", () => {
  let service: TestService;
  let tenant: string;
  let token: string;
  let api: RestApi;

  const post = (path: string, body: unknown, bearer = token) => api.call("POST", path, bearer, body);

  async function count(sql: string, ...params: unknown[]): Promise<number> {
    return Number((await service.db.pool.query(sql, params)).rows[0].n);
  }

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    tenant = randomUUID();
    token = await service.token(tenant);
    const profile = await post("/api/v1/profiles", { profile_id: "p_temp_sensor_v2", display_name: "Temp sensor v2" });
    expect(profile.status).toBe(200);
  });
  afterAll(() => service.stop());

  test("the seed's curl example over REST returns the seed's device record", async () => {
    const { status, body } = await post("/api/v1/devices", seedBody);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      tenant_id: tenant,
      name: "Lab Bench Thermometer",
      hardware_id: "HW-LAB-0001",
      status: "registered",
      groups: ["lab", "floor-3"],
      tags: { region: "eu", owner: "qa" },
      anchor_mode: "ANCHOR_MODE_MERKLE_BATCH",
      profile_id: "p_temp_sensor_v2",
    });
    expect(body["device_id"]).toMatch(UUID);
    expect(body["api_key"]).toMatch(API_KEY);
    expect(body["created_at"]).toMatch(RFC3339_UTC);

    // The api_key exists only in that response: the database holds its SHA-256, nothing holds it in clear.
    const apiKey = body["api_key"] as string;
    const stored = await service.db.pool.query("SELECT secret_hash FROM device_credentials WHERE device_id = $1", [body["device_id"]]);
    expect(stored.rows).toEqual([{ secret_hash: createHash("sha256").update(apiKey).digest() }]);
    const dump = await service.db.pool.query("SELECT (SELECT json_agg(d)::text FROM devices d) || (SELECT json_agg(o)::text FROM outbox o) AS everything");
    expect(dump.rows[0].everything).not.toContain(apiKey);

    // Exactly one device.registered event, in the same transaction, without the credential.
    const events = await service.db.pool.query("SELECT event_type, tenant_id, subject, payload FROM outbox WHERE subject = $1", [body["device_id"]]);
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({ event_type: "device.registered", tenant_id: tenant, subject: body["device_id"] });
    expect(events.rows[0].payload).toMatchObject({
      device: { device_id: body["device_id"], hardware_id: "HW-LAB-0001", status: "registered" },
      actor: "alice",
      method: "REGISTRATION_METHOD_MANUAL",
    });
    expect(events.rows[0].payload.device).not.toHaveProperty("api_key");
  });

  test("a duplicate hardware_id is 409 with the seed's exact body, and writes nothing", async () => {
    const devicesBefore = await count("SELECT count(*) AS n FROM devices");
    const eventsBefore = await count("SELECT count(*) AS n FROM outbox");
    const { status, body } = await post("/api/v1/devices", seedBody);
    expect(status).toBe(409);
    expect(body).toEqual({
      code: "ALREADY_EXISTS",
      message: 'device with hardware_id "HW-LAB-0001" already exists in this tenant',
    });
    expect(await count("SELECT count(*) AS n FROM devices")).toBe(devicesBefore);
    expect(await count("SELECT count(*) AS n FROM outbox")).toBe(eventsBefore);
  });

  test("the same RPC over gRPC with @grpc/grpc-js", async () => {
    const client = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    try {
      const metadata = { authorization: `Bearer ${token}` };
      const device = await client.call(
        DeviceRegistryService.method.registerDevice,
        create(RegisterDeviceRequestSchema, { name: "gRPC device", hardwareId: "HW-GRPC-1", anchorMode: AnchorMode.PER_EVENT, firmware: "1.0.0" }),
        metadata,
      );
      expect(device).toMatchObject({ tenantId: tenant, hardwareId: "HW-GRPC-1", anchorMode: AnchorMode.PER_EVENT, firmware: "1.0.0", status: "registered" });
      expect(device.apiKey).toMatch(API_KEY);
      const duplicate = client.call(
        DeviceRegistryService.method.registerDevice,
        create(RegisterDeviceRequestSchema, { name: "again", hardwareId: "HW-GRPC-1" }),
        metadata,
      );
      await expect(duplicate).rejects.toMatchObject({
        code: GrpcStatus.ALREADY_EXISTS,
        details: 'device with hardware_id "HW-GRPC-1" already exists in this tenant',
      } satisfies Partial<ServiceError>);
      // grpc-message reaches grpc-js intact: reserved URI characters, '%' and UTF-8 included.
      const odd = create(RegisterDeviceRequestSchema, { name: "odd", hardwareId: "HW-ß-100%/a:b;c,d#e" });
      await client.call(DeviceRegistryService.method.registerDevice, odd, metadata);
      await expect(client.call(DeviceRegistryService.method.registerDevice, odd, metadata)).rejects.toMatchObject({
        code: GrpcStatus.ALREADY_EXISTS,
        details: 'device with hardware_id "HW-ß-100%/a:b;c,d#e" already exists in this tenant',
      });
      const badProfile = create(RegisterDeviceRequestSchema, { name: "n", hardwareId: "HW-GRPC-2", profileId: "no spaces" });
      await expect(client.call(DeviceRegistryService.method.registerDevice, badProfile, metadata)).rejects.toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
        details: "profile_id: must be 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit",
      });
    } finally {
      client.close();
    }
  });

  test.each([
    ["Connect JSON over HTTP/1.1", () => createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" })],
    ["Connect binary over HTTP/2", () => createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "2", useBinaryFormat: true })],
    ["gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" })],
  ])("the same RPC over %s with the generated client", async (label, transport) => {
    const client = createClient(DeviceRegistryService, transport());
    const headers = { authorization: `Bearer ${token}` };
    const hardwareId = `HW-${label.replace(/\W+/g, "-")}`;
    const device = await client.registerDevice({ name: label, hardwareId, profileId: "p_temp_sensor_v2" }, { headers });
    expect(device).toMatchObject({ tenantId: tenant, name: label, hardwareId, profileId: "p_temp_sensor_v2", anchorMode: AnchorMode.MERKLE_BATCH });
    expect(device.apiKey).toMatch(API_KEY);
    const duplicate = client.registerDevice({ name: label, hardwareId }, { headers });
    await expect(duplicate).rejects.toMatchObject({
      code: Code.AlreadyExists,
      rawMessage: `device with hardware_id "${hardwareId}" already exists in this tenant`,
    } satisfies Partial<ConnectError>);
  });

  test("100 concurrent registrations of one hardware_id create exactly one device and one event", async () => {
    const attempts = await Promise.all(Array.from({ length: 100 }, (_, i) => post("/api/v1/devices", { name: `racer ${i}`, hardware_id: "HW-RACE" })));
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(99);
    expect(await count("SELECT count(*) AS n FROM devices WHERE tenant_id = $1 AND hardware_id = 'HW-RACE'", tenant)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM outbox o JOIN devices d ON d.device_id::text = o.subject WHERE d.hardware_id = 'HW-RACE'")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM device_credentials c JOIN devices d USING (device_id) WHERE d.hardware_id = 'HW-RACE'")).toBe(1);
  });

  test("another tenant may use the same hardware_id; each gets its own device", async () => {
    const otherTenant = randomUUID();
    const { status, body } = await post("/api/v1/devices", { name: "twin", hardware_id: "HW-LAB-0001" }, await service.token(otherTenant));
    expect(status).toBe(200);
    expect(body["tenant_id"]).toBe(otherTenant);
    expect(await count("SELECT count(*) AS n FROM devices WHERE hardware_id = 'HW-LAB-0001'")).toBe(2);
  });
});
