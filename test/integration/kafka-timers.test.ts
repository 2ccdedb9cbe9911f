import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { pino } from "pino";
import { KafkaPublisher } from "../../src/events/kafka-publisher.js";
import { startKafka, type KafkaBroker } from "../kafka/broker.js";
import { startServiceProcess } from "../support/service-process.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { createTestKeys } from "../support/test-keys.js";

// kafkajs's request queue set a timer of minus the epoch time after every response (a -1
// "not throttled" marker minus Date.now()): Node ran it after 1 ms, warned on stderr, and the
// callback set the next one, so each broker connection spun on a 1 ms timer while open.

const RequestQueue = createRequire(import.meta.url)("kafkajs/src/network/requestQueue/index.js") as {
  prototype: { checkPendingRequests(): void };
};

describe("kafkajs timers", () => {
  let broker: KafkaBroker;

  beforeAll(async () => {
    broker = await startKafka();
  }, 120_000);
  afterAll(() => broker?.destroy());

  test("an idle connection sets no timers and Node warns of no negative timeout", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks++;
      original.call(this);
    };
    const topic = `timers-${randomUUID().slice(0, 8)}`;
    const publisher = new KafkaPublisher({
      brokers: broker.brokers,
      topic,
      partitions: 1,
      replicationFactor: 1,
      timeoutMs: 10_000,
      logger: pino({ level: "silent" }),
    });
    try {
      await publisher.send([{ key: "d1", value: "{}", headers: {} }]);
      // Idle now: whatever checks ran for the calls above are over.
      await new Promise((r) => setTimeout(r, 200));
      const before = checks;
      await new Promise((r) => setTimeout(r, 1_000));
      // With the 1 ms loop this was several hundred per open connection.
      expect(checks - before).toBeLessThan(5);
      expect(warnings.filter((w) => w.startsWith("TimeoutNegativeWarning"))).toEqual([]);
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      process.off("warning", onWarning);
      await publisher.close();
    }
  }, 60_000);

  test("the service relaying to Kafka writes only JSON lines", async () => {
    const db: TestDatabase = await createTestDatabase();
    const keys = await createTestKeys();
    const service = await startServiceProcess({
      DATABASE_URL: db.url,
      AUTH_JWKS: keys.jwksPath,
      KAFKA_BROKERS: broker.brokers.join(","),
      KAFKA_TOPIC: `json-${randomUUID().slice(0, 8)}`,
    });
    try {
      const token = await keys.token({ tenant_id: randomUUID(), role: "tenant_admin" });
      const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "relayed", hardware_id: "HW-JSON-1" }),
      });
      expect(res.status).toBe(200);
      // Published: the relay's connections have answered requests, which is when the timers started.
      const deadline = Date.now() + 30_000;
      const published = async () => (await db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL")).rows[0].n as number;
      while ((await published()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await published()).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await service.kill();
      await db.drop();
    }
    const notJson = service.logs.flatMap((chunk) => chunk.split("\n")).filter((line) => line !== "" && !isJson(line));
    expect(notJson).toEqual([]);
    expect(service.logs.join("\n")).not.toContain("TimeoutNegativeWarning");
  }, 120_000);
});

function isJson(line: string): boolean {
  try {
    return typeof JSON.parse(line) === "object";
  } catch {
    return false;
  }
}
