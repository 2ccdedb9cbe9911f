import pg from "pg";
import type { Logger } from "pino";
import type { RelayMetrics } from "../observability/metrics.js";
import { OutboxRepository, type OutboxRow } from "../db/outbox-repository.js";
import { toCloudEventRecord } from "./cloud-event-record.js";
import type { KafkaRecord } from "./cloud-event-record.js";

/** Publishes records in order, or throws. */
interface RecordSink {
  send(records: readonly KafkaRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Tuning of {@link OutboxRelay}; the defaults suit production. */
export interface OutboxRelayOptions {
  readonly databaseUrl: string;
  readonly sink: RecordSink;
  readonly logger: Logger;
  readonly metrics?: RelayMetrics;
  readonly batchSize?: number;
  /** Poll interval when no notification arrives (notifications are not durable). */
  readonly pollIntervalMs?: number;
  /** How often a standby relay tries to become the active one. */
  readonly standbyRetryMs?: number;
  /** Published rows older than this are deleted. */
  readonly retentionMs?: number;
  /** How often the backlog is reported and old rows cleaned up. */
  readonly housekeepingIntervalMs?: number;
  /** Backoff after a failure: doubles from min to max. */
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
}

/**
 * What a relay is doing: `active` publishes (its last attempt, if any, reached Kafka),
 * `unavailable` is active but Kafka refused its last batch, `standby` leaves it to another replica.
 */
export type RelayState = "active" | "unavailable" | "standby";

/** The relay's session and its pipeline, dropped together: another replica may take over meanwhile. */
interface RelayConnection {
  readonly client: pg.Client;
  readonly outbox: OutboxRepository;
  /** Read, to be sent next. */
  ready: OutboxRow[];
  /** Acknowledged by Kafka, to be marked published. */
  acked: OutboxRow[];
}

// Any constant works; it only has to be the same for every replica.
const RELAY_LOCK_KEY = 7_405_112_002;

/** The sink refused a batch: the database connection is fine and is kept. */
class SinkFailure extends Error {
  override name = "SinkFailure";
}

/**
 * Relays the outbox to Kafka. Exactly one relay is active across all replicas: the one whose
 * dedicated connection holds a session advisory lock. A single active relay reading rows in id
 * order keeps each device's events in order (a device's changes take its row lock before they
 * write their outbox row, so their ids follow their commit order); the others stand by and take
 * over when the holder's connection ends. Rows are marked published only after Kafka acknowledged
 * them, so a crash in between publishes them again: delivery is at-least-once, deduped by ce_id.
 *
 * It is pipelined: while Kafka takes one batch, one statement marks the batch Kafka acknowledged
 * before it and reads the next one (leaving out the batch being sent). Only one batch is ever
 * being sent, and after any failure everything read but not acknowledged is dropped and read
 * again in id order, so a batch never overtakes the one before it.
 */
export class OutboxRelay {
  private readonly o: Required<Omit<OutboxRelayOptions, "databaseUrl" | "sink" | "logger" | "metrics">>;
  /** The relay's own connection, and the outbox over it. */
  private connected: RelayConnection | undefined;
  private active = false;
  private sinkFailing = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  /** A notification arrived since the last sleep: the next poll sleep returns at once. */
  private notified = false;
  private running: Promise<void> | undefined;
  private lastHousekeeping = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.o = {
      batchSize: options.batchSize ?? 500,
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      standbyRetryMs: options.standbyRetryMs ?? 2_000,
      retentionMs: options.retentionMs ?? 24 * 3600_000,
      housekeepingIntervalMs: options.housekeepingIntervalMs ?? 30_000,
      backoffMinMs: options.backoffMinMs ?? 200,
      backoffMaxMs: options.backoffMaxMs ?? 10_000,
    };
  }

  /** Starts relaying in the background. */
  start(): void {
    this.running ??= this.run();
  }

  /** What the relay is doing now, for readiness reports. */
  get state(): RelayState {
    if (!this.active) return "standby";
    return this.sinkFailing ? "unavailable" : "active";
  }

  /** Finishes the batch in flight, releases the lock and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    await this.dropConnection();
    await this.options.sink.close();
  }

  private async run(): Promise<void> {
    const log = this.options.logger;
    let failures = 0;
    while (!this.stopping) {
      try {
        const connection = await this.connection();
        const { client, outbox } = connection;
        if (!this.active) {
          this.active = await tryLock(client);
          if (!this.active) {
            await this.sleep(this.o.standbyRetryMs);
            continue;
          }
          log.info("outbox relay active");
        }
        await this.turn(connection);
        await this.housekeeping(outbox);
        if (failures > 0) log.info({ afterFailures: failures }, "outbox relay recovered");
        failures = 0;
        if (connection.ready.length === 0 && connection.acked.length === 0) await this.sleep(this.o.pollIntervalMs);
      } catch (err) {
        failures++;
        this.options.metrics?.failures.inc({ stage: err instanceof SinkFailure ? "kafka" : "database" });
        const delay = Math.min(this.o.backoffMaxMs, this.o.backoffMinMs * 2 ** Math.min(failures - 1, 16));
        log.warn({ err: (err as Error).message, attempt: failures, retryInMs: delay }, "outbox relay failed; retrying");
        this.sinkFailing = err instanceof SinkFailure;
        if (!this.sinkFailing) await this.dropConnection();
        // New rows must not cut a backoff short: while Kafka or the database is down, every
        // registration notifies, and waking on each would retry at the rate of registrations.
        await this.sleep(delay, { wakeOnNotify: false });
      }
    }
    await this.markAcked();
  }

  /**
   * One turn of the pipeline: sends the rows read last turn while marking the ones acknowledged
   * last turn and reading the next. Both are awaited before anything else is sent, so a failed
   * send is never followed by a later batch.
   */
  private async turn(connection: RelayConnection): Promise<void> {
    const sending = connection.ready;
    const marking = connection.acked;
    connection.ready = [];
    const [sent, read] = await Promise.allSettled([
      sending.length > 0 ? this.options.sink.send(sending.map(toCloudEventRecord)) : undefined,
      connection.outbox.markPublishedAndReadNext(ids(marking), this.o.batchSize, ids(sending)),
    ]);
    if (read.status === "fulfilled") {
      connection.acked = [];
      // Counted once marked: a scrape never sees them both published and still in the backlog.
      this.options.metrics?.published.inc(marking.length);
    }
    if (sent.status === "rejected") {
      throw new SinkFailure((sent.reason as Error).message, { cause: sent.reason });
    }
    if (sending.length > 0) this.sinkFailing = false;
    if (read.status === "rejected") throw read.reason;
    connection.acked = sending;
    connection.ready = read.value;
  }

  /** On stop: marks what Kafka acknowledged, so a restart does not publish it again. */
  private async markAcked(): Promise<void> {
    const connection = this.connected;
    if (!connection || connection.acked.length === 0) return;
    const marking = connection.acked;
    connection.acked = [];
    try {
      await connection.outbox.markPublished(ids(marking));
      this.options.metrics?.published.inc(marking.length);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, "outbox relay could not mark its last batch; it will be published again");
    }
  }

  private async housekeeping(outbox: OutboxRepository): Promise<void> {
    if (Date.now() - this.lastHousekeeping < this.o.housekeepingIntervalMs) return;
    this.lastHousekeeping = Date.now();
    const deleted = await outbox.deletePublished(this.o.retentionMs, 10_000);
    const backlog = await outbox.backlog();
    this.options.logger.info({ ...backlog, deletedPublished: deleted }, "outbox backlog");
  }

  /** The relay's own connection: it holds the lock and listens for new rows. */
  private async connection(): Promise<RelayConnection> {
    if (this.connected) return this.connected;
    const client = new pg.Client({ connectionString: this.options.databaseUrl, application_name: "device-registry-relay" });
    client.on("error", (err) => {
      // Only the message: the error never carries the connection string.
      this.options.logger.warn({ err: err.message }, "outbox relay connection lost");
      void this.dropConnection();
    });
    client.on("notification", () => {
      this.notified = true;
      this.wake?.();
    });
    await client.connect();
    await client.query("LISTEN outbox_inserted");
    this.connected = { client, outbox: new OutboxRepository(client), ready: [], acked: [] };
    return this.connected;
  }

  private async dropConnection(): Promise<void> {
    const client = this.connected?.client;
    this.connected = undefined;
    if (this.active) this.options.logger.info("outbox relay standing by");
    this.active = false;
    // Closing the session releases the advisory lock, so another replica can take over.
    if (client) await client.end().catch(() => undefined);
  }

  /** Waits `ms`, or less when stopping or (with `wakeOnNotify`) when new rows are notified. */
  private sleep(ms: number, { wakeOnNotify = true } = {}): Promise<void> {
    if (this.stopping || (wakeOnNotify && this.notified)) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (wakeOnNotify) this.notified = false;
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = wakeOnNotify ? done : () => this.stopping && done();
    });
  }
}

const ids = (rows: readonly OutboxRow[]) => rows.map((r) => r.id);

async function tryLock(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [RELAY_LOCK_KEY]);
  return result.rows[0]?.locked === true;
}
