import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { randomBytes, randomUUID } from "node:crypto";
import { ClaimDeviceRequestSchema, DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { trustedProxyList } from "../../src/server/client-address.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

// Guessing claim keys: every attempt counts per client address and per key, whatever the answer.
const limits = { perAddress: { points: 5, seconds: 60 }, perKey: { points: 3, seconds: 60 } };
const NOT_AUTHORIZED = { status: 401, body: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const TOO_MANY = /^too many attempts; retry after (\d+) s$/;

/** A well-formed claim key nobody was given. */
const guess = () => `ck_${randomBytes(24).toString("base64url")}`;

describe("ClaimDevice rate limits", () => {
  let service: TestService;
  let admin: string;

  async function post(path: string, body: unknown, token?: string, forwardedFor?: string) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers["authorization"] = `Bearer ${token}`;
    if (forwardedFor) headers["x-forwarded-for"] = forwardedFor;
    const res = await fetch(`${service.baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, any> };
  }
  /** The answer to a claim; `retryAfter` only when the service sent the header. */
  async function claim(
    claimKey: string,
    hardwareId: string,
    forwardedFor?: string,
  ): Promise<{ status: number; body: Record<string, any>; retryAfter?: string }> {
    const { retryAfter, ...rest } = await post("/api/v1/devices:claim", { claim_key: claimKey, hardware_id: hardwareId }, undefined, forwardedFor);
    return retryAfter === null ? rest : { ...rest, retryAfter };
  }
  async function importOne(hardwareId: string): Promise<string> {
    return (await post("/api/v1/devices:import", { devices: [{ hardware_id: hardwareId }] }, admin)).body["results"][0]["claim_key"];
  }

  beforeAll(async () => {
    service = await startTestService({ claimRateLimits: limits });
    admin = await service.token(randomUUID());
  });
  // Each test starts with fresh counters (all its calls come from 127.0.0.1).
  beforeEach(() => service.db.pool.query("DELETE FROM claim_rate_limits"));
  afterAll(() => service.stop());

  test("REST: wrong and unknown keys get one answer; past the limit it is 429 with Retry-After, even for the right key", async () => {
    const claimKey = await importOne("HW-RL-1");
    // A wrong key for an imported hardware_id and any key for an unknown one are indistinguishable.
    for (let i = 0; i < limits.perAddress.points; i++) {
      expect(await claim(guess(), i % 2 === 0 ? "HW-RL-1" : `HW-RL-UNKNOWN-${i}`)).toEqual(NOT_AUTHORIZED);
    }
    const limited = [await claim(guess(), "HW-RL-1"), await claim(guess(), "HW-RL-UNKNOWN"), await claim(claimKey, "HW-RL-1")];
    for (const res of limited) {
      expect(res).toEqual({
        status: 429,
        retryAfter: expect.stringMatching(/^\d+$/),
        body: { code: "RESOURCE_EXHAUSTED", message: expect.stringMatching(TOO_MANY) },
      });
      const seconds = Number(res.retryAfter);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(limits.perAddress.seconds);
      expect(res.body["message"]).toBe(`too many attempts; retry after ${seconds} s`);
    }
    const devices = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id = 'HW-RL-1'");
    expect(devices.rows[0].n).toBe(0);
  });

  test("gRPC: past the limit it is RESOURCE_EXHAUSTED with a retry-after hint", async () => {
    await importOne("HW-RL-2");
    const client = createGrpcJsClient(DeviceProvisioningService, `127.0.0.1:${service.port}`);
    const attempt = (claimKey: string, hardwareId: string) =>
      client.call(DeviceProvisioningService.method.claimDevice, create(ClaimDeviceRequestSchema, { claimKey, hardwareId }));
    try {
      for (let i = 0; i < limits.perAddress.points; i++) {
        await expect(attempt(guess(), i % 2 === 0 ? "HW-RL-2" : "HW-RL-NOBODY")).rejects.toMatchObject({
          code: GrpcStatus.UNAUTHENTICATED,
          details: "Not authorized",
        });
      }
      const err = (await attempt(guess(), "HW-RL-2").then(
        () => undefined,
        (e: unknown) => e,
      )) as ServiceError;
      expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      const [retryAfter] = err.metadata.get("retry-after");
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(limits.perAddress.seconds);
      expect(err.details).toBe(`too many attempts; retry after ${String(retryAfter)} s`);
    } finally {
      client.close();
    }
  });

  test("x-forwarded-for from a peer that is not a trusted proxy changes nothing: the peer is counted", async () => {
    for (let i = 0; i < limits.perAddress.points; i++) {
      expect(await claim(guess(), "HW-RL-SPOOF", `203.0.113.${i + 1}`)).toEqual(NOT_AUTHORIZED);
    }
    expect((await claim(guess(), "HW-RL-SPOOF", "203.0.113.99")).status).toBe(429);
    const counted = await service.db.pool.query("SELECT key FROM claim_rate_limits WHERE key LIKE 'address%'");
    expect(counted.rows.map((r) => r.key)).toEqual(["address:127.0.0.1"]);
  });

  test("one key is limited on its own: its device re-claims up to the limit while other keys still get their answer", async () => {
    const claimKey = await importOne("HW-RL-3");
    for (let i = 0; i < limits.perKey.points; i++) expect((await claim(claimKey, "HW-RL-3")).status).toBe(200);
    expect(await claim(claimKey, "HW-RL-3")).toMatchObject({ status: 429, retryAfter: expect.stringMatching(/^\d+$/), body: { code: "RESOURCE_EXHAUSTED" } });
    // Four attempts from this address so far (under its limit of five): another key is still answered.
    expect(await claim(guess(), "HW-RL-3")).toEqual(NOT_AUTHORIZED);
  });
});

describe("ClaimDevice rate limits behind a trusted proxy", () => {
  // The test client plays the proxy: it connects from 127.0.0.1 and names the device in x-forwarded-for.
  let service: TestService;
  let grpc: ReturnType<typeof createGrpcJsClient>;

  beforeAll(async () => {
    service = await startTestService({ claimRateLimits: limits, trustedProxies: trustedProxyList(["127.0.0.1", "10.0.0.0/8"]) });
    grpc = createGrpcJsClient(DeviceProvisioningService, `127.0.0.1:${service.port}`);
  });
  beforeEach(() => service.db.pool.query("DELETE FROM claim_rate_limits"));
  afterAll(async () => {
    grpc.close();
    await service.stop();
  });

  const restClaim = async (forwardedFor: string) => {
    const res = await fetch(`${service.baseUrl}/api/v1/devices:claim`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
      body: JSON.stringify({ claim_key: guess(), hardware_id: "HW-PROXIED" }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const grpcClaim = (forwardedFor: string) =>
    grpc.call(DeviceProvisioningService.method.claimDevice, create(ClaimDeviceRequestSchema, { claimKey: guess(), hardwareId: "HW-PROXIED" }), {
      "x-forwarded-for": forwardedFor,
    });
  const countedAddresses = async () =>
    (await service.db.pool.query("SELECT key FROM claim_rate_limits WHERE key LIKE 'address%' ORDER BY key")).rows.map((r) => r.key);

  test("REST: each device address behind the proxy has a limit of its own; what the device itself sent is not believed", async () => {
    for (let i = 0; i < limits.perAddress.points; i++) {
      // A device may send its own x-forwarded-for: the proxy appends the address it saw after it.
      expect(await restClaim(`6.6.6.${i}, 203.0.113.7`)).toEqual(NOT_AUTHORIZED);
    }
    expect(await restClaim("203.0.113.7")).toMatchObject({ status: 429, body: { code: "RESOURCE_EXHAUSTED" } });
    expect(await restClaim("198.51.100.1, 203.0.113.8, 10.1.2.3")).toEqual(NOT_AUTHORIZED);
    expect(await countedAddresses()).toEqual(["address:203.0.113.7", "address:203.0.113.8"]);
  });

  test("gRPC: the same, from x-forwarded-for metadata", async () => {
    for (let i = 0; i < limits.perAddress.points; i++) {
      await expect(grpcClaim("203.0.113.20")).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: "Not authorized" });
    }
    await expect(grpcClaim("203.0.113.20")).rejects.toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED });
    await expect(grpcClaim("203.0.113.21")).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: "Not authorized" });
    expect(await countedAddresses()).toEqual(["address:203.0.113.20", "address:203.0.113.21"]);
  });
});
