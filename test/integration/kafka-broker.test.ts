/**
 * A real Apache Kafka 4.x broker (test/kafka/broker.ts) driven by kafkajs 2.2.4:
 * protocol-version compatibility, idempotent produce with keys + headers,
 * consumer groups, and stop/start (and crash/start) on the same port and data.
 */
import { createRequire } from "node:module";
import kafkajs from "kafkajs";
import type { Consumer, IHeaders, Kafka as KafkaClient, KafkaMessage } from "kafkajs";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";

const { Kafka, Partitioners, logLevel } = kafkajs;
const require = createRequire(import.meta.url);

const TOPIC = "device-events";
const KEYS = ["dev-a", "dev-b", "dev-c", "dev-d", "dev-e", "dev-f"];
const ROUNDS = 5;

interface Received {
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

let broker: KafkaBroker;
let kafka: KafkaClient;
const brokerLog: string[] = [];

function client(retries?: number): KafkaClient {
  return new Kafka({
    clientId: "kafka-broker-test",
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    ...(retries === undefined ? {} : { retry: { retries }, connectionTimeout: 1000 }),
  });
}

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(",") : value.toString();
  }
  return out;
}

function toReceived(partition: number, message: KafkaMessage): Received {
  return {
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? "",
    value: message.value?.toString() ?? "",
    headers: headerStrings(message.headers),
  };
}

/** Messages for round `round`: every key gets one record, value/headers carry (key, round). */
function roundMessages(round: number) {
  return KEYS.map((key) => ({
    key,
    value: JSON.stringify({ key, seq: round }),
    headers: { "x-seq": String(round), "x-device": key, "content-type": "application/json" },
  }));
}

async function produceRounds(from: number, to: number): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let round = from; round < to; round++) {
      const results = await producer.send({ topic: TOPIC, acks: -1, messages: roundMessages(round) });
      for (const result of results) expect(result.errorCode).toBe(0);
    }
  } finally {
    await producer.disconnect();
  }
}

/** Runs a consumer in `groupId` until `count` records arrived; returns them in arrival order. */
async function consume(groupId: string, count: number, fromBeginning = true): Promise<Received[]> {
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`group ${groupId}: got ${received.length}/${count} records in 30 s`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            received.push(toReceived(partition, message));
            if (received.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect(); // commits the processed offsets
  }
  return received;
}

/** Asserts keys/values/headers and that each key's records arrive in order, from a single partition. */
function expectRounds(records: Received[], from: number, to: number): void {
  expect(records).toHaveLength(KEYS.length * (to - from));
  const byKey = new Map<string, Received[]>();
  for (const record of records) {
    const parsed = JSON.parse(record.value) as { key: string; seq: number };
    expect(parsed.key).toBe(record.key);
    expect(record.headers).toEqual({
      "x-seq": String(parsed.seq),
      "x-device": record.key,
      "content-type": "application/json",
    });
    byKey.set(record.key, [...(byKey.get(record.key) ?? []), record]);
  }
  expect([...byKey.keys()].sort()).toEqual([...KEYS].sort());
  for (const [, list] of byKey) {
    expect(new Set(list.map((r) => r.partition)).size).toBe(1);
    expect(list.map((r) => (JSON.parse(r.value) as { seq: number }).seq)).toEqual(Array.from({ length: to - from }, (_, i) => from + i));
  }
}

beforeAll(async () => {
  const started = Date.now();
  broker = await startKafka({ log: (line) => brokerLog.push(`${Date.now() - started}ms ${line}`) });
  kafka = client();
}, 300_000); // the first run may download the jars with Maven

afterAll(async () => {
  await broker?.destroy();
  if (process.env["KAFKA_TEST_VERBOSE"]) console.log(brokerLog.join("\n"));
}, 60_000);

describe(`Apache Kafka broker (KRaft) from Maven Central with kafkajs`, () => {
  test("kafkajs 2.2.4 has a common protocol version with the broker for every API it implements", async () => {
    // kafkajs internals (no typings): its request definitions and a raw broker connection.
    const { requests } = require("kafkajs/src/protocol/requests") as { requests: Record<string, { versions: string[] }> };
    const apiKeys = require("kafkajs/src/protocol/requests/apiKeys") as Record<string, number>;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([{ nodeId: 1, host: "127.0.0.1", port: broker.port }]);
      expect(cluster.clusterId).toBe(broker.clusterId);
    } finally {
      await admin.disconnect();
    }
    const Broker = require("kafkajs/src/broker");
    const ConnectionPool = require("kafkajs/src/network/connectionPool");
    const socketFactory = require("kafkajs/src/network/socketFactory");
    const { createLogger } = require("kafkajs/src/loggers");
    const logger = createLogger({ level: logLevel.NOTHING, logCreator: () => () => {} });
    const raw = new Broker({
      connectionPool: new ConnectionPool({
        host: "127.0.0.1",
        port: broker.port,
        logger,
        socketFactory: socketFactory(),
        clientId: "api-versions-check",
        requestTimeout: 10_000,
        connectionTimeout: 5_000,
      }),
      logger,
    });
    await raw.connect();
    try {
      const brokerVersions = raw.versions as Record<number, { minVersion: number; maxVersion: number }>;
      // APIs this service and its tests use: the broker must offer each at a version kafkajs speaks.
      const required = [
        "Produce",
        "Fetch",
        "ListOffsets",
        "Metadata",
        "OffsetCommit",
        "OffsetFetch",
        "GroupCoordinator",
        "JoinGroup",
        "Heartbeat",
        "LeaveGroup",
        "SyncGroup",
        "ApiVersions",
        "CreateTopics",
        "DeleteTopics",
        "InitProducerId",
      ];
      const unusable: string[] = [];
      let checked = 0;
      for (const [name, key] of Object.entries(apiKeys)) {
        const ours = (requests[name]?.versions ?? []).map(Number);
        if (ours.length === 0) continue; // not implemented by kafkajs
        checked++;
        const theirs = brokerVersions[key];
        const common = theirs ? ours.filter((v) => v >= theirs.minVersion && v <= theirs.maxVersion) : [];
        // an API the broker does not offer at all is only a problem if we need it
        if (common.length === 0 && (theirs || required.includes(name))) {
          unusable.push(`${name}: kafkajs ${ours.join(",")}, broker ${theirs ? `${theirs.minVersion}..${theirs.maxVersion}` : "absent"}`);
        }
      }
      expect(unusable).toEqual([]);
      expect(checked).toBeGreaterThan(20);
    } finally {
      await raw.disconnect();
    }
  });

  test("admin creates a 3-partition topic; idempotent producer + consumer group round-trip keys, values, headers, order", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await expect(admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).resolves.toBe(true);
      const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
      expect(metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      // auto.create.topics.enable=false: asking for an unknown topic must not create it
      const noRetry = client(0).admin();
      await noRetry.connect();
      await expect(noRetry.fetchTopicMetadata({ topics: ["does-not-exist"] })).rejects.toThrow(/does not host this topic-partition/);
      await noRetry.disconnect();
      expect(await admin.listTopics()).not.toContain("does-not-exist");
    } finally {
      await admin.disconnect();
    }

    await produceRounds(0, ROUNDS);
    const records = await consume("registry-a", KEYS.length * ROUNDS);
    expectRounds(records, 0, ROUNDS);
    // the 6 keys are spread over more than one of the 3 partitions
    expect(new Set(records.map((r) => r.partition)).size).toBeGreaterThan(1);
  }, 60_000);

  test("stop + start on the same port and data dir: data and committed offsets survive, new producer works", async () => {
    const bootstrap = broker.brokers[0];
    await broker.stop();
    expect(broker.running).toBe(false);
    await expect(client(0).admin().connect()).rejects.toThrow();

    await broker.start();
    expect(broker.running).toBe(true);
    expect(broker.brokers[0]).toBe(bootstrap);
    kafka = client();

    await produceRounds(ROUNDS, ROUNDS + 2);
    // the old group resumes after its committed offsets: only the new rounds
    expectRounds(await consume("registry-a", KEYS.length * 2), ROUNDS, ROUNDS + 2);
    // a new group reads everything, old and new
    expectRounds(await consume("registry-b", KEYS.length * (ROUNDS + 2)), 0, ROUNDS + 2);
  }, 90_000);

  test("crash (SIGKILL) + start: acknowledged records are still there", async () => {
    await broker.kill();
    await broker.start();
    kafka = client();
    await produceRounds(ROUNDS + 2, ROUNDS + 3);
    expectRounds(await consume("registry-c", KEYS.length * (ROUNDS + 3)), 0, ROUNDS + 3);
  }, 90_000);
});
