import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { startServiceProcess } from "../support/service-process.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { createTestKeys, type TestKeys } from "../support/test-keys.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/main.js");

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
    ["a DATABASE_URL of another database", { DATABASE_URL: "mysql://localhost/x" }, /^configuration error: DATABASE_URL must use postgres: or postgresql:, got mysql:$/],
    ["a TLS certificate without its key", { TLS_CERT: "/etc/hostname" }, /^configuration error: TLS_CERT and TLS_KEY must be set together$/],
    ["an unreadable JWKS file", { AUTH_JWKS: "/nonexistent/jwks.json" }, /^startup failed: JWKS file \/nonexistent\/jwks.json cannot be used: .+$/],
    ["a hub list that is not JSON", { HUBS: "[{" }, /^configuration error: HUBS is not valid JSON$/],
    ["a hub without an MQTT URL", { HUBS: '[{"id":"h","hub_url":"https://h.test","hub_url_static_cert":"https://h.test"}]' }, /^configuration error: HUBS hub 0: mqtt_hub_url must be a mqtt:\/mqtts:\/ssl:\/tcp:\/ws:\/wss: URL$/],
    ["a JWKS URL that is not http(s)", { AUTH_JWKS: "ftp://example.test/jwks" }, /^configuration error: AUTH_JWKS must use http: or https:, got ftp:$/],
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
});
