import kafkajs, { type Producer } from "kafkajs";
import type { Logger } from "pino";
import { withTimeout } from "../with-timeout.js";
import type { KafkaRecord } from "./cloud-event-record.js";
import "./kafkajs-request-queue.js";

const { Kafka, Partitioners, logLevel } = kafkajs;

/** Where and how events are published. */
export interface KafkaPublisherOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  /** -1 takes the broker's default.replication.factor. */
  readonly replicationFactor: number;
  /** Longest a connect or send may take before it counts as failed. */
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/** Kafka did not take the records; the caller retries later. */
class KafkaUnavailableError extends Error {
  override name = "KafkaUnavailableError";
}

/**
 * An idempotent producer (acks=-1, one request in flight) for one topic. kafkajs gives up for
 * good once connect() fails and an idempotent send() can wait forever, so every call is bounded by
 * a timeout and any failure discards the producer; the next call builds a new one.
 *
 * Settings, measured on the events bench: no compression (gzip cost as much CPU as it saved the
 * broker on a shared machine, for no gain in rate); one request in flight, because kafkajs 2.2.4
 * sends an idempotent producer's requests to a broker one at a time anyway (a lock around each
 * produce) and, unlike the Java client, does not renumber later batches when one fails, so two
 * send() calls at once could reorder a device's records on a retry.
 */
export class KafkaPublisher {
  private readonly kafka: InstanceType<typeof Kafka>;
  private producer: Producer | undefined;
  private topicReady = false;
  private readonly timeoutMs: number;

  constructor(private readonly options: KafkaPublisherOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const log = options.logger.child({ component: "kafkajs" });
    this.kafka = new Kafka({
      clientId: "device-registry",
      brokers: [...options.brokers],
      connectionTimeout: 3_000,
      requestTimeout: this.timeoutMs,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
      // kafkajs logs every retry as an error; the relay reports outages itself, once per attempt.
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, log: entry }) =>
          log.debug({ namespace, detail: entry.message }, "kafkajs"),
    });
  }

  /** Sends the records in order; they are durable on all in-sync replicas when it resolves. */
  async send(records: readonly KafkaRecord[]): Promise<void> {
    try {
      const producer = await this.connectedProducer();
      await this.bounded(producer.send({ topic: this.options.topic, acks: -1, timeout: this.timeoutMs, messages: records.map((r) => ({ ...r })) }), "send");
    } catch (err) {
      await this.discardProducer();
      throw err instanceof KafkaUnavailableError ? err : new KafkaUnavailableError(`send failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.discardProducer();
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.topicReady) {
      await this.ensureTopic();
      this.topicReady = true;
    }
    if (this.producer) return this.producer;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.connectBounded(producer, "connect");
    this.producer = producer;
    return producer;
  }

  /** Creates the topic when missing; produce never auto-creates it. */
  private async ensureTopic(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await this.connectBounded(admin, "admin connect");
      const { topic, partitions, replicationFactor } = this.options;
      const created = await this.bounded(
        admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor }], waitForLeaders: true }),
        "create topic",
      );
      if (created) this.options.logger.info({ topic, partitions, replicationFactor }, "created Kafka topic");
    } finally {
      void admin.disconnect().catch(() => undefined);
    }
  }

  private async discardProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await producer.disconnect().catch(() => undefined);
  }

  /**
   * Connects within the timeout, or disconnects and fails. kafkajs goes on retrying a connect that
   * timed out and may succeed once the broker is back: such a late connection is closed too, or it
   * would stay open with no one to use or close it.
   */
  private async connectBounded(client: Pick<Producer, "connect" | "disconnect">, what: string): Promise<void> {
    const connecting = client.connect();
    try {
      await this.bounded(connecting, what);
    } catch (err) {
      const disconnect = () => client.disconnect().catch(() => undefined);
      void disconnect();
      void connecting.then(disconnect, () => undefined);
      throw err;
    }
  }

  private bounded<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.timeoutMs, () => new KafkaUnavailableError(`${what} timed out after ${this.timeoutMs} ms`));
  }
}
