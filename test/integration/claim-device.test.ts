import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { ClaimDeviceRequestSchema, DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const NOT_AUTHORIZED = { code: "UNAUTHENTICATED", message: "Not authorized" };
const hubs = [
  {
    id: "eu-1",
    hubUrl: "https://eu-1.hubs.test",
    hubUrlStaticCert: "https://eu-1-static.hubs.test",
    mqttHubUrl: "mqtts://eu-1.hubs.test:8883",
    weight: 1,
    region: "eu",
  },
];

describe("ClaimDevice: a factory batch brings itself online", () => {
  let service: TestService;
  let admin: string;
  let hub: string;
  const tenant = randomUUID();
  let api: RestApi;

  const call = (method: string, path: string, body?: unknown, token?: string) => api.call(method, path, token, body);
  const claim = (body: unknown) => call("POST", "/api/v1/devices:claim", body);
  const authenticate = (deviceId: string, apiKey: string) => call("POST", "/api/v1/devices:authenticate", { device_id: deviceId, api_key: apiKey }, hub);
  async function importOne(hardwareId: string, entry: Record<string, unknown> = {}): Promise<string> {
    const { body } = await call("POST", "/api/v1/devices:import", { devices: [{ hardware_id: hardwareId, ...entry }] }, admin);
    return body["results"][0]["claim_key"];
  }

  beforeAll(async () => {
    service = await startTestService({ hubs });
    api = createRestApi(service.baseUrl);
    admin = await service.token(tenant);
    hub = await service.token(randomUUID(), "platform_service");
    await call("POST", "/api/v1/profiles", { profile_id: "p_sensor", firmware: "1.0.0", config: { interval_s: 60 }, tags: { line: "4" } }, admin);
  });
  afterAll(() => service.stop());

  test("import → claim → re-claim → delete → 401 → re-claim with a new device_id", async () => {
    const claimKey = await importOne("HW-FACTORY-1", { name: "Sensor 1", tags: { region: "eu" }, profile_id: "p_sensor", meta: { batch: "B7" } });

    const first = await claim({ claim_key: claimKey, hardware_id: "HW-FACTORY-1", firmware: "1.2.3", sub_model: "S1-b", meta: { mac: "00:11:22:33:44:55" } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      device_id: expect.any(String),
      api_key: expect.stringMatching(/^sk_live_/),
      hub_url: "https://eu-1.hubs.test",
      hub_url_static_cert: "https://eu-1-static.hubs.test",
      mqtt_hub_url: "mqtts://eu-1.hubs.test:8883",
    });
    const deviceId = first.body["device_id"];
    const device = await call("GET", `/api/v1/devices/${deviceId}`, undefined, admin);
    expect(device.body).toMatchObject({
      tenant_id: tenant,
      name: "Sensor 1",
      hardware_id: "HW-FACTORY-1",
      status: "registered",
      profile_id: "p_sensor",
      firmware: "1.2.3",
      sub_model: "S1-b",
      tags: { region: "eu", line: "4" },
      meta: { batch: "B7", mac: "00:11:22:33:44:55" },
      config: { interval_s: 60 },
      hub_id: "eu-1",
    });
    expect((await authenticate(deviceId, first.body["api_key"])).status).toBe(200);

    // The device reboots and claims again: same device, fresh credential, the old one stops working.
    const again = await claim({ claim_key: claimKey, hardware_id: "HW-FACTORY-1" });
    expect(again.status).toBe(200);
    expect(again.body["device_id"]).toBe(deviceId);
    expect(again.body["api_key"]).not.toBe(first.body["api_key"]);
    expect(await authenticate(deviceId, first.body["api_key"])).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect((await authenticate(deviceId, again.body["api_key"])).status).toBe(200);
    const events = await service.db.pool.query("SELECT event_type, payload FROM outbox WHERE subject = $1 ORDER BY id", [deviceId]);
    expect(events.rows.map((r) => r.event_type)).toEqual(["device.registered", "device.credential_rotated"]);
    expect(events.rows[0].payload).toMatchObject({ method: "REGISTRATION_METHOD_CLAIM", actor: deviceId });
    expect(JSON.stringify(events.rows)).not.toContain(first.body["api_key"]);

    // Deleted from the cloud: its calls are 401 "Not authorized" until it claims again as a new device.
    expect((await call("DELETE", `/api/v1/devices/${deviceId}`, undefined, admin)).status).toBe(200);
    expect(await authenticate(deviceId, again.body["api_key"])).toEqual({ status: 401, body: NOT_AUTHORIZED });
    const reborn = await claim({ claim_key: claimKey, hardware_id: "HW-FACTORY-1" });
    expect(reborn.status).toBe(200);
    expect(reborn.body["device_id"]).not.toBe(deviceId);
    expect((await authenticate(reborn.body["device_id"], reborn.body["api_key"])).status).toBe(200);
  });

  test("a wrong or expired key is 401 Not authorized; a key of another hardware_id is 403", async () => {
    const claimKey = await importOne("HW-FACTORY-2");
    expect(await claim({ claim_key: `ck_${"x".repeat(32)}`, hardware_id: "HW-FACTORY-2" })).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect(await claim({ claim_key: "", hardware_id: "HW-FACTORY-2" })).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect(await claim({ claim_key: claimKey, hardware_id: "HW-SOMEONE-ELSE" })).toEqual({
      status: 403,
      body: { code: "PERMISSION_DENIED", message: "the claim key was issued for another hardware_id" },
    });
    await service.db.pool.query("UPDATE device_claims SET expires_at = now() - interval '1 second' WHERE hardware_id = 'HW-FACTORY-2'");
    expect(await claim({ claim_key: claimKey, hardware_id: "HW-FACTORY-2" })).toEqual({ status: 401, body: NOT_AUTHORIZED });
    const devices = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id IN ('HW-FACTORY-2', 'HW-SOMEONE-ELSE')");
    expect(devices.rows[0].n).toBe(0);
  });

  test("a device claims over gRPC without any token", async () => {
    const claimKey = await importOne("HW-FACTORY-3");
    const client = createGrpcJsClient(DeviceProvisioningService, `127.0.0.1:${service.port}`);
    try {
      const claimed = await client.call(
        DeviceProvisioningService.method.claimDevice,
        create(ClaimDeviceRequestSchema, { claimKey, hardwareId: "HW-FACTORY-3" }),
      );
      expect(claimed.deviceId).toMatch(/^[0-9a-f-]{36}$/);
      expect(claimed.apiKey).toMatch(/^sk_live_/);
      await expect(
        client.call(DeviceProvisioningService.method.claimDevice, create(ClaimDeviceRequestSchema, { claimKey: "ck_wrong", hardwareId: "HW-FACTORY-3" })),
      ).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: "Not authorized" });
    } finally {
      client.close();
    }
  });
});
