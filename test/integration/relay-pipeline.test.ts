import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { KafkaPublisher } from "../../src/events/kafka-publisher.js";
import type { KafkaRecord } from "../../src/events/cloud-event-record.js";
import { OutboxRelay } from "../../src/events/outbox-relay.js";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";
import { collectRecords, createTopic, expectOutboxOrderPerDevice, outboxIds, type KafkaCollector } from "../support/kafka-collector.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

// The relay sends one batch while it marks the previous one and reads the next. These tests make
// sends fail at chosen points of that pipeline, on a real PostgreSQL and a real Kafka broker, and
// check what must survive any failure: every row reaches Kafka, each device's events first arrive
// in outbox order, a row is marked only once Kafka acknowledged it, and only one batch is sent at once.

/** What the sink does with one call: pass it on, or fail before or after Kafka took the records. */
type Fault = "lose before Kafka" | "lose the ack" | "drop the relay's connection" | undefined;

interface SinkCall {
  readonly eventIds: string[];
  readonly fault: Fault;
}

describe("pipelined outbox relay under failures", () => {
  let broker: KafkaBroker;
  let db: TestDatabase;
  let consumer: KafkaCollector;
  const topic = `pipeline-${randomUUID().slice(0, 8)}`;
  const tenant = randomUUID();
  const devices = Array.from({ length: 20 }, () => randomUUID());
  const logger = pino({ level: "silent" });

  beforeAll(async () => {
    broker = await startKafka();
    db = await createTestDatabase();
    await createTopic(broker.brokers, topic);
    consumer = await collectRecords(broker.brokers, topic);
  }, 120_000);

  afterAll(async () => {
    await consumer?.stop();
    await db?.drop();
    await broker?.destroy();
  }, 60_000);

  /** Writes `perDevice` events for each device, interleaved, in statements of `perStatement` rows. */
  async function writeEvents(perDevice: number, perStatement: number): Promise<void> {
    const rows = Array.from({ length: perDevice * devices.length }, (_, i) => ({ subject: devices[i % devices.length]!, seq: Math.floor(i / devices.length) }));
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      await db.pool.query(
        `INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at)
         SELECT gen_random_uuid(), 'device.updated', $1, subject, json_build_object('seq', seq), now()
         FROM unnest($2::text[], $3::int[]) AS r(subject, seq)`,
        [tenant, chunk.map((r) => r.subject), chunk.map((r) => r.seq)],
      );
    }
  }

  async function markedCount(eventIds: readonly string[]): Promise<number> {
    const result = await db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NOT NULL", [eventIds]);
    return result.rows[0].n;
  }

  test("failed sends and a lost connection mid-pipeline lose nothing, keep each device's order and never send two batches at once", async () => {
    const kafka = new KafkaPublisher({ brokers: broker.brokers, topic, partitions: 3, replicationFactor: 1, timeoutMs: 5_000, logger });
    const faults = new Map<number, Fault>([
      [3, "lose the ack"],
      [4, "lose before Kafka"],
      [7, "lose the ack"],
      [10, "drop the relay's connection"],
      [14, "lose before Kafka"],
    ]);
    const calls: SinkCall[] = [];
    const markedWhileSending: string[] = [];
    let sending = 0;
    let mostAtOnce = 0;
    const sink = {
      close: () => kafka.close(),
      async send(records: readonly KafkaRecord[]): Promise<void> {
        const fault = faults.get(calls.length);
        const eventIds = records.map((r) => r.headers["ce_id"]!);
        calls.push({ eventIds, fault });
        mostAtOnce = Math.max(mostAtOnce, ++sending);
        try {
          if (fault !== "lose before Kafka") await kafka.send(records);
          if (fault === "drop the relay's connection") {
            await db.pool.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'device-registry-relay' AND datname = current_database()",
            );
          }
          // Long enough for the relay's concurrent statement (mark the last batch, read the next) to finish.
          await new Promise((r) => setTimeout(r, 50));
          // No row may be marked before this send has returned.
          if ((await markedCount(eventIds)) > 0) markedWhileSending.push(...eventIds);
          if (fault === "lose before Kafka" || fault === "lose the ack") throw new Error(`sink fault: ${fault}`);
        } finally {
          sending--;
        }
      },
    };
    await writeEvents(10, 40);
    const relay = new OutboxRelay({ databaseUrl: db.url, sink, logger, batchSize: 25, pollIntervalMs: 100, backoffMinMs: 100, backoffMaxMs: 200 });
    relay.start();
    try {
      // More rows while the relay works through the first ones.
      await writeEvents(10, 7);
      const all = (await db.pool.query("SELECT event_id::text FROM outbox")).rows.map((r) => r.event_id as string);
      expect(all).toHaveLength(400);
      await consumer.waitFor((records) => {
        const received = new Set(records.map((r) => r.headers["ce_id"]));
        return all.every((id) => received.has(id));
      }, 60_000);
      const deadline = Date.now() + 10_000;
      while ((await markedCount(all)) < all.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await markedCount(all)).toBe(all.length);
    } finally {
      await relay.stop();
    }

    expect(calls.length).toBeGreaterThan(Math.max(...faults.keys()));
    expect(mostAtOnce).toBe(1);
    expect(markedWhileSending).toEqual([]);
    expectOutboxOrderPerDevice(consumer.records, await outboxIds(db.pool));
    const ids = await outboxIds(db.pool);
    for (const [i, call] of calls.entries()) {
      if ((call.fault !== "lose the ack" && call.fault !== "lose before Kafka") || i + 1 >= calls.length) continue;
      // After a failure the relay starts again from its oldest row not marked: never past the failed batch.
      expect(ids.get(calls[i + 1]!.eventIds[0]!)!).toBeLessThanOrEqual(ids.get(call.eventIds[0]!)!);
    }
    // A lost ack publishes the batch again: at-least-once, with the same ce_ids.
    const received = new Map<string, number>();
    for (const r of consumer.records) received.set(r.headers["ce_id"]!, (received.get(r.headers["ce_id"]!) ?? 0) + 1);
    for (const call of calls.filter((c) => c.fault === "lose the ack")) {
      expect(Math.min(...call.eventIds.map((id) => received.get(id) ?? 0))).toBeGreaterThanOrEqual(2);
    }
  }, 120_000);
});
