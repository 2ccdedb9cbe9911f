import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { service as healthDefinition } from "grpc-health-check";
import { randomUUID } from "node:crypto";
import net from "node:net";
import pg from "pg";
import { pino } from "pino";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { HealthState } from "../../src/health/health-state.js";
import { createReadiness } from "../../src/health/readiness.js";
import { createTestDatabase } from "../support/test-database.js";
import { startTestService, type TestService } from "../support/test-service.js";

const SERVICES = [
  "deviceregistry.v1.DeviceRegistryService",
  "deviceregistry.v1.DeviceProvisioningService",
  "deviceregistry.v1.DeviceAuthService",
  "deviceregistry.v1.ManufacturerCaService",
  "deviceregistry.v1.CertificateRegistrationService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/** A @grpc/grpc-js client of grpc.health.v1.Health, from the proto the grpc-health-check package ships. */
type HealthClient = grpc.Client & {
  Check(request: { service: string }, callback: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};
function healthClient(port: number): HealthClient {
  const Client = grpc.makeGenericClientConstructor(healthDefinition as unknown as grpc.ServiceDefinition, "Health");
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
}

function check(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) => client.Check({ service }, (err, res) => (err ? reject(err) : resolve(res!.status))));
}

/** Collects a Watch stream's statuses; `next` resolves on each message, `ended` with the final gRPC status. */
function watch(client: HealthClient, service: string) {
  const call = client.Watch({ service });
  const statuses: string[] = [];
  let waiting: (() => void) | undefined;
  call.on("data", (message: { status: string }) => {
    statuses.push(message.status);
    waiting?.();
  });
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
  call.on("error", () => undefined);
  const next = (count: number) =>
    new Promise<void>((resolve) => {
      waiting = () => statuses.length >= count && resolve();
      waiting();
    });
  return { call, statuses, next, ended };
}

async function readyz(service: TestService): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${service.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls /readyz until `done` holds for its answer (the relay's state changes in the background). */
async function readyzUntil(service: TestService, done: (body: Record<string, unknown>) => boolean) {
  for (;;) {
    const answer = await readyz(service);
    if (done(answer.body)) return answer;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("gRPC health", () => {
  let service: TestService;
  let client: HealthClient;

  beforeAll(async () => {
    service = await startTestService();
    client = healthClient(service.port);
  });
  afterAll(async () => {
    client.close();
    await service.stop();
  });

  test("Check answers SERVING for the server and every service, without a token, over @grpc/grpc-js", async () => {
    for (const name of ["", ...SERVICES]) expect([name, await check(client, name)]).toEqual([name, "SERVING"]);
  });

  test("Check of a service not served here is NOT_FOUND", async () => {
    await expect(check(client, "nope.v1.Nope")).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'unknown service "nope.v1.Nope"',
    });
  });

  test("Check and List answer on every protocol of the port", async () => {
    const transports: Record<string, Transport> = {
      "connect json http/1.1": createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }),
      "connect binary http/2": createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "2", useBinaryFormat: true }),
      "grpc-web": createGrpcWebTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }),
      grpc: createGrpcTransport({ baseUrl: service.baseUrl }),
    };
    for (const [name, transport] of Object.entries(transports)) {
      const health = createClient(Health, transport);
      expect([name, (await health.check({ service: "deviceregistry.v1.DeviceRegistryService" })).status]).toEqual([name, ServingStatus.SERVING]);
      const { statuses } = await health.list({});
      expect(Object.keys(statuses).sort()).toEqual(["", ...SERVICES].sort());
      expect(Object.values(statuses).map((s) => s.status)).toEqual(Array(SERVICES.length + 1).fill(ServingStatus.SERVING));
    }
  });

  test("the service's own procedures still need a token", async () => {
    const registry = createClient(DeviceRegistryService, createGrpcTransport({ baseUrl: service.baseUrl }));
    await expect(registry.listDevices({})).rejects.toMatchObject({ rawMessage: "missing bearer token" });
  });

  test("Watch of an unknown service answers SERVICE_UNKNOWN and stays open until the client cancels", async () => {
    const watcher = watch(client, "nope.v1.Nope");
    await watcher.next(1);
    watcher.call.cancel();
    expect((await watcher.ended).code).toBe(grpc.status.CANCELLED);
    expect(watcher.statuses).toEqual(["SERVICE_UNKNOWN"]);
  });
});

describe("shutdown", () => {
  test("watchers over @grpc/grpc-js and Connect get NOT_SERVING and their streams end, so the server can close", async () => {
    const service = await startTestService();
    const client = healthClient(service.port);
    try {
      const overall = watch(client, "");
      const registry = watch(client, "deviceregistry.v1.DeviceRegistryService");
      await Promise.all([overall.next(1), registry.next(1)]);

      const connect = createClient(Health, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
      const connectStatuses: ServingStatus[] = [];
      const connectDone = (async () => {
        for await (const message of connect.watch({ service: "" })) connectStatuses.push(message.status);
      })();
      while (connectStatuses.length === 0) await new Promise((r) => setTimeout(r, 10));

      await service.stop();
      expect((await overall.ended).code).toBe(grpc.status.OK);
      expect((await registry.ended).code).toBe(grpc.status.OK);
      await connectDone;
      expect(overall.statuses).toEqual(["SERVING", "NOT_SERVING"]);
      expect(registry.statuses).toEqual(["SERVING", "NOT_SERVING"]);
      expect(connectStatuses).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    } finally {
      client.close();
    }
  });
});

describe("liveness and readiness", () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  test("/healthz answers while the process serves", async () => {
    const res = await fetch(`${service.baseUrl}/healthz`);
    expect([res.status, await res.json()]).toEqual([200, { status: "SERVING" }]);
  });

  test("/readyz is 200 with the database reachable and migrated; Kafka is reported as disabled when not configured", async () => {
    expect(await readyz(service)).toEqual({
      status: 200,
      body: { status: "ready", database: "ok", migrations: "ok", kafka: "disabled" },
    });
  });

  test("/readyz is 503 while a migration is not applied", async () => {
    const { rows } = await service.db.pool.query<{ name: string }>(
      "DELETE FROM schema_migrations WHERE name = (SELECT max(name) FROM schema_migrations) RETURNING name",
    );
    const name = rows[0]!.name;
    try {
      expect(await readyz(service)).toEqual({
        status: 503,
        body: { status: "not_ready", database: "ok", migrations: "pending", pending_migrations: [name], kafka: "disabled" },
      });
    } finally {
      await service.db.pool.query("INSERT INTO schema_migrations (name) VALUES ($1)", [name]);
    }
    expect((await readyz(service)).status).toBe(200);
  });

  test("/readyz is 503 while PostgreSQL refuses the service's database, and ready again once it accepts", async () => {
    const database = new URL(service.db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env["TEST_DATABASE_URL"] });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database]);
      expect(await readyz(service)).toEqual({
        status: 503,
        body: { status: "not_ready", database: "unreachable", migrations: "unknown", kafka: "disabled" },
      });
    } finally {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    // The pool drops the connections that were cut and opens new ones.
    expect((await readyzUntil(service, (body) => body["status"] === "ready")).status).toBe(200);
  });

  test("readiness says shutting_down once shutdown has begun", async () => {
    const db = await createTestDatabase();
    try {
      const health = new HealthState(SERVICES);
      const readiness = createReadiness({ pool: db.pool, health, relay: undefined, logger: pino({ level: "silent" }) });
      expect((await readiness()).status).toBe("ready");
      health.shutDown();
      expect(await readiness()).toEqual({ status: "shutting_down", database: "ok", migrations: "ok", kafka: "disabled" });
    } finally {
      await db.drop();
    }
  });
});

describe("readiness with Kafka away", () => {
  test("reports Kafka unavailable once a publish fails, and stays ready: the outbox keeps the events", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const service = await startTestService({ kafka: { brokers: [`127.0.0.1:${closedPort}`], topic: "health-test" } });
    try {
      // Before any event the relay holds the lock and has had no reason to call Kafka.
      expect(await readyzUntil(service, (body) => body["kafka"] !== "standby")).toEqual({
        status: 200,
        body: { status: "ready", database: "ok", migrations: "ok", kafka: "active" },
      });
      const token = await service.token(randomUUID());
      const registry = createClient(DeviceRegistryService, createGrpcTransport({ baseUrl: service.baseUrl }));
      await registry.registerDevice({ name: "d", hardwareId: "HW-KAFKA-AWAY" }, { headers: { authorization: `Bearer ${token}` } });

      expect(await readyzUntil(service, (body) => body["kafka"] === "unavailable")).toEqual({
        status: 200,
        body: { status: "ready", database: "ok", migrations: "ok", kafka: "unavailable" },
      });
      const { rows } = await service.db.pool.query("SELECT count(*)::int AS waiting FROM outbox WHERE published_at IS NULL");
      expect(rows[0].waiting).toBe(1);
    } finally {
      await service.stop();
    }
  }, 60_000);
});
