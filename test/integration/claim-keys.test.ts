import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { DeviceClaim_State } from "../../gen/deviceregistry/v1/device_claim_pb.js";
import { DeviceRegistryService, ListDeviceClaimsRequestSchema, RevokeClaimKeysRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const NOT_AUTHORIZED = { status: 401, body: { code: "UNAUTHENTICATED", message: "Not authorized" } };

describe("claim keys of imported devices: their state and their revocation", () => {
  let service: TestService;
  let admin: string;
  let otherAdmin: string;
  let api: RestApi;

  const call = (method: string, path: string, token: string | undefined, body?: unknown) => api.call(method, path, token, body);
  const importKeys = async (token: string, hardwareIds: string[]): Promise<string[]> =>
    (await call("POST", "/api/v1/devices:import", token, { devices: hardwareIds.map((hardware_id) => ({ hardware_id })) })).body["results"].map(
      (r: { claim_key: string }) => r.claim_key,
    );
  const claim = (claimKey: string, hardwareId: string) => call("POST", "/api/v1/devices:claim", undefined, { claim_key: claimKey, hardware_id: hardwareId });
  const revoke = (token: string, hardwareIds: string[]) => call("POST", "/api/v1/devices:revokeClaimKeys", token, { hardware_ids: hardwareIds });
  const claimRows = async (hardwareIds: string[]) =>
    (await service.db.pool.query("SELECT hardware_id FROM device_claims WHERE hardware_id = ANY ($1) ORDER BY hardware_id", [hardwareIds])).rows.map(
      (r) => r.hardware_id,
    );

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    admin = await service.token(randomUUID());
    otherAdmin = await service.token(randomUUID());
  });
  afterAll(() => service.stop());

  test("revoked keys answer like wrong ones at once, the others still claim, and the hardware_ids take new keys", async () => {
    const [keyA, keyB, keyC] = await importKeys(admin, ["HW-RV-A", "HW-RV-B", "HW-RV-C"]);
    const revoked = await revoke(admin, ["HW-RV-A", "HW-RV-B", "HW-RV-NONE", "bad id", "HW-RV-A"]);
    expect(revoked.status).toBe(200);
    expect(revoked.body["results"]).toEqual([
      { hardware_id: "HW-RV-A" },
      { hardware_id: "HW-RV-B" },
      { hardware_id: "HW-RV-NONE", error: { code: "NOT_FOUND", message: 'no claim key for hardware_id "HW-RV-NONE" in this tenant' } },
      { hardware_id: "bad id", error: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/^hardware_ids\[3\]: /) } },
      { hardware_id: "HW-RV-A" },
    ]);
    expect(await claimRows(["HW-RV-A", "HW-RV-B", "HW-RV-C"])).toEqual(["HW-RV-C"]);

    expect(await claim(keyA!, "HW-RV-A")).toEqual(NOT_AUTHORIZED);
    expect(await claim(keyB!, "HW-RV-B")).toEqual(NOT_AUTHORIZED);
    expect((await claim(keyC!, "HW-RV-C")).status).toBe(200);
    const devices = await service.db.pool.query("SELECT hardware_id FROM devices WHERE hardware_id IN ('HW-RV-A', 'HW-RV-B')");
    expect(devices.rows).toEqual([]);

    const [newKeyA] = await importKeys(admin, ["HW-RV-A"]);
    expect(newKeyA).toMatch(/^ck_/);
    expect(await claim(keyA!, "HW-RV-A")).toEqual(NOT_AUTHORIZED);
    expect(await claim(newKeyA!, "HW-RV-A")).toMatchObject({
      status: 200,
      body: { device_id: expect.any(String), api_key: expect.stringMatching(/^sk_live_/) },
    });
  });

  test("a claimed device keeps its credential, but its leaked key can no longer re-claim it", async () => {
    const [key] = await importKeys(admin, ["HW-RV-CLAIMED"]);
    const claimed = await claim(key!, "HW-RV-CLAIMED");
    expect(claimed.status).toBe(200);
    const { device_id: deviceId, api_key: apiKey } = claimed.body;

    expect((await revoke(admin, ["HW-RV-CLAIMED"])).body["results"]).toEqual([{ hardware_id: "HW-RV-CLAIMED" }]);
    // Without revocation a re-claim would hand the key's holder a fresh credential and lock the device out.
    expect(await claim(key!, "HW-RV-CLAIMED")).toEqual(NOT_AUTHORIZED);
    const config = await fetch(`${service.baseUrl}/api/v1/devices/${deviceId}/config`, { headers: { authorization: apiKey } });
    expect(config.status).toBe(200);
    // The device exists, so its hardware_id is not imported again.
    const again = await call("POST", "/api/v1/devices:import", admin, { devices: [{ hardware_id: "HW-RV-CLAIMED" }] });
    expect(again.body["results"][0]["error"]["code"]).toBe("ALREADY_EXISTS");
  });

  test("another tenant's keys are NOT_FOUND and keep working", async () => {
    const [key] = await importKeys(admin, ["HW-RV-MINE"]);
    expect((await revoke(otherAdmin, ["HW-RV-MINE"])).body["results"]).toEqual([
      { hardware_id: "HW-RV-MINE", error: { code: "NOT_FOUND", message: 'no claim key for hardware_id "HW-RV-MINE" in this tenant' } },
    ]);
    expect(await claimRows(["HW-RV-MINE"])).toEqual(["HW-RV-MINE"]);
    expect((await claim(key!, "HW-RV-MINE")).status).toBe(200);
  });

  test("ListDeviceClaims shows each imported device's key state by hardware_id, never the key", async () => {
    const tenantAdmin = await service.token(randomUUID());
    const ids = ["HW-LS-CLAIMED", "HW-LS-DELETED", "HW-LS-EXPIRED", "HW-LS-PENDING", "HW-LS-REVOKED"];
    const keys = await importKeys(tenantAdmin, ids);
    const claimed = (await claim(keys[0]!, "HW-LS-CLAIMED")).body;
    const deleted = (await claim(keys[1]!, "HW-LS-DELETED")).body;
    expect((await call("DELETE", `/api/v1/devices/${deleted["device_id"]}`, tenantAdmin)).status).toBe(200);
    await service.db.pool.query("UPDATE device_claims SET expires_at = now() - interval '1 second' WHERE hardware_id = 'HW-LS-EXPIRED'");
    await revoke(tenantAdmin, ["HW-LS-REVOKED"]);

    const all = await call("GET", "/api/v1/deviceClaims", tenantAdmin);
    expect(all.status).toBe(200);
    const timestamps = { created_at: expect.stringMatching(/Z$/), expires_at: expect.stringMatching(/Z$/) };
    expect(all.body).toEqual({
      claims: [
        { hardware_id: "HW-LS-CLAIMED", name: "HW-LS-CLAIMED", state: "STATE_CLAIMED", device_id: claimed["device_id"], ...timestamps },
        // Its device was deleted: the key would claim a new one.
        { hardware_id: "HW-LS-DELETED", name: "HW-LS-DELETED", state: "STATE_PENDING", ...timestamps },
        { hardware_id: "HW-LS-EXPIRED", name: "HW-LS-EXPIRED", state: "STATE_EXPIRED", ...timestamps },
        { hardware_id: "HW-LS-PENDING", name: "HW-LS-PENDING", state: "STATE_PENDING", ...timestamps },
      ],
    });
    expect(await claim(keys[2]!, "HW-LS-EXPIRED")).toEqual(NOT_AUTHORIZED);

    const pending = await call("GET", "/api/v1/deviceClaims?state=STATE_PENDING", tenantAdmin);
    expect(pending.body["claims"].map((c: { hardware_id: string }) => c.hardware_id)).toEqual(["HW-LS-DELETED", "HW-LS-PENDING"]);
    // Another tenant sees none of them.
    expect(await call("GET", "/api/v1/deviceClaims", otherAdmin)).toEqual({ status: 200, body: { claims: [] } });
  });

  test("ListDeviceClaims pages by hardware_id; a page token works only with the filter it came with", async () => {
    const tenantAdmin = await service.token(randomUUID());
    const ids = Array.from({ length: 7 }, (_, i) => `HW-PG-${i}`);
    await importKeys(tenantAdmin, [...ids].reverse());
    const seen: string[] = [];
    let token = "";
    do {
      const page = await call("GET", `/api/v1/deviceClaims?page_size=3${token ? `&page_token=${encodeURIComponent(token)}` : ""}`, tenantAdmin);
      expect(page.body["claims"].length).toBeLessThanOrEqual(3);
      seen.push(...page.body["claims"].map((c: { hardware_id: string }) => c.hardware_id));
      token = page.body["next_page_token"] ?? "";
    } while (token !== "");
    expect(seen).toEqual(ids);

    const first = await call("GET", "/api/v1/deviceClaims?page_size=3", tenantAdmin);
    const crossed = await call("GET", `/api/v1/deviceClaims?state=STATE_PENDING&page_token=${encodeURIComponent(first.body["next_page_token"])}`, tenantAdmin);
    expect(crossed).toEqual({
      status: 400,
      body: {
        code: "INVALID_ARGUMENT",
        message: "page_token: was issued for other filters: send the filters of the first page with it, or no page_token to start over",
      },
    });
  });

  test("gRPC: per-entry results; an empty or oversized request is INVALID_ARGUMENT and revokes nothing", async () => {
    await importKeys(admin, ["HW-RV-GRPC", "HW-RV-GRPC-PENDING"]);
    const client = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    const revokeOver = (hardwareIds: string[]) =>
      client.call(DeviceRegistryService.method.revokeClaimKeys, create(RevokeClaimKeysRequestSchema, { hardwareIds }), { authorization: `Bearer ${admin}` });
    try {
      await expect(revokeOver([])).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: "hardware_ids: must have at least one entry" });
      const tooMany = Array.from({ length: 10_001 }, (_, i) => (i === 0 ? "HW-RV-GRPC" : `HW-RV-X-${i}`));
      await expect(revokeOver(tooMany)).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: "hardware_ids: must have at most 10000 entries" });
      expect(await claimRows(["HW-RV-GRPC"])).toEqual(["HW-RV-GRPC"]);

      const reply = await revokeOver(["HW-RV-GRPC"]);
      expect(reply.results.map((r) => ({ hardwareId: r.hardwareId, error: r.error }))).toEqual([{ hardwareId: "HW-RV-GRPC", error: undefined }]);
      expect(await claimRows(["HW-RV-GRPC"])).toEqual([]);

      const list = (state: number) =>
        client.call(DeviceRegistryService.method.listDeviceClaims, create(ListDeviceClaimsRequestSchema, { state }), { authorization: `Bearer ${admin}` });
      const pending = await list(DeviceClaim_State.PENDING);
      expect(pending.claims.map((c) => [c.hardwareId, c.state, c.deviceId])).toEqual([["HW-RV-GRPC-PENDING", DeviceClaim_State.PENDING, ""]]);
      await expect(list(9)).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: "state: unknown state 9" });
    } finally {
      client.close();
    }
  });
});
