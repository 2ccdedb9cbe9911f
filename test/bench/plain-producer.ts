import kafkajs from "kafkajs";
import type { KafkaRecord } from "../../src/events/cloud-event-record.js";

const { Kafka, Partitioners, logLevel } = kafkajs;

/** Records per send() and sends awaiting their acks: the fastest of those tried on this machine. */
const CHUNK = 2_000;
const WINDOW = 4;

/**
 * The relay's floor: a plain kafkajs producer, idempotent with acks=-1 like the relay's, sending
 * `records` to `topic` as fast as it goes, with no database in the way. It keeps WINDOW sends
 * queued so the next request is ready when an ack arrives (kafkajs sends an idempotent producer's
 * requests to a broker one at a time). Resolves with the ms from connect to the last ack.
 */
export async function produceAll(brokers: readonly string[], topic: string, records: readonly KafkaRecord[]): Promise<number> {
  const kafka = new Kafka({ clientId: "events-bench-plain", brokers: [...brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  const started = performance.now();
  await producer.connect();
  try {
    let next = 0;
    const lane = async () => {
      while (next < records.length) {
        const chunk = records.slice(next, next + CHUNK);
        next += chunk.length;
        await producer.send({ topic, acks: -1, messages: chunk.map((r) => ({ ...r })) });
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
    return performance.now() - started;
  } finally {
    await producer.disconnect();
  }
}
