import kafkajs, { type Consumer } from "kafkajs";
import { randomUUID } from "node:crypto";
import type pg from "pg";

const { Kafka, logLevel } = kafkajs;

/** A record as a consumer received it. */
export interface ReceivedRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** A real Kafka consumer (own group, from the beginning) gathering every record of a topic. */
export interface KafkaCollector {
  readonly records: ReceivedRecord[];
  /** Resolves once `predicate` holds for the records received, or rejects after `timeoutMs`. */
  waitFor(predicate: (records: readonly ReceivedRecord[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Subscribes to `topic` (waiting for it to exist) and collects its records. */
export async function collectRecords(brokers: readonly string[], topic: string): Promise<KafkaCollector> {
  const kafka = new Kafka({ clientId: "test-collector", brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, allowAutoTopicCreation: false, retry: { retries: 30 } });
  const records: ReceivedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      records.push({ partition, offset: message.offset, key: String(message.key), value: String(message.value), headers });
    },
  });
  return {
    records,
    waitFor: (predicate, timeoutMs = 30_000) => waitUntil(() => predicate(records), timeoutMs),
    // Bounded: with the broker down, kafkajs can wait for it indefinitely.
    stop: () => Promise.race([consumer.disconnect(), new Promise<void>((r) => setTimeout(r, 5_000).unref())]),
  };
}

/** Creates `topic` with an admin client, so a consumer can subscribe before the service produces. */
export async function createTopic(brokers: readonly string[], topic: string, partitions = 3): Promise<void> {
  const admin = new Kafka({ clientId: "test-admin", brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Outbox id of every event, by ce_id (event_id). */
export async function outboxIds(pool: pg.Pool): Promise<Map<string, number>> {
  const rows = (await pool.query("SELECT event_id::text, id FROM outbox")).rows;
  return new Map(rows.map((r) => [r.event_id as string, Number(r.id)]));
}

/**
 * Asserts that each device's events were first received in outbox order (the order in which they
 * committed). Redeliveries may follow; only first receptions count.
 */
export function expectOutboxOrderPerDevice(records: readonly ReceivedRecord[], ids: ReadonlyMap<string, number>): void {
  const byDevice = new Map<string, number[]>();
  for (const r of records) {
    const id = ids.get(r.headers["ce_id"]!);
    if (id === undefined) continue;
    const seen = byDevice.get(r.key) ?? [];
    if (!seen.includes(id)) seen.push(id);
    byDevice.set(r.key, seen);
  }
  for (const [device, sequence] of byDevice) {
    expect({ device, sequence }).toEqual({ device, sequence: [...sequence].sort((a, b) => a - b) });
  }
}

/** Polls `condition` every 50 ms until it holds, or throws after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
