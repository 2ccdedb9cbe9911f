import type pg from "pg";
import type { Logger } from "pino";
import { pendingMigrations } from "../db/migrate.js";
import type { OutboxRelay, RelayState } from "../events/outbox-relay.js";
import { withTimeout } from "../with-timeout.js";
import type { HealthState } from "./health-state.js";

/** The body of /readyz; HTTP 200 when `status` is "ready", else 503. */
export interface ReadinessReport {
  readonly status: "ready" | "not_ready" | "shutting_down";
  readonly database: "ok" | "unreachable";
  readonly migrations: "ok" | "pending" | "unknown";
  readonly pending_migrations?: readonly string[];
  /** Reported, never required: while Kafka is away the outbox keeps the events. */
  readonly kafka: RelayState | "disabled";
}

/** What readiness is judged from. */
export interface ReadinessDeps {
  readonly pool: pg.Pool;
  readonly health: HealthState;
  /** This process's outbox relay; undefined when no Kafka is configured. */
  readonly relay: Pick<OutboxRelay, "state"> | undefined;
  readonly logger: Logger;
}

// A probe waits no longer than this for PostgreSQL; a database that slow counts as unreachable.
const DATABASE_TIMEOUT_MS = 2_000;

/** Creates the readiness check: not shutting down, PostgreSQL reachable and every migration applied. */
export function createReadiness({ pool, health, relay, logger }: ReadinessDeps): () => Promise<ReadinessReport> {
  return async () => {
    const kafka = relay?.state ?? "disabled";
    const notReady = health.shuttingDown ? "shutting_down" : "not_ready";
    let pending: string[];
    try {
      pending = await withTimeout(pendingMigrations(pool), DATABASE_TIMEOUT_MS, () => new Error(`no answer within ${DATABASE_TIMEOUT_MS} ms`));
    } catch (err) {
      // The cause goes to the log only: the probe is unauthenticated and must not reveal hosts.
      logger.warn({ err: (err as Error).message }, "readiness: database unreachable");
      return { status: notReady, database: "unreachable", migrations: "unknown", kafka };
    }
    if (pending.length > 0) {
      return { status: notReady, database: "ok", migrations: "pending", pending_migrations: pending, kafka };
    }
    return { status: health.shuttingDown ? notReady : "ready", database: "ok", migrations: "ok", kafka };
  };
}
