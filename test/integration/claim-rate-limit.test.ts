import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { randomBytes, randomUUID } from "node:crypto";
import { ClaimDeviceRequestSchema, DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
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

  async function post(path: string, body: unknown, token?: string) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers["authorization"] = `Bearer ${token}`;
    const res = await fetch(`${service.baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Record<string, any> };
  }
  /** The answer to a claim; `retryAfter` only when the service sent the header. */
  async function claim(claimKey: string, hardwareId: string): Promise<{ status: number; body: Record<string, any>; retryAfter?: string }> {
    const { retryAfter, ...rest } = await post("/api/v1/devices:claim", { claim_key: claimKey, hardware_id: hardwareId });
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
      expect(res).toEqual({ status: 429, retryAfter: expect.stringMatching(/^\d+$/), body: { code: "RESOURCE_EXHAUSTED", message: expect.stringMatching(TOO_MANY) } });
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
        await expect(attempt(guess(), i % 2 === 0 ? "HW-RL-2" : "HW-RL-NOBODY")).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, details: "Not authorized" });
      }
      const err = (await attempt(guess(), "HW-RL-2").then(() => undefined, (e: unknown) => e)) as ServiceError;
      expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      const [retryAfter] = err.metadata.get("retry-after");
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(limits.perAddress.seconds);
      expect(err.details).toBe(`too many attempts; retry after ${String(retryAfter)} s`);
    } finally {
      client.close();
    }
  });

  test("one key is limited on its own: its device re-claims up to the limit while other keys still get their answer", async () => {
    const claimKey = await importOne("HW-RL-3");
    for (let i = 0; i < limits.perKey.points; i++) expect((await claim(claimKey, "HW-RL-3")).status).toBe(200);
    expect(await claim(claimKey, "HW-RL-3")).toMatchObject({ status: 429, retryAfter: expect.stringMatching(/^\d+$/), body: { code: "RESOURCE_EXHAUSTED" } });
    // Four attempts from this address so far (under its limit of five): another key is still answered.
    expect(await claim(guess(), "HW-RL-3")).toEqual(NOT_AUTHORIZED);
  });
});
