import type pg from "pg";
import type { OutboxEvent } from "../events/outbox-event.js";

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

type Queryable = Pick<pg.ClientBase, "query">;

/**
 * The oldest unpublished rows in id order. Rows are picked by their published flag, never by
 * "id greater than the last one seen": ids are taken before commit, so a lower id can become
 * visible after a higher one has been published.
 */
export async function unpublishedEvents(db: Queryable, limit: number): Promise<OutboxRow[]> {
  const result = await db.query({
    name: "outbox-unpublished",
    // ORDER BY outbox.id, not the text alias "id", which would sort "10" before "9".
    text: `SELECT id::text, event_id::text, event_type, tenant_id::text, subject, payload::text, occurred_at
           FROM outbox WHERE published_at IS NULL ORDER BY outbox.id LIMIT $1::int`,
    values: [limit],
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
export async function markPublished(db: Queryable, ids: readonly string[]): Promise<void> {
  await db.query({
    name: "outbox-mark-published",
    text: `UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`,
    values: [ids],
  });
}

/** How many events wait, and for how long the oldest has waited. */
export async function outboxBacklog(db: Queryable): Promise<OutboxBacklog> {
  const result = await db.query(
    `SELECT count(*)::int AS unpublished,
            coalesce(extract(epoch FROM now() - min(occurred_at)) * 1000, 0)::float8 AS oldest_age_ms
     FROM outbox WHERE published_at IS NULL`,
  );
  return { unpublished: result.rows[0].unpublished, oldestAgeMs: Math.max(0, Math.round(result.rows[0].oldest_age_ms)) };
}

/** Deletes up to `limit` rows published more than `retentionMs` ago; returns how many. */
export async function deletePublished(db: Queryable, retentionMs: number, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM outbox WHERE id IN (
       SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1::float8 / 1000) LIMIT $2::int)`,
    [retentionMs, limit],
  );
  return result.rowCount ?? 0;
}

/** Writes events to the outbox; call it inside the transaction of the change they describe. */
export async function insertOutboxEvents(db: Queryable, events: readonly OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query({
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
