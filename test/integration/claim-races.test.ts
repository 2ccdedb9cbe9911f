import { randomBytes, randomUUID } from "node:crypto";
import { grpcFactoryApi, ok, restFactoryApi, type FactoryApi, type Outcome } from "../support/factory-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

// Claims are counted, read and written in statements shared by concurrent claims: what one key,
// one address or one device sees must not depend on which claims happen to share a statement.

const limits = { perAddress: { points: 1_000_000, seconds: 60 }, perKey: { points: 1_000_000, seconds: 60 } };
const TOO_MANY = /^too many attempts; retry after \d+ s$/;

describe("concurrent claims on two replicas", () => {
  let first: TestService;
  let second: TestService;
  let a: FactoryApi;
  let b: FactoryApi;
  let tenant: string;

  beforeAll(async () => {
    first = await startTestService({ claimRateLimits: limits });
    second = await startTestService({ claimRateLimits: limits, replicaOf: first });
    tenant = randomUUID();
    const admin = await first.token(tenant);
    a = restFactoryApi(first.baseUrl, admin);
    b = grpcFactoryApi(`127.0.0.1:${second.port}`, admin);
  });
  afterAll(async () => {
    a.close();
    b.close();
    await second.stop();
    await first.stop();
  });

  const query = (text: string, values: unknown[]) => first.db.pool.query(text, values);
  const events = async (deviceId: string) =>
    (await query(`SELECT event_type FROM outbox WHERE subject = $1 ORDER BY id`, [deviceId])).rows.map((r) => r["event_type"]);
  const liveCredentials = async (deviceId: string) =>
    Number((await query(`SELECT count(*) FROM device_credentials WHERE device_id = $1 AND revoked_at IS NULL`, [deviceId])).rows[0]["count"]);

  test("100 racing first claims of one key: one device, one device.registered, one live credential, the last answer's", async () => {
    const hardwareId = `HW-RACE-${randomUUID()}`;
    const claimKey = ok(await a.importOne(hardwareId, ""))["results"][0]["claim_key"];
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).claim(claimKey, hardwareId)));
    const deviceIds = new Set(answers.map((o) => ok(o)["device_id"]));
    expect(deviceIds.size).toBe(1);
    const [deviceId] = [...deviceIds] as [string];
    expect(Number((await query(`SELECT count(*) FROM devices WHERE tenant_id = $1 AND hardware_id = $2`, [tenant, hardwareId])).rows[0]["count"])).toBe(1);
    const types = await events(deviceId);
    expect(types[0]).toBe("device.registered");
    expect(types.filter((t) => t === "device.registered")).toHaveLength(1);
    // Every other claim was a re-claim: each revoked the credential before it.
    expect(types.filter((t) => t === "device.credential_rotated")).toHaveLength(99);
    expect(await liveCredentials(deviceId)).toBe(1);
    const keys = answers.map((o) => ok(o)["api_key"] as string);
    expect(new Set(keys).size).toBe(100);
    const accepted = await Promise.all(keys.map(async (key) => "ok" in (await a.config(deviceId, key))));
    expect(accepted.filter(Boolean)).toHaveLength(1);
  });

  test("racing first claims of many keys at once: each key its own device, no lost or doubled event", async () => {
    const hardwareIds = Array.from({ length: 40 }, (_, i) => `HW-MANY-${i}-${randomUUID()}`);
    const keys = await Promise.all(hardwareIds.map(async (h) => ok(await a.importOne(h, ""))["results"][0]["claim_key"] as string));
    // Each key claimed three times at once, spread over both replicas.
    const answers = await Promise.all(hardwareIds.flatMap((h, i) => [a, b, i % 2 === 0 ? a : b].map((api) => api.claim(keys[i]!, h))));
    const byHardwareId = new Map<string, Set<string>>();
    answers.forEach((o, k) => {
      const h = hardwareIds[Math.floor(k / 3)]!;
      byHardwareId.set(h, (byHardwareId.get(h) ?? new Set()).add(ok(o)["device_id"]));
    });
    for (const h of hardwareIds) expect(byHardwareId.get(h)!.size).toBe(1);
    for (const ids of byHardwareId.values()) {
      const [deviceId] = [...ids] as [string];
      expect(await events(deviceId)).toEqual(["device.registered", "device.credential_rotated", "device.credential_rotated"]);
      expect(await liveCredentials(deviceId)).toBe(1);
    }
  });

  test("a re-claim racing a deletion: either it re-claims the old device or the key claims a new one, never both or neither", async () => {
    for (let round = 0; round < 10; round++) {
      const hardwareId = `HW-DEL-${round}-${randomUUID()}`;
      const claimKey = ok(await a.importOne(hardwareId, ""))["results"][0]["claim_key"];
      const old = ok(await a.claim(claimKey, hardwareId))["device_id"];
      const [reclaimed, deleted] = await Promise.all([b.claim(claimKey, hardwareId), a.deleteDevice(old)]);
      ok(deleted);
      const deviceId = ok(reclaimed)["device_id"];
      const left = (await query(`SELECT device_id FROM devices WHERE tenant_id = $1 AND hardware_id = $2`, [tenant, hardwareId])).rows;
      if (deviceId === old) {
        expect(left).toEqual([]);
      } else {
        expect(left).toEqual([{ device_id: deviceId }]);
        expect(await events(deviceId)).toEqual(["device.registered"]);
      }
    }
  });
});

describe("claim attempts counted in shared statements", () => {
  const tight = { perAddress: { points: 12, seconds: 60 }, perKey: { points: 4, seconds: 60 } };
  let service: TestService;
  let api: FactoryApi;

  beforeAll(async () => {
    service = await startTestService({ claimRateLimits: tight });
    api = restFactoryApi(service.baseUrl, await service.token(randomUUID()));
  });
  beforeEach(() => service.db.pool.query("DELETE FROM claim_rate_limits"));
  afterAll(() => service.stop());

  const refused = (outcomes: Outcome[]) => outcomes.filter((o) => "error" in o && o.error.code === "RESOURCE_EXHAUSTED");

  test("30 attempts at once from one address: exactly the first 12 are answered, the rest are RESOURCE_EXHAUSTED", async () => {
    const guesses = await Promise.all(Array.from({ length: 30 }, () => api.claim(`ck_${randomBytes(24).toString("base64url")}`, "HW-GUESS")));
    const limited = refused(guesses);
    expect(limited).toHaveLength(30 - tight.perAddress.points);
    for (const o of limited) expect("error" in o && o.error.message).toMatch(TOO_MANY);
    expect(guesses.filter((o) => "error" in o && o.error.code === "UNAUTHENTICATED")).toHaveLength(tight.perAddress.points);
    const { rows } = await service.db.pool.query(`SELECT points FROM claim_rate_limits WHERE key = 'address:127.0.0.1'`);
    expect(rows).toEqual([{ points: 30 }]);
  });

  test("10 attempts at once with one key: 4 get their answer, 6 are refused, and the right key then too", async () => {
    const hardwareId = `HW-KEY-${randomUUID()}`;
    const claimKey = ok(await api.importOne(hardwareId, ""))["results"][0]["claim_key"];
    const answers = await Promise.all(Array.from({ length: 10 }, () => api.claim(claimKey, hardwareId)));
    expect(answers.filter((o) => "ok" in o)).toHaveLength(tight.perKey.points);
    expect(refused(answers)).toHaveLength(10 - tight.perKey.points);
  });

  test("counters whose window has ended are swept by a new replica's first claim", async () => {
    const expired = Date.now() - 1000;
    await service.db.pool.query(`INSERT INTO claim_rate_limits (key, points, expire) VALUES ('address:192.0.2.1', 3, $1), ('key:gone', 1, $1)`, [expired]);
    const replica = await startTestService({ claimRateLimits: tight, replicaOf: service });
    try {
      const replicaApi = restFactoryApi(replica.baseUrl, "");
      expect(await replicaApi.claim(`ck_${randomBytes(24).toString("base64url")}`, "HW-SWEEP")).toEqual({
        error: { code: "UNAUTHENTICATED", message: "Not authorized" },
      });
      const { rows } = await service.db.pool.query(`SELECT key FROM claim_rate_limits ORDER BY key`);
      expect(rows.map((r) => r["key"])).toEqual(["address:127.0.0.1", expect.stringMatching(/^key:/)]);
    } finally {
      await replica.stop();
    }
  });
});
