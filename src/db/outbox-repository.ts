import type { Executor } from "./transaction.js";

/** One event as written to the outbox table in the transaction of the change it describes. */
export interface OutboxEvent {
  /** Unique per event: the CloudEvents id and the consumers' dedupe key. */
  readonly eventId: string;
  /** CloudEvents type, e.g. "device.registered". */
  readonly type: string;
  readonly tenantId: string;
  /** What the event is about (a device_id): Kafka record key and CloudEvents subject. */
  readonly subject: string;
  /** JSON of the proto event message. */
  readonly payload: string;
  readonly occurredAt: Date;
}

/** An unpublished outbox row, as the relay reads it: the event and its position in the outbox. */
export interface OutboxRow extends OutboxEvent {
  readonly id: string;
}

/** Backlog figures for monitoring. */
export interface OutboxBacklog {
  readonly unpublished: number;
  /** Age of the oldest unpublished event in ms; 0 when there is none. */
  readonly oldestAgeMs: number;
}

/** The outbox table: written in the transaction of each change, read and cleaned up by the relay. */
export class OutboxRepository {
  constructor(private readonly db: Executor) {}

  /**
   * The oldest unpublished rows in id order. Rows are picked by their published flag, never by
   * "id greater than the last one seen": ids are taken before commit, so a lower id can become
   * visible after a higher one has been published.
   */
  async unpublished(limit: number): Promise<OutboxRow[]> {
    return this.markPublishedAndReadNext([], limit, []);
  }

  /**
   * Marks `published` rows as published and reads the next rows as {@link unpublished} does,
   * leaving out `excluding` (rows being sent), in one statement (one round trip). The read sees
   * the table as it was before the update, so it leaves the marked rows out itself.
   */
  async markPublishedAndReadNext(published: readonly string[], limit: number, excluding: readonly string[]): Promise<OutboxRow[]> {
    const result = await this.db.query({
      // Unnamed on purpose: PostgreSQL plans it with the arrays' values, so `<> ALL` probes a hash
      // of them; a named (prepared) statement soon gets a generic plan that scans each array for
      // every row, several times slower with batches of thousands.
      // ORDER BY outbox.id, not the text alias "id", which would sort "10" before "9".
      text: `WITH marked AS (UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[]))
           SELECT id::text, event_id::text, event_type, tenant_id::text, subject, payload::text, occurred_at
           FROM outbox WHERE published_at IS NULL AND id <> ALL($1::bigint[]) AND id <> ALL($2::bigint[])
           ORDER BY outbox.id LIMIT $3::int`,
      values: [published, excluding, limit],
    });
    return result.rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      type: r.event_type,
      tenantId: r.tenant_id,
      subject: r.subject,
      payload: r.payload,
      occurredAt: r.occurred_at,
    }));
  }

  /** Marks rows as published. */
  async markPublished(ids: readonly string[]): Promise<void> {
    await this.db.query({
      name: "outbox-mark-published",
      text: `UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`,
      values: [ids],
    });
  }

  /** How many events wait, and for how long the oldest has waited. */
  async backlog(): Promise<OutboxBacklog> {
    const result = await this.db.query(
      `SELECT count(*)::int AS unpublished,
            coalesce(extract(epoch FROM now() - min(occurred_at)) * 1000, 0)::float8 AS oldest_age_ms
     FROM outbox WHERE published_at IS NULL`,
    );
    return { unpublished: result.rows[0].unpublished, oldestAgeMs: Math.max(0, Math.round(result.rows[0].oldest_age_ms)) };
  }

  /** Deletes up to `limit` rows published more than `retentionMs` ago; returns how many. */
  async deletePublished(retentionMs: number, limit: number): Promise<number> {
    const result = await this.db.query(
      `DELETE FROM outbox WHERE id IN (
       SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2::int)`,
      [retentionMs, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Writes events to the outbox; call it inside the transaction of the change they describe. */
  async insert(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db.query({
      name: "insert-outbox-events",
      text: `INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::json[], $6::timestamptz[])`,
      values: [
        events.map((e) => e.eventId),
        events.map((e) => e.type),
        events.map((e) => e.tenantId),
        events.map((e) => e.subject),
        events.map((e) => e.payload),
        events.map((e) => e.occurredAt),
      ],
    });
  }
}
