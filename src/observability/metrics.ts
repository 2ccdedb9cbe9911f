import type pg from "pg";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { OutboxRepository, type OutboxBacklog } from "../db/outbox-repository.js";

/** RPC counts and latencies, labelled by service (full name), method and google.rpc.Code name. */
export interface RpcMetrics {
  readonly requests: Counter<"service" | "method" | "code">;
  readonly duration: Histogram<"service" | "method">;
}

/** What the outbox relay reports. */
export interface RelayMetrics {
  /** Events Kafka acknowledged. */
  readonly published: Counter;
  /** Failed relay rounds, by stage: "kafka" (the broker refused) or "database". */
  readonly failures: Counter<"stage">;
}

/** The metrics of one service instance, in a registry of its own. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpc: RpcMetrics;
  readonly relay: RelayMetrics;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates the registry: process defaults, RPCs, relay, and gauges read at scrape time from the
 * pool and the outbox. The outbox is read by every replica, relay or not, so the backlog shows
 * even when Kafka is down or not configured.
 */
export function createMetrics(pool: pg.Pool): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const poolGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  poolGauge("device_registry_db_pool_clients", "Connections the pool holds, busy or idle.", () => pool.totalCount);
  poolGauge("device_registry_db_pool_idle_clients", "Connections of the pool that are idle.", () => pool.idleCount);
  poolGauge("device_registry_db_pool_waiting_requests", "Queries waiting for a connection.", () => pool.waitingCount);

  // One query per scrape feeds both outbox gauges, which the registry collects concurrently.
  let pending: Promise<OutboxBacklog | undefined> | undefined;
  const backlog = () =>
    (pending ??= new OutboxRepository(pool)
      .backlog()
      .catch(() => undefined)
      .finally(() => (pending = undefined)));
  // NaN, not a stale or zero value, when the database cannot be read.
  new Gauge({
    name: "device_registry_outbox_unpublished_events",
    help: "Events in the outbox not yet published to Kafka.",
    registers,
    async collect() {
      this.set((await backlog())?.unpublished ?? Number.NaN);
    },
  });
  new Gauge({
    name: "device_registry_outbox_oldest_unpublished_age_seconds",
    help: "How long the oldest unpublished event has waited; 0 when none waits.",
    registers,
    async collect() {
      const b = await backlog();
      this.set(b === undefined ? Number.NaN : b.oldestAgeMs / 1000);
    },
  });

  return {
    registry,
    rpc: {
      requests: new Counter({
        name: "device_registry_rpc_requests_total",
        help: "RPCs handled, on every protocol (gRPC, gRPC-Web, Connect, REST), by outcome code.",
        labelNames: ["service", "method", "code"] as const,
        registers,
      }),
      duration: new Histogram({
        name: "device_registry_rpc_duration_seconds",
        help: "Time from the RPC's request to its response or error.",
        labelNames: ["service", "method"] as const,
        buckets: LATENCY_BUCKETS,
        registers,
      }),
    },
    relay: {
      published: new Counter({ name: "device_registry_relay_published_events_total", help: "Events published to Kafka.", registers }),
      failures: new Counter({
        name: "device_registry_relay_failures_total",
        help: "Relay rounds that failed and were retried, by stage (kafka, database).",
        labelNames: ["stage"] as const,
        registers,
      }),
    },
  };
}
