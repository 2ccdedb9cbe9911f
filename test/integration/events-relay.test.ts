import kafkajs from "kafkajs";
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { KafkaPublisher } from "../../src/events/kafka-publisher.js";
import { OutboxRelay } from "../../src/events/outbox-relay.js";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";
import { createTestDatabase } from "../support/test-database.js";
import { collectRecords, expectOutboxOrderPerDevice, outboxIds, type KafkaCollector, type ReceivedRecord } from "../support/kafka-collector.js";
import { startTestService, type TestService } from "../support/test-service.js";

const TOPIC = "device-events";

describe("outbox relay to a real Kafka broker", () => {
  let broker: KafkaBroker;
  let service: TestService;
  let consumer: KafkaCollector;
  let token: string;
  const tenant = randomUUID();

  async function register(hardwareId: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `device ${hardwareId}`, hardware_id: hardwareId }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const ofDevice = (deviceId: string) => (r: ReceivedRecord) => r.key === deviceId;

  beforeAll(async () => {
    broker = await startKafka();
    service = await startTestService({ kafka: { brokers: broker.brokers, topic: TOPIC } });
    token = await service.token(tenant);
    // The relay creates the topic; a first registration makes sure it exists before subscribing.
    const first = await register("HW-FIRST");
    expect(first.status).toBe(200);
    const admin = new kafkajs.Kafka({ brokers: broker.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    for (let i = 0; !(await admin.listTopics()).includes(TOPIC); i++) {
      if (i > 200) throw new Error("the relay did not create the topic");
      await new Promise((r) => setTimeout(r, 50));
    }
    await admin.disconnect();
    consumer = await collectRecords(broker.brokers, TOPIC);
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await service?.stop();
    await broker?.destroy();
  }, 60_000);

  test("the relay created the topic with the configured partitions", async () => {
    const admin = new kafkajs.Kafka({ brokers: broker.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
      expect(metadata.topics[0]?.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  test("a registration produces exactly one device.registered record with CloudEvents headers", async () => {
    const { body } = await register("HW-EVENT-1");
    const deviceId = body["device_id"] as string;
    await consumer.waitFor((records) => records.some(ofDevice(deviceId)));
    const [record, ...others] = consumer.records.filter(ofDevice(deviceId));
    expect(others).toHaveLength(0);
    const row = (await service.db.pool.query("SELECT event_id::text, occurred_at FROM outbox WHERE subject = $1", [deviceId])).rows[0];
    expect(record!.headers).toEqual({
      ce_specversion: "1.0",
      ce_id: row.event_id,
      ce_source: `/device-registry/tenants/${tenant}`,
      ce_type: "device.registered",
      ce_time: row.occurred_at.toISOString(),
      ce_subject: deviceId,
      ce_tenantid: tenant,
      "content-type": "application/json",
    });
    const event = JSON.parse(record!.value);
    expect(event).toMatchObject({
      device: { device_id: deviceId, tenant_id: tenant, hardware_id: "HW-EVENT-1", status: "registered", anchor_mode: "ANCHOR_MODE_MERKLE_BATCH" },
      actor: "alice",
      method: "REGISTRATION_METHOD_MANUAL",
    });
    expect(record!.value).not.toContain(body["api_key"] as string);
    expect(record!.value).not.toContain("api_key");
  });

  test("a rejected duplicate and a rolled-back transaction publish nothing", async () => {
    expect((await register("HW-EVENT-1")).status).toBe(409);
    const client = await service.db.pool.connect();
    const rolledBack = randomUUID();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at) VALUES ($1, 'device.registered', $2, 'rolled-back', '{}', now())`,
        [rolledBack, tenant],
      );
      await client.query("ROLLBACK");
    } finally {
      client.release();
    }
    // One relay publishes in outbox order, so once a later event arrives, anything before it has too.
    const { body } = await register("HW-SENTINEL");
    await consumer.waitFor((records) => records.some(ofDevice(body["device_id"] as string)));
    const hw1 = consumer.records.filter((r) => JSON.parse(r.value).device?.hardware_id === "HW-EVENT-1");
    expect(hw1).toHaveLength(1);
    expect(consumer.records.filter((r) => r.headers["ce_id"] === rolledBack || r.key === "rolled-back")).toHaveLength(0);
  });

  test("events committed while the broker is down all arrive after it returns, each device's in outbox order", async () => {
    await broker.stop();
    const hardwareIds = Array.from({ length: 2000 }, (_, i) => `HW-OUTAGE-${i}`);
    for (let i = 0; i < hardwareIds.length; i += 50) {
      const batch = await Promise.all(hardwareIds.slice(i, i + 50).map(register));
      expect(batch.every((r) => r.status === 200)).toBe(true);
    }
    const waiting = (await service.db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL")).rows[0].n;
    expect(waiting).toBeGreaterThanOrEqual(1900);
    await broker.start();

    const outage = (r: ReceivedRecord) => r.value.includes('"HW-OUTAGE-');
    await consumer.waitFor((records) => new Set(records.filter(outage).map((r) => r.headers["ce_id"])).size === 2000, 90_000);
    const received = consumer.records.filter(outage);
    const hardwareIdsReceived = new Set(received.map((r) => JSON.parse(r.value).device.hardware_id));
    expect(hardwareIdsReceived).toEqual(new Set(hardwareIds));
    // Redelivery is allowed (at-least-once) but must carry the same ce_id for the same device.
    for (const r of received) expect(r.key).toBe(JSON.parse(r.value).device.device_id);

    expectOutboxOrderPerDevice(consumer.records, await outboxIds(service.db.pool));
    const unpublished = (await service.db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL")).rows[0].n;
    expect(unpublished).toBe(0);
  }, 180_000);

  test("while the broker is down the relay keeps its backoff although new rows keep notifying it", async () => {
    // The other tests are done with the records; a consumer left running through the outage would
    // keep reconnecting after the suite ends.
    await consumer?.stop();
    await broker.stop();
    const db = await createTestDatabase();
    const attempts: { at: number; retryInMs: number }[] = [];
    const logger = pino(
      { level: "warn" },
      {
        write: (line: string) => {
          const entry = JSON.parse(line);
          if (entry.msg === "outbox relay failed; retrying") attempts.push({ at: Date.now(), retryInMs: entry.retryInMs });
        },
      },
    );
    const backoffMs = 2_000;
    const relay = new OutboxRelay({
      databaseUrl: db.url,
      sink: new KafkaPublisher({ brokers: broker.brokers, topic: TOPIC, partitions: 3, replicationFactor: 1, timeoutMs: 2_000, logger }),
      logger,
      pollIntervalMs: 200,
      backoffMinMs: backoffMs,
      backoffMaxMs: backoffMs,
    });
    try {
      relay.start();
      // Ten committed rows a second, each statement notifying the relay, for ten seconds.
      const windowEnd = Date.now() + 10_000;
      while (Date.now() < windowEnd) {
        await db.pool.query(
          `INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at) VALUES ($1, 'device.registered', $2, $3, '{}', now())`,
          [randomUUID(), tenant, randomUUID()],
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      const inWindow = attempts.filter((a) => a.at <= windowEnd);
      expect(inWindow.length).toBeGreaterThanOrEqual(2);
      // At most one attempt per backoff period (plus the first one): notifications did not wake it early.
      expect(inWindow.length).toBeLessThanOrEqual(Math.ceil(10_000 / backoffMs) + 1);
      for (let i = 1; i < attempts.length; i++) {
        expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(attempts[i - 1]!.retryInMs - 50);
      }
    } finally {
      await relay.stop();
      await db.drop();
      await broker.start();
    }
  }, 120_000);
});
