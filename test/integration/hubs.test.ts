import { randomUUID } from "node:crypto";
import { createRestApi, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const hubs = [
  {
    id: "eu-1",
    hubUrl: "https://eu-1.hubs.test",
    hubUrlStaticCert: "https://eu-1-static.hubs.test",
    mqttHubUrl: "mqtts://eu-1.hubs.test:8883",
    weight: 1,
    region: "eu",
  },
  {
    id: "us-1",
    hubUrl: "https://us-1.hubs.test",
    hubUrlStaticCert: "https://us-1-static.hubs.test",
    mqttHubUrl: "mqtts://us-1.hubs.test:8883",
    weight: 1,
    region: "us",
  },
];

describe("hub assignment", () => {
  let service: TestService;
  let token: string;
  let api: RestApi;

  const call = async (method: string, path: string, body?: unknown) => (await api.call(method, path, token, body)).body;

  beforeAll(async () => {
    service = await startTestService({ hubs });
    api = createRestApi(service.baseUrl);
    token = await service.token(randomUUID());
  });
  afterAll(() => service.stop());

  test("a new device gets a hub of its region, returned on registration and stored with it", async () => {
    for (const [region, hub] of [
      ["eu", hubs[0]!],
      ["us", hubs[1]!],
    ] as const) {
      const device = await call("POST", "/api/v1/devices", { name: region, hardware_id: `HW-HUB-${region}`, tags: { region } });
      expect(device).toMatchObject({ hub_id: hub.id, hub_url: hub.hubUrl, hub_url_static_cert: hub.hubUrlStaticCert, mqtt_hub_url: hub.mqttHubUrl });
      const stored = await call("GET", `/api/v1/devices/${device["device_id"]}`);
      expect(stored).toMatchObject({ hub_id: hub.id, hub_url: hub.hubUrl });
      const event = await service.db.pool.query("SELECT payload FROM outbox WHERE subject = $1", [device["device_id"]]);
      expect(event.rows[0].payload.device).toMatchObject({ hub_id: hub.id, mqtt_hub_url: hub.mqttHubUrl });
    }
  });

  test("devices without a matching region are spread over the whole pool", async () => {
    const assigned = new Set<unknown>();
    for (let i = 0; i < 40; i++) assigned.add((await call("POST", "/api/v1/devices", { name: "any", hardware_id: `HW-ANY-${i}` }))["hub_id"]);
    expect(assigned).toEqual(new Set(["eu-1", "us-1"]));
  });
});
