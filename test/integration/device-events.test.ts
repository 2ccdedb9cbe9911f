import type { DescMessage } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import {
  DeviceCredentialRotatedEventSchema,
  DeviceDeletedEventSchema,
  DeviceRegisteredEventSchema,
  DeviceUpdatedEventSchema,
} from "../../gen/deviceregistry/v1/events_pb.js";
import { withEmptyLists } from "../../src/rest/empty-lists.js";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";
import { collectRecords, createTopic, type KafkaCollector, type ReceivedRecord } from "../support/kafka-collector.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const TOPIC = "device-management-events";
const EVENT_SCHEMAS: Record<string, DescMessage> = {
  "device.registered": DeviceRegisteredEventSchema,
  "device.updated": DeviceUpdatedEventSchema,
  "device.deleted": DeviceDeletedEventSchema,
  "device.credential_rotated": DeviceCredentialRotatedEventSchema,
};

describe("events of device management, consumed from a real Kafka broker", () => {
  let broker: KafkaBroker;
  let service: TestService;
  let consumer: KafkaCollector;
  let api: RestApi;
  const tenant = randomUUID();
  let admin: string;
  let operator: string;
  /** Every secret this test was given; none may appear in any record. */
  const secrets: string[] = [];

  const ofDevice = (deviceId: string, type: string) => (r: ReceivedRecord) => r.key === deviceId && r.headers["ce_type"] === type;
  /** The records of `type` about the device, once `count` have arrived (redeliveries of one ce_id count once). */
  async function eventsOf(deviceId: string, type: string, count = 1): Promise<{ record: ReceivedRecord; value: Json }[]> {
    const firsts = () => [...new Map(consumer.records.filter(ofDevice(deviceId, type)).map((r) => [r.headers["ce_id"], r])).values()];
    await consumer.waitFor(() => firsts().length >= count);
    // Compared with REST bodies, which write out the empty lists that events (proto3 JSON) omit.
    return firsts().map((record) => ({ record, value: withEmptyLists(EVENT_SCHEMAS[type]!, JSON.parse(record.value), true) as Json }));
  }
  async function register(device: Json): Promise<Json> {
    const registered = await api.register(admin, device);
    secrets.push(registered["api_key"]);
    return registered;
  }
  /** Waits for a fresh device's registration event: everything committed before it has been published. */
  async function sentinel(): Promise<void> {
    const { device_id } = await register({ name: "sentinel", hardware_id: `HW-SENTINEL-${randomUUID()}` });
    await eventsOf(device_id, "device.registered");
  }

  beforeAll(async () => {
    broker = await startKafka();
    await createTopic(broker.brokers, TOPIC);
    consumer = await collectRecords(broker.brokers, TOPIC);
    service = await startTestService({ kafka: { brokers: broker.brokers, topic: TOPIC } });
    api = createRestApi(service.baseUrl);
    admin = await service.token(tenant);
    operator = await service.keys.token({ tenant_id: tenant, role: "member", permissions: ["devices"], sub: "ops-bob" });
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await service?.stop();
    await broker?.destroy();
  }, 60_000);

  test("UpdateDevice publishes device.updated with the new and previous device, the mask and the caller's sub", async () => {
    const registered = await register({ name: "before", hardware_id: "HW-EV-UPDATE", tags: { region: "eu" }, anchor_mode: "ANCHOR_MODE_MERKLE_BATCH" });
    const id = registered["device_id"] as string;
    const reply = await api.call("PATCH", `/api/v1/devices/${id}?update_mask=name,tags,anchor_mode`, operator, {
      name: "after",
      tags: { region: "us" },
      anchor_mode: "ANCHOR_MODE_PER_EVENT",
      firmware: "not in the mask",
    });
    expect(reply.status).toBe(200);

    const [event, ...more] = await eventsOf(id, "device.updated");
    expect(more).toHaveLength(0);
    const row = (await service.db.pool.query("SELECT event_id::text, occurred_at FROM outbox WHERE subject = $1 AND event_type = 'device.updated'", [id]))
      .rows[0];
    expect(event!.record.headers).toEqual({
      ce_specversion: "1.0",
      ce_id: row.event_id,
      ce_source: `/device-registry/tenants/${tenant}`,
      ce_type: "device.updated",
      ce_time: row.occurred_at.toISOString(),
      ce_subject: id,
      ce_tenantid: tenant,
      "content-type": "application/json",
    });
    expect(event!.record.key).toBe(id);
    const { api_key: _key, ...before } = registered;
    expect(event!.value).toEqual({
      device: reply.body,
      previous: before,
      update_mask: "name,tags,anchorMode",
      actor: "ops-bob",
    });
    expect(event!.value["device"]).not.toHaveProperty("firmware");
  });

  test("a refused or conflicting update publishes nothing", async () => {
    const registered = await register({ name: "stable", hardware_id: "HW-EV-NOCHANGE" });
    const id = registered["device_id"] as string;
    const path = `/api/v1/devices/${id}`;
    expect((await api.call("PATCH", `${path}?update_mask=name&etag=${encodeURIComponent('"7"')}`, admin, { name: "x" })).status).toBe(409);
    expect((await api.call("PATCH", `${path}?update_mask=hardware_id`, admin, { hardware_id: "HW-X" })).status).toBe(400);
    expect((await api.call("PATCH", `${path}?update_mask=name`, admin, { name: "" })).status).toBe(400);
    expect((await api.call("PATCH", `${path}?update_mask=name`, await service.token(tenant, "member"), { name: "x" })).status).toBe(403);
    expect((await api.call("DELETE", path, await service.token(randomUUID()))).status).toBe(404);
    expect((await api.call("POST", `${path}:rotateCredential`, await service.token(tenant, "service"), {})).status).toBe(403);
    await sentinel();
    expect(consumer.records.filter((r) => r.key === id).map((r) => r.headers["ce_type"])).toEqual(["device.registered"]);
  });

  test("deleting a gateway publishes device.deleted for it and for every device below it", async () => {
    const gw = await register({ name: "gw", hardware_id: "HW-EV-GW", is_gateway: true });
    const child = await register({ name: "child", hardware_id: "HW-EV-CHILD", gateway_id: gw["device_id"] });
    const sub = await register({ name: "sub", hardware_id: "HW-EV-SUB", is_gateway: true, gateway_id: gw["device_id"] });
    const grandchild = await register({ name: "grandchild", hardware_id: "HW-EV-GRAND", gateway_id: sub["device_id"] });
    expect((await api.call("DELETE", `/api/v1/devices/${gw["device_id"]}`, operator)).status).toBe(200);

    const [gwEvent] = await eventsOf(gw["device_id"], "device.deleted");
    expect(gwEvent!.value).toEqual({
      device: expect.objectContaining({ device_id: gw["device_id"], hardware_id: "HW-EV-GW", is_gateway: true }),
      actor: "ops-bob",
    });
    expect(gwEvent!.record.headers).toMatchObject({ ce_type: "device.deleted", ce_subject: gw["device_id"], ce_tenantid: tenant });
    for (const below of [child, sub, grandchild]) {
      const [event, ...more] = await eventsOf(below["device_id"], "device.deleted");
      expect(more).toHaveLength(0);
      expect(event!.value).toEqual({
        device: expect.objectContaining({ device_id: below["device_id"], hardware_id: below["hardware_id"] }),
        actor: "ops-bob",
        deleted_with_gateway_id: gw["device_id"],
      });
    }
  });

  test("RotateDeviceCredential publishes device.credential_rotated, without the key", async () => {
    const registered = await register({ name: "rotating", hardware_id: "HW-EV-ROTATE" });
    const id = registered["device_id"] as string;
    const rotated = await api.call("POST", `/api/v1/devices/${id}:rotateCredential`, operator, {});
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body["api_key"]);

    const [event] = await eventsOf(id, "device.credential_rotated");
    const { api_key: _key, ...device } = registered;
    expect(event!.value).toEqual({ device, actor: "ops-bob", credential_type: "CREDENTIAL_TYPE_API_KEY" });
    expect(event!.record.headers).toMatchObject({ ce_type: "device.credential_rotated", ce_subject: id });
  });

  test("each device's events arrive in the order of its changes", async () => {
    const registered = await register({ name: "v1", hardware_id: "HW-EV-ORDER" });
    const id = registered["device_id"] as string;
    for (let i = 2; i <= 4; i++) expect((await api.call("PATCH", `/api/v1/devices/${id}?update_mask=name`, admin, { name: `v${i}` })).status).toBe(200);
    const rotated = await api.call("POST", `/api/v1/devices/${id}:rotateCredential`, admin, {});
    secrets.push(rotated.body["api_key"]);
    expect((await api.call("DELETE", `/api/v1/devices/${id}`, admin)).status).toBe(200);
    await eventsOf(id, "device.deleted");
    const sequence = consumer.records
      .filter((r) => r.key === id)
      .map((r) => {
        const value = JSON.parse(r.value) as Json;
        return `${r.headers["ce_type"]} ${value["device"]["name"]}`;
      });
    expect([...new Set(sequence)]).toEqual([
      "device.registered v1",
      "device.updated v2",
      "device.updated v3",
      "device.updated v4",
      "device.credential_rotated v4",
      "device.deleted v4",
    ]);
  });

  test("no record carries a secret", async () => {
    await sentinel();
    expect(secrets.length).toBeGreaterThanOrEqual(12);
    expect(consumer.records.length).toBeGreaterThanOrEqual(secrets.length);
    for (const record of consumer.records) {
      const text = `${record.value}\n${JSON.stringify(record.headers)}`;
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
      // No field that could hold one, nor anything shaped like an api_key or claim key.
      expect(text).not.toMatch(/"(api_?key|claim_?key|private_?key|secret\w*)"\s*:/i);
      expect(text).not.toMatch(/sk_live_|"ck_/);
    }
  });
});
