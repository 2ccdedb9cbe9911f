import net from "node:net";
import pg from "pg";
import { createMetrics } from "../../src/observability/metrics.js";

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("createMetrics", () => {
  it("still scrapes when the database is down: the outbox gauges are NaN, everything else is there", async () => {
    const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/none`, connectionTimeoutMillis: 2_000 });
    try {
      const metrics = createMetrics(pool);
      metrics.rpc.requests.inc({ service: "s", method: "m", code: "OK" });
      const text = await metrics.registry.metrics();
      // prom-client writes NaN as "Nan", which Prometheus parses (case-insensitively) as NaN.
      expect(text).toMatch(/\ndevice_registry_outbox_unpublished_events nan\n/i);
      expect(text).toMatch(/\ndevice_registry_outbox_oldest_unpublished_age_seconds nan\n/i);
      expect(text).toContain('\ndevice_registry_rpc_requests_total{service="s",method="m",code="OK"} 1\n');
      expect(text).toContain("\ndevice_registry_db_pool_waiting_requests 0\n");
      expect(text).toMatch(/\nprocess_cpu_user_seconds_total \d/);
    } finally {
      await pool.end();
    }
  });

  it("gives every instance a registry of its own", async () => {
    const pool = new pg.Pool();
    try {
      const a = createMetrics(pool);
      const b = createMetrics(pool);
      a.relay.published.inc(3);
      expect((await a.registry.getSingleMetric("device_registry_relay_published_events_total")!.get()).values[0]?.value).toBe(3);
      expect((await b.registry.getSingleMetric("device_registry_relay_published_events_total")!.get()).values[0]?.value).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
