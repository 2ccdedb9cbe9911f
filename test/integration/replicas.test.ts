import { randomUUID } from "node:crypto";
import { grpcFactoryApi, ok, restFactoryApi, type FactoryApi } from "../support/factory-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

// Two replicas of the service on one database, called over REST (a) and gRPC (b): what one
// replica revokes, the other refuses on the very next call, with no cache to go stale.

const NOT_AUTHORIZED = { error: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const limits = { perAddress: { points: 8, seconds: 60 }, perKey: { points: 100, seconds: 60 } };

describe("two replicas on one database", () => {
  let first: TestService;
  let second: TestService;
  let a: FactoryApi;
  let b: FactoryApi;

  beforeAll(async () => {
    first = await startTestService({ claimRateLimits: limits });
    second = await startTestService({ claimRateLimits: limits, replicaOf: first });
    const admin = await first.token(randomUUID());
    a = restFactoryApi(first.baseUrl, admin);
    b = grpcFactoryApi(`127.0.0.1:${second.port}`, admin);
  });
  beforeEach(() => first.db.pool.query("DELETE FROM claim_rate_limits"));
  afterAll(async () => {
    a.close();
    b.close();
    await second.stop();
    await first.stop();
  });

  test("a re-claim, a rotation or a deletion on one replica revokes the old credential on the other at once", async () => {
    const claimKey = ok(await a.importOne("HW-REPLICA-1", "", true))["results"][0]["claim_key"];
    const claimed = ok(await b.claim(claimKey, "HW-REPLICA-1"));
    const deviceId = claimed["device_id"];
    expect(ok(await a.config(deviceId, claimed["api_key"]))["device_id"]).toBe(deviceId);

    const reclaimed = ok(await a.claim(claimKey, "HW-REPLICA-1"));
    expect(reclaimed["device_id"]).toBe(deviceId);
    expect(await b.config(deviceId, claimed["api_key"])).toEqual(NOT_AUTHORIZED);
    expect(ok(await b.config(deviceId, reclaimed["api_key"]))["device_id"]).toBe(deviceId);

    expect(ok(await a.registerChildren(deviceId, reclaimed["api_key"], ["HW-REPLICA-C1"]))["results"]).toHaveLength(1);

    const rotated = ok(await b.rotate(deviceId));
    expect(await a.config(deviceId, reclaimed["api_key"])).toEqual(NOT_AUTHORIZED);
    expect(await a.registerChildren(deviceId, reclaimed["api_key"], ["HW-REPLICA-C2"])).toEqual(NOT_AUTHORIZED);
    expect(ok(await a.config(deviceId, rotated["api_key"]))["device_id"]).toBe(deviceId);
    expect(ok(await b.registerChildren(deviceId, rotated["api_key"], ["HW-REPLICA-C2"]))["results"][0]).toMatchObject({ hardware_id: "HW-REPLICA-C2" });

    ok(await a.deleteDevice(deviceId));
    expect(await b.config(deviceId, rotated["api_key"])).toEqual(NOT_AUTHORIZED);
    expect(await b.registerChildren(deviceId, rotated["api_key"], ["HW-REPLICA-C3"])).toEqual(NOT_AUTHORIZED);
    expect(await a.config(deviceId, rotated["api_key"])).toEqual(NOT_AUTHORIZED);
  });

  test("claim attempts count against one limit across replicas", async () => {
    const claimKey = ok(await a.importOne("HW-REPLICA-2", ""))["results"][0]["claim_key"];
    for (let i = 0; i < limits.perAddress.points; i++) {
      const api = i % 2 === 0 ? a : b;
      expect(await api.claim(`ck_${randomUUID().replaceAll("-", "")}`, "HW-REPLICA-2")).toEqual(NOT_AUTHORIZED);
    }
    // Eight attempts, four on each replica: the ninth is refused on both, even with the right key.
    for (const api of [a, b]) {
      expect(await api.claim(claimKey, "HW-REPLICA-2")).toEqual({
        error: { code: "RESOURCE_EXHAUSTED", message: expect.stringMatching(/^too many attempts; retry after \d+ s$/) },
      });
    }
  });
});
