import kafkajs, { type Consumer } from "kafkajs";
import { randomUUID } from "node:crypto";

const { Kafka, logLevel } = kafkajs;

/** A kafkajs consumer (own group, from the beginning) noting when each record key was first received. */
export interface TimedConsumer {
  /** performance.now() at the first receipt of each key. */
  readonly firstSeen: ReadonlyMap<string, number>;
  /** The Kafka timestamp (the producer's clock at send, epoch ms) of the first record of each key. */
  readonly sentAt: ReadonlyMap<string, number>;
  /** Records received, duplicates included. */
  readonly received: number;
  /** Records whose key had been received before (redeliveries, or several events of one device). */
  readonly duplicates: number;
  /** Resolves with how many of `keys` are still unseen once all are seen or `timeoutMs` has passed. */
  waitForKeys(keys: readonly string[], timeoutMs: number, aborted?: () => boolean): Promise<number>;
  stop(): Promise<void>;
}

/** Subscribes to `topic` and resolves once the consumer has joined its group (so no record is missed or delayed by the join). */
export async function startTimedConsumer(brokers: readonly string[], topic: string, joinTimeoutMs = 60_000): Promise<TimedConsumer> {
  const kafka = new Kafka({ clientId: "events-bench", brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer: Consumer = kafka.consumer({
    groupId: `events-bench-${randomUUID()}`,
    allowAutoTopicCreation: false,
    // The broker answers a fetch as soon as one byte is there; maxWait only bounds an idle poll.
    maxWaitTimeInMs: 500,
    retry: { retries: 30 },
  });
  const firstSeen = new Map<string, number>();
  const sentAt = new Map<string, number>();
  let received = 0;
  let duplicates = 0;
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Kafka consumer did not join its group within ${joinTimeoutMs} ms`)), joinTimeoutMs);
    consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  joined.catch(() => undefined);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      // One clock reading per fetched batch: every record in it arrived in the same response.
      const now = performance.now();
      for (const message of batch.messages) {
        received++;
        const key = message.key?.toString("utf8") ?? "";
        if (firstSeen.has(key)) duplicates++;
        else {
          firstSeen.set(key, now);
          sentAt.set(key, Number(message.timestamp));
        }
      }
    },
  });
  await joined.catch(async (err: unknown) => {
    await consumer.disconnect().catch(() => undefined);
    throw err;
  });
  return {
    firstSeen,
    sentAt,
    get received() {
      return received;
    },
    get duplicates() {
      return duplicates;
    },
    waitForKeys: async (keys, timeoutMs, aborted = () => false) => {
      const deadline = performance.now() + timeoutMs;
      let pending = keys.filter((k) => !firstSeen.has(k));
      while (pending.length > 0 && performance.now() < deadline && !aborted()) {
        await new Promise((r) => setTimeout(r, 20));
        pending = pending.filter((k) => !firstSeen.has(k));
      }
      return pending.length;
    },
    // Bounded: with the broker gone, kafkajs can wait for it indefinitely.
    stop: () => Promise.race([consumer.disconnect(), new Promise<void>((r) => setTimeout(r, 5_000).unref())]),
  };
}

/** Creates `topic` (broker-default replication) unless it exists. */
export async function createTopic(brokers: readonly string[], topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: "events-bench-admin", brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics; best effort, for a shared (external) broker. */
export async function deleteTopics(brokers: readonly string[], topics: readonly string[]): Promise<void> {
  const admin = new Kafka({ clientId: "events-bench-admin", brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...topics], timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
