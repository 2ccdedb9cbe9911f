import { randomUUID } from "node:crypto";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";
import {
  collectRecords,
  createTopic,
  expectOutboxOrderPerDevice,
  outboxIds,
  waitUntil,
  type KafkaCollector,
  type ReceivedRecord,
} from "../support/kafka-collector.js";
import { startServiceProcess, type ServiceProcess } from "../support/service-process.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { createTestKeys, type TestKeys } from "../support/test-keys.js";

/** Registers devices through `baseUrl()` until `stop` resolves; returns each answer's hardware_id and device_id. */
async function loadUntil(baseUrl: () => string, token: string, prefix: string, stop: Promise<unknown>, concurrency = 16) {
  const registered: { hardwareId: string; deviceId: string }[] = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stopped) {
        const hardwareId = `${prefix}-${n++}`;
        try {
          const res = await fetch(`${baseUrl()}/api/v1/devices`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ name: hardwareId, hardware_id: hardwareId }),
          });
          if (res.status === 200) registered.push({ hardwareId, deviceId: ((await res.json()) as { device_id: string }).device_id });
        } catch {
          // The process was killed mid-request: whether it committed is decided by the database.
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }),
  );
  return registered;
}

const deviceIdsIn = (records: readonly ReceivedRecord[]) => new Set(records.map((r) => r.key));

describe("events across service processes", () => {
  let broker: KafkaBroker;
  let db: TestDatabase;
  let keys: TestKeys;
  let token: string;
  let env: Record<string, string>;
  let consumer: KafkaCollector;
  const topic = `events-${randomUUID().slice(0, 8)}`;
  const services: ServiceProcess[] = [];

  async function start(): Promise<ServiceProcess> {
    const service = await startServiceProcess(env);
    services.push(service);
    return service;
  }

  async function committedDeviceIds(prefix: string): Promise<Set<string>> {
    const rows = await db.pool.query("SELECT device_id::text FROM devices WHERE hardware_id LIKE $1", [`${prefix}-%`]);
    return new Set(rows.rows.map((r) => r.device_id));
  }

  /** Resolves once `n` devices of `prefix` are committed: the load ran long enough, however loaded the machine. */
  async function committedAtLeast(prefix: string, n: number): Promise<void> {
    while ((await committedDeviceIds(prefix)).size < n) await new Promise((r) => setTimeout(r, 50));
  }

  beforeAll(async () => {
    broker = await startKafka();
    db = await createTestDatabase();
    keys = await createTestKeys();
    token = await keys.token({ tenant_id: randomUUID(), role: "tenant_admin" });
    env = { DATABASE_URL: db.url, KAFKA_BROKERS: broker.brokers.join(","), KAFKA_TOPIC: topic, AUTH_JWKS: keys.jwksPath, KAFKA_TOPIC_PARTITIONS: "3" };
    await createTopic(broker.brokers, topic);
    consumer = await collectRecords(broker.brokers, topic);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill("SIGKILL")));
    await consumer?.stop();
    await db?.drop();
    await broker?.destroy();
  }, 60_000);

  test("a process killed with SIGKILL mid-load loses no committed event once restarted", async () => {
    let service = await start();
    const kill = committedAtLeast("HW-KILL", 60).then(() => service.kill("SIGKILL"));
    await loadUntil(() => service.baseUrl, token, "HW-KILL", kill);
    const committed = await committedDeviceIds("HW-KILL");
    expect(committed.size).toBeGreaterThan(50);

    service = await start();
    await consumer.waitFor((records) => [...committed].every((id) => deviceIdsIn(records).has(id)), 60_000);
    const published = deviceIdsIn(consumer.records.filter((r) => r.value.includes('"HW-KILL-')));
    expect(published).toEqual(committed);
    await service.kill();
  }, 120_000);

  test("two processes relaying at once: every event arrives, each device's in order, duplicates share a ce_id", async () => {
    const [a, b] = [await start(), await start()];
    const stop = Promise.all([committedAtLeast("HW-TWO-A", 60), committedAtLeast("HW-TWO-B", 60)]);
    const loads = await Promise.all([loadUntil(() => a.baseUrl, token, "HW-TWO-A", stop, 8), loadUntil(() => b.baseUrl, token, "HW-TWO-B", stop, 8)]);
    const registered = loads.flat();
    expect(registered.length).toBeGreaterThan(100);
    const expected = new Set(registered.map((r) => r.deviceId));
    await consumer.waitFor((records) => [...expected].every((id) => deviceIdsIn(records).has(id)), 60_000);

    const mine = consumer.records.filter((r) => expected.has(r.key));
    const byCeId = new Map<string, string>();
    for (const r of mine) {
      const event = JSON.parse(r.value);
      const previous = byCeId.get(r.headers["ce_id"]!);
      if (previous !== undefined) expect(r.value).toBe(previous);
      byCeId.set(r.headers["ce_id"]!, r.value);
      expect(r.key).toBe(event.device.device_id);
    }
    expect(new Set(mine.map((r) => r.key))).toEqual(expected);
    expectOutboxOrderPerDevice(consumer.records, await outboxIds(db.pool));
    const active = [a, b].filter((s) => s.logs.some((l) => l.includes('"outbox relay active"')));
    expect(active.length).toBeGreaterThanOrEqual(1);
    await Promise.all([a.kill(), b.kill()]);
  }, 120_000);

  test("a service started while Kafka is down keeps registering and publishes once Kafka returns", async () => {
    await broker.stop();
    const service = await start();
    const hardwareId = `HW-LATE-${randomUUID().slice(0, 8)}`;
    const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "late", hardware_id: hardwareId }),
    });
    expect(res.status).toBe(200);
    const deviceId = ((await res.json()) as { device_id: string }).device_id;
    await waitUntil(() => service.logs.some((l) => l.includes("outbox relay failed; retrying")), 30_000);
    await broker.start();
    await consumer.waitFor((records) => records.some((r) => r.key === deviceId), 60_000);
    await service.kill();
  }, 120_000);
});
