import { randomUUID } from "node:crypto";
import { grpcFactoryApi, ok, restFactoryApi, type FactoryApi } from "../support/factory-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

// claim-device.test.ts covers claiming over REST in detail (reported fields, events, expiry):
// this is the whole life of a factory gateway, the same over REST and gRPC.

const NOT_AUTHORIZED = { error: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const hubs = [
  {
    id: "eu-1",
    hubUrl: "https://eu-1.hubs.test",
    hubUrlStaticCert: "https://eu-1-static.hubs.test",
    mqttHubUrl: "mqtts://eu-1.hubs.test:8883",
    weight: 1,
    region: "",
  },
];

describe.each([
  ["REST", (s: TestService, token: string) => restFactoryApi(s.baseUrl, token)],
  ["gRPC", (s: TestService, token: string) => grpcFactoryApi(`127.0.0.1:${s.port}`, token)],
])("the factory flow over %s", (transport, connect) => {
  let service: TestService;
  let api: FactoryApi;

  beforeAll(async () => {
    service = await startTestService({ hubs });
    const admin = await service.token(randomUUID());
    await fetch(`${service.baseUrl}/api/v1/profiles`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ profile_id: "p_gateway", config: { interval_s: 60 } }),
    });
    api = connect(service, admin);
  });
  afterAll(async () => {
    api.close();
    await service.stop();
  });

  test("import → claim → re-claim → children → config → delete → 401 → claim again as a new device", async () => {
    const hardwareId = `HW-FLOW-${transport}`;
    const imported = ok(await api.importOne(hardwareId, "p_gateway", true))["results"][0];
    expect(imported).toEqual({ hardware_id: hardwareId, claim_key: expect.stringMatching(/^ck_/), expires_at: expect.any(String) });

    // First boot: the device gets its id, its credential and its hub.
    const first = ok(await api.claim(imported.claim_key, hardwareId));
    expect(first).toEqual({
      device_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      api_key: expect.stringMatching(/^sk_live_/),
      hub_url: "https://eu-1.hubs.test",
      hub_url_static_cert: "https://eu-1-static.hubs.test",
      mqtt_hub_url: "mqtts://eu-1.hubs.test:8883",
    });
    const deviceId = first["device_id"];
    expect(ok(await api.config(deviceId, first["api_key"]))).toMatchObject({ device_id: deviceId, config: { interval_s: 60 } });

    // A reboot claims again: the same device with a fresh credential; the old one stops working.
    const again = ok(await api.claim(imported.claim_key, hardwareId));
    expect(again["device_id"]).toBe(deviceId);
    expect(again["api_key"]).not.toBe(first["api_key"]);
    expect(await api.config(deviceId, first["api_key"])).toEqual(NOT_AUTHORIZED);
    expect(ok(await api.config(deviceId, again["api_key"]))).toMatchObject({ config: { interval_s: 60 } });

    // Imported as a gateway, it registers the devices behind it, with its current key only.
    expect(ok(await api.getDevice(deviceId))).toMatchObject({ device_id: deviceId, hardware_id: hardwareId, is_gateway: true });
    expect(await api.registerChildren(deviceId, first["api_key"], [`${hardwareId}-C1`])).toEqual(NOT_AUTHORIZED);
    const children = ok(await api.registerChildren(deviceId, again["api_key"], [`${hardwareId}-C1`, `${hardwareId}-C2`]))["results"];
    expect(children).toEqual([
      { hardware_id: `${hardwareId}-C1`, device_id: expect.any(String) },
      { hardware_id: `${hardwareId}-C2`, device_id: expect.any(String) },
    ]);
    expect(ok(await api.getDevice(children[0].device_id))).toMatchObject({ gateway_id: deviceId, tenant_id: expect.any(String) });

    // Deleted from the cloud: every call of the device is 401 "Not authorized" at once; its children went with it.
    ok(await api.deleteDevice(deviceId));
    expect(await api.config(deviceId, again["api_key"])).toEqual(NOT_AUTHORIZED);
    expect(await api.registerChildren(deviceId, again["api_key"], [`${hardwareId}-C3`])).toEqual(NOT_AUTHORIZED);
    for (const child of children) expect(await api.getDevice(child.device_id)).toMatchObject({ error: { code: "NOT_FOUND" } });

    // It claims again with its factory key and comes back as a new device.
    const reborn = ok(await api.claim(imported.claim_key, hardwareId));
    expect(reborn["device_id"]).not.toBe(deviceId);
    expect(reborn["api_key"]).toMatch(/^sk_live_/);
    expect(ok(await api.config(reborn["device_id"], reborn["api_key"]))).toMatchObject({ device_id: reborn["device_id"], config: { interval_s: 60 } });
    expect(await api.config(deviceId, reborn["api_key"])).toEqual(NOT_AUTHORIZED);
  });

  test("a device imported without is_gateway may not register children", async () => {
    const hardwareId = `HW-FLOW-PLAIN-${transport}`;
    const claimed = ok(await api.claim(ok(await api.importOne(hardwareId, ""))["results"][0]["claim_key"], hardwareId));
    expect(await api.registerChildren(claimed["device_id"], claimed["api_key"], [`${hardwareId}-C1`])).toEqual({
      error: { code: "PERMISSION_DENIED", message: "the device is not a gateway" },
    });
  });
});
