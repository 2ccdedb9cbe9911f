import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { service as healthDefinition } from "grpc-health-check";
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { startServiceProcess } from "../support/service-process.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { createTestKeys, type TestKeys } from "../support/test-keys.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/main.js");

// Two self-signed certificates with their keys, made by the openssl CLI, for the TLS cases.
const tlsDir = mkdtempSync(path.join(os.tmpdir(), "lifecycle-tls-"));
const tlsFile = (name: string) => path.join(tlsDir, name);
for (const cn of ["a", "b"]) {
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1", "-subj", `/CN=${cn}`, "-keyout", tlsFile(`${cn}.key`), "-out", tlsFile(`${cn}.crt`)],
    { stdio: "ignore" },
  );
}

describe("process lifecycle", () => {
  let db: TestDatabase;
  let keys: TestKeys;

  beforeAll(async () => {
    db = await createTestDatabase();
    keys = await createTestKeys();
  });
  afterAll(() => db.drop());

  test.each([
    ["a port that is not a number", { PORT: "eighty" }, /^configuration error: PORT must be an integer from 0 to 65535, got "eighty"$/],
    [
      "a DATABASE_URL of another database",
      { DATABASE_URL: "mysql://localhost/x" },
      /^configuration error: DATABASE_URL must use postgres: or postgresql:, got mysql:$/,
    ],
    ["a TLS certificate without its key", { TLS_CERT: "/etc/hostname" }, /^configuration error: TLS_CERT and TLS_KEY must be set together$/],
    ["an unreadable JWKS file", { AUTH_JWKS: "/nonexistent/jwks.json" }, /^startup failed: JWKS file \/nonexistent\/jwks.json cannot be used: .+$/],
    ["a hub list that is not JSON", { HUBS: "[{" }, /^configuration error: HUBS is not valid JSON$/],
    [
      "a hub without an MQTT URL",
      { HUBS: '[{"id":"h","hub_url":"https://h.test","hub_url_static_cert":"https://h.test"}]' },
      /^configuration error: HUBS hub 0: mqtt_hub_url is missing \(every hub needs id, hub_url, hub_url_static_cert, mqtt_hub_url\)$/,
    ],
    [
      "a hub without its static-certificate URL",
      { HUBS: '[{"id":"h","hub_url":"https://h.test","mqtt_hub_url":"mqtts://h.test"}]' },
      /^configuration error: HUBS hub 0: hub_url_static_cert is missing \(every hub needs id, hub_url, hub_url_static_cert, mqtt_hub_url\)$/,
    ],
    [
      "a hub whose MQTT URL is http",
      { HUBS: '[{"id":"h","hub_url":"https://h.test","hub_url_static_cert":"https://h.test","mqtt_hub_url":"https://h.test"}]' },
      /^configuration error: HUBS hub 0: mqtt_hub_url must be a mqtt:\/mqtts:\/ssl:\/tcp:\/ws:\/wss: URL$/,
    ],
    [
      "a CORS origin without a scheme, with a slash",
      { CORS_ORIGINS: "localhost:5173/" },
      /^configuration error: CORS_ORIGINS: "localhost:5173\/" is not an origin like https:\/\/app.example.com or http:\/\/localhost:5173 \(scheme, host and port only\)$/,
    ],
    [
      "a CORS origin with a trailing slash",
      { CORS_ORIGINS: "https://app.example.test, http://localhost:5173/" },
      /^configuration error: CORS_ORIGINS: "http:\/\/localhost:5173\/" is not an origin .*; did you mean "http:\/\/localhost:5173"\?$/,
    ],
    [
      "a CORS wildcard among origins",
      { CORS_ORIGINS: "*,https://app.example.test" },
      /^configuration error: CORS_ORIGINS: "\*" allows any origin and cannot be combined with others$/,
    ],
    ["a JWKS URL that is not http(s)", { AUTH_JWKS: "ftp://example.test/jwks" }, /^configuration error: AUTH_JWKS must use http: or https:, got ftp:$/],
    ["a JWKS file that is not JSON", { AUTH_JWKS: "/etc/hostname" }, /^startup failed: JWKS file \/etc\/hostname cannot be used: not valid JSON$/],
    ["a DATABASE_URL that is not a URL", { DATABASE_URL: "postgres://u:p@db:notaport/x" }, /^configuration error: DATABASE_URL is not a valid URL$/],
    [
      "a database that refuses connections",
      { DATABASE_URL: "postgres://postgres@127.0.0.1:1/x" },
      /^startup failed: database: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    ],
    [
      "a trusted proxy that is not an address",
      { TRUSTED_PROXIES: "10.0.0.0/8, proxy.internal" },
      /^configuration error: TRUSTED_PROXIES: "proxy.internal" is not an IP address or a CIDR range$/,
    ],
    ["an unreadable hub list file", { HUBS: "/nonexistent/hubs.json" }, /^configuration error: HUBS: cannot read \/nonexistent\/hubs.json \(ENOENT\)$/],
    [
      "unreadable TLS files",
      { TLS_CERT: "/nonexistent/tls.crt", TLS_KEY: "/nonexistent/tls.key" },
      /^configuration error: TLS_CERT: cannot read \/nonexistent\/tls.crt \(ENOENT\)$/,
    ],
    [
      "a TLS certificate that is not PEM",
      { TLS_CERT: "/etc/hostname", TLS_KEY: tlsFile("a.key") },
      /^configuration error: TLS_CERT: \/etc\/hostname is not a PEM certificate$/,
    ],
    [
      "a TLS key that is not PEM",
      { TLS_CERT: tlsFile("a.crt"), TLS_KEY: tlsFile("a.crt") },
      /^configuration error: TLS_KEY: .+\/a.crt is not an unencrypted PEM private key$/,
    ],
    [
      "the TLS key of another certificate",
      { TLS_CERT: tlsFile("a.crt"), TLS_KEY: tlsFile("b.key") },
      /^configuration error: TLS_KEY is not the private key of TLS_CERT$/,
    ],
    ["a port in hexadecimal", { PORT: "0x1F90" }, /^configuration error: PORT must be an integer from 0 to 65535, got "0x1F90"$/],
    ["a pool size of zero", { DB_POOL_SIZE: "0" }, /^configuration error: DB_POOL_SIZE must be an integer from 1 to 1000, got "0"$/],
    ["a body limit with a unit", { MAX_BODY_BYTES: "1MB" }, /^configuration error: MAX_BODY_BYTES must be an integer from 1024 to 67108864, got "1MB"$/],
    [
      "a batch body limit with a unit",
      { MAX_BATCH_BODY_BYTES: "64MB" },
      /^configuration error: MAX_BATCH_BODY_BYTES must be an integer from 1024 to 1073741824, got "64MB"$/,
    ],
    [
      "a zero request timeout",
      { HTTP_REQUEST_TIMEOUT_SECONDS: "0" },
      /^configuration error: HTTP_REQUEST_TIMEOUT_SECONDS must be an integer from 1 to 86400, got "0"$/,
    ],
    [
      "a headers timeout longer than the request timeout",
      { HTTP_HEADERS_TIMEOUT_SECONDS: "30", HTTP_REQUEST_TIMEOUT_SECONDS: "10" },
      /^configuration error: HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS \(10\), got "30"$/,
    ],
    [
      "a fractional keep-alive timeout",
      { HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "2.5" },
      /^configuration error: HTTP_KEEP_ALIVE_TIMEOUT_SECONDS must be an integer from 1 to 86400, got "2.5"$/,
    ],
    [
      "a fractional partition count",
      { KAFKA_TOPIC_PARTITIONS: "1.5" },
      /^configuration error: KAFKA_TOPIC_PARTITIONS must be an integer from 1 to 10000, got "1.5"$/,
    ],
    [
      "a negative outbox retention",
      { OUTBOX_RETENTION_HOURS: "-1" },
      /^configuration error: OUTBOX_RETENTION_HOURS must be an integer from 0 to 8760, got "-1"$/,
    ],
    [
      "an unknown log level",
      { LOG_LEVEL: "loud" },
      /^configuration error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/,
    ],
  ])("exits non-zero with one clear line, before listening, on %s", (_label, env, message) => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: { PATH: process.env["PATH"] ?? "", DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath, PORT: "0", ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stdout).not.toContain("device registry listening");
  });

  test("on a Node.js older than 24 it exits 1 with one line naming the version it needs", () => {
    // The version Node reports, made 20.20.2 before main loads, as on a machine's older Node.
    const olderNode = 'data:text/javascript,Object.defineProperty(process.versions, "node", { value: "20.20.2" })';
    const result = spawnSync(process.execPath, ["--import", olderNode, MAIN], {
      env: { PATH: process.env["PATH"] ?? "", DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath, PORT: "0" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      "startup failed: the device registry needs Node.js 24 or later, this is Node.js 20.20.2 (npm ci installs it: run the service with npm start)",
    ]);
    expect(result.stdout).toBe("");
  });

  test("SIGTERM lets calls in flight finish, then exits 0", async () => {
    const service = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath });
    const token = await keys.token({ tenant_id: randomUUID(), role: "tenant_admin" });
    const headers = { authorization: `Bearer ${token}` };
    const clients = [
      createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "2" })),
      createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" })),
    ];
    // Open the connections first, so the calls below are in flight on them when SIGTERM lands.
    await Promise.all(clients.map((c, i) => c.registerDevice({ name: "warm", hardwareId: `HW-WARM-${i}` }, { headers })));
    const calls = Array.from({ length: 200 }, (_, i) =>
      clients[i % 2]!.registerDevice({ name: `in flight ${i}`, hardwareId: `HW-FLIGHT-${i}` }, { headers }).then(
        (device) => ({ ok: true as const, hardwareId: device.hardwareId }),
        (err: unknown) => ({ ok: false as const, error: String(err) }),
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    const exited = new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
    service.child.kill("SIGTERM");
    const results = await Promise.all(calls);
    expect(await exited).toBe(0);

    // Every call the server committed was answered: nothing was cut off mid-flight.
    const answered = new Set(results.flatMap((r) => (r.ok ? [r.hardwareId] : [])));
    const committed = (await db.pool.query("SELECT hardware_id FROM devices WHERE hardware_id LIKE 'HW-FLIGHT-%'")).rows.map((r) => r.hardware_id);
    expect(new Set(committed)).toEqual(answered);
    expect(answered.size).toBeGreaterThan(0);
    const at = (msg: string) => JSON.parse(service.logs.find((l) => l.includes(`"msg":"${msg}"`))!).time as number;
    expect(at("stopped")).toBeGreaterThanOrEqual(at("shutting down"));
  }, 60_000);

  test("a second signal while stopping neither starts a second shutdown nor cuts the first short", async () => {
    const service = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath });
    // "close" comes once the process has exited and its output has been read to the end.
    const exited = new Promise<number | null>((resolve) => service.child.once("close", (code) => resolve(code)));
    service.child.kill("SIGTERM");
    service.child.kill("SIGINT");
    expect(await exited).toBe(0);
    const messages = service.logs.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.filter((msg) => msg === "shutting down")).toHaveLength(1);
    expect(messages).toContain("stopped");
  }, 60_000);

  test("SIGTERM turns gRPC health NOT_SERVING for watchers, ends their streams, then exits 0", async () => {
    const service = await startServiceProcess({ DATABASE_URL: db.url, AUTH_JWKS: keys.jwksPath });
    const ready = await fetch(`${service.baseUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", database: "ok", migrations: "ok", kafka: "disabled" }]);

    const Health = grpc.makeGenericClientConstructor(healthDefinition as unknown as grpc.ServiceDefinition, "Health");
    const client = new Health(`127.0.0.1:${service.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
    };
    try {
      const call = client.Watch({ service: "" });
      const statuses: string[] = [];
      const ended = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
      call.on("error", () => undefined);
      await new Promise<void>((resolve) =>
        call.on("data", (message: { status: string }) => {
          statuses.push(message.status);
          resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
      service.child.kill("SIGTERM");
      expect((await ended).code).toBe(grpc.status.OK);
      expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
      expect(await exited).toBe(0);
    } finally {
      client.close();
    }
  }, 60_000);
});
