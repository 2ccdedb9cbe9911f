import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { DeleteDeviceRequestSchema, DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const NOT_AUTHORIZED = { status: 401, body: { code: "UNAUTHENTICATED", message: "Not authorized" } };

describe("HTTP conventions of the REST mapping", () => {
  let service: TestService;
  let api: RestApi;
  let admin: string;

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    admin = await service.token(randomUUID());
  });
  afterAll(() => service.stop());

  const deviceRow = async (id: string) => (await service.db.pool.query("SELECT name, version FROM devices WHERE device_id = $1", [id])).rows[0];
  const rename = (id: string, name: string, headers: Record<string, string>, query = "update_mask=name") =>
    api.exchange("PATCH", `/api/v1/devices/${id}?${query}`, admin, { name }, headers);

  test("GET, POST and PATCH answer the resource's etag as the ETag header", async () => {
    const registered = await api.exchange("POST", "/api/v1/devices", admin, { name: "etag", hardware_id: "HW-ETAG-1" }, {});
    expect(registered.headers.get("etag")).toBe(registered.body["etag"]);
    const id = registered.body["device_id"] as string;
    const got = await api.exchange("GET", `/api/v1/devices/${id}`, admin, undefined, {});
    expect([got.status, got.headers.get("etag")]).toEqual([200, registered.body["etag"]]);
    const patched = await rename(id, "renamed", {});
    expect(patched.status).toBe(200);
    expect(patched.headers.get("etag")).toBe(patched.body["etag"]);
    expect(patched.headers.get("etag")).not.toBe(registered.body["etag"]);
    const profile = await api.exchange("POST", "/api/v1/profiles", admin, { profile_id: "p_etag" }, {});
    expect(profile.headers.get("etag")).toBe(profile.body["etag"]);
    // Answers without an etag carry no header.
    expect((await api.exchange("GET", "/api/v1/devices", admin, undefined, {})).headers.get("etag")).toBeNull();
  });

  test("If-Match on PATCH: the current etag applies; a stale or weak one is 409 ABORTED and changes nothing", async () => {
    const device = await api.register(admin, { name: "if-match", hardware_id: "HW-IFM-1" });
    const id = device["device_id"] as string;
    const applied = await rename(id, "first", { "if-match": device["etag"] });
    expect(applied).toMatchObject({ status: 200, body: { name: "first" } });
    const after = await deviceRow(id);

    const stale = await rename(id, "stale", { "if-match": device["etag"] });
    expect([stale.status, stale.body]).toEqual([409, { code: "ABORTED", message: `etag ${device["etag"]} is not current: the device changed` }]);
    const weak = await rename(id, "weak", { "if-match": `W/${applied.body["etag"]}` });
    expect([weak.status, weak.body["code"]]).toEqual([409, "ABORTED"]);
    expect(await deviceRow(id)).toEqual(after);

    // "*" only asks that the device exist; the profile RPC honours If-Match too.
    expect(await rename(id, "any", { "if-match": "*" })).toMatchObject({ status: 200, body: { name: "any" } });
    const profile = (await api.call("POST", "/api/v1/profiles", admin, { profile_id: "p_ifm" })).body;
    const patchProfile = (etag: string) => api.exchange("PATCH", "/api/v1/profiles/p_ifm?update_mask=firmware", admin, { firmware: "2" }, { "if-match": etag });
    expect((await patchProfile(profile["etag"])).status).toBe(200);
    expect(await patchProfile(profile["etag"])).toMatchObject({ status: 409, body: { code: "ABORTED" } });
  });

  test("an If-Match that cannot be honoured is INVALID_ARGUMENT, never ignored", async () => {
    const device = await api.register(admin, { name: "if-match bad", hardware_id: "HW-IFM-2" });
    const id = device["device_id"] as string;
    const before = await deviceRow(id);
    expect(await rename(id, "two", { "if-match": `${device["etag"]}, "99"` })).toMatchObject({
      status: 400,
      body: { code: "INVALID_ARGUMENT", message: "If-Match must hold one entity tag" },
    });
    expect(await rename(id, "both", { "if-match": device["etag"] }, `update_mask=name&etag=%2299%22`)).toMatchObject({
      status: 400,
      body: { code: "INVALID_ARGUMENT", message: `If-Match ${device["etag"]} and the etag parameter "99" differ` },
    });
    const deleted = await api.exchange("DELETE", `/api/v1/devices/${id}`, admin, undefined, { "if-match": device["etag"] });
    expect([deleted.status, deleted.body]).toEqual([400, { code: "INVALID_ARGUMENT", message: "If-Match is not supported by DeleteDevice: it has no etag" }]);
    expect(await deviceRow(id)).toEqual(before);
  });

  test("?etag= takes the version without its quotes, so it needs no URL-encoding", async () => {
    const device = await api.register(admin, { name: "bare etag", hardware_id: "HW-ETAG-BARE" });
    const id = device["device_id"] as string;
    const bare = String(device["etag"]).replaceAll('"', "");
    expect(bare).toMatch(/^\d+$/);
    expect(await rename(id, "bare", {}, `update_mask=name&etag=${bare}`)).toMatchObject({ status: 200, body: { name: "bare" } });
    expect(await rename(id, "again", {}, `update_mask=name&etag=${bare}`)).toMatchObject({ status: 409, body: { code: "ABORTED" } });
  });

  test("empty lists and maps are written out on REST; Connect JSON keeps proto3's omission", async () => {
    const tenant = await service.token(randomUUID());
    expect((await api.call("GET", "/api/v1/devices", tenant)).body).toEqual({ devices: [] });
    expect((await api.call("GET", "/api/v1/profiles", tenant)).body).toEqual({ profiles: [] });
    expect((await api.call("GET", "/api/v1/deviceClaims", tenant)).body).toEqual({ claims: [] });
    const device = await api.register(tenant, { name: "bare", hardware_id: "HW-EMPTY-1" });
    expect(device).toMatchObject({ groups: [], tags: {}, meta: {} });
    expect((await api.call("GET", "/api/v1/devices", tenant)).body["devices"]).toEqual([expect.objectContaining({ groups: [], tags: {} })]);

    const connect = await fetch(`${service.baseUrl}/deviceregistry.v1.DeviceRegistryService/ListDeviceProfiles`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant}`, "content-type": "application/json" },
      body: "{}",
    });
    expect([connect.status, await connect.json()]).toEqual([200, {}]);
  });

  describe("DeleteDevice of an imported device", () => {
    const importKey = async (hardwareId: string): Promise<string> =>
      (await api.call("POST", "/api/v1/devices:import", admin, { devices: [{ hardware_id: hardwareId }] })).body["results"][0]["claim_key"];
    const claim = async (claimKey: string, hardwareId: string) => {
      const res = await fetch(`${service.baseUrl}/api/v1/devices:claim`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ claim_key: claimKey, hardware_id: hardwareId }),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const claimState = async (hardwareId: string) =>
      ((await api.call("GET", `/api/v1/deviceClaims`, admin)).body["claims"] as Json[]).find((c) => c["hardware_id"] === hardwareId)?.["state"];

    test("without revoke_claim_key the claim key claims a new device; with it the key is revoked in the same call", async () => {
      const key = await importKey("HW-DEL-CLAIM");
      const first = await claim(key, "HW-DEL-CLAIM");
      expect(first.status).toBe(200);
      expect(await api.call("DELETE", `/api/v1/devices/${first.body["device_id"]}`, admin)).toEqual({ status: 200, body: {} });
      expect(await claimState("HW-DEL-CLAIM")).toBe("STATE_PENDING");
      const second = await claim(key, "HW-DEL-CLAIM");
      expect(second.status).toBe(200);
      expect(second.body["device_id"]).not.toBe(first.body["device_id"]);

      const deleted = await api.call("DELETE", `/api/v1/devices/${second.body["device_id"]}?revoke_claim_key=true`, admin);
      expect(deleted).toEqual({ status: 200, body: {} });
      expect(await claim(key, "HW-DEL-CLAIM")).toEqual(NOT_AUTHORIZED);
      expect(await claimState("HW-DEL-CLAIM")).toBeUndefined();
      const rows = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id = 'HW-DEL-CLAIM'");
      expect(rows.rows[0].n).toBe(0);
    });

    test("over gRPC, and for every device below a deleted gateway; a failed delete revokes nothing", async () => {
      const grpc = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
      const metadata = { authorization: `Bearer ${admin}` };
      try {
        const key = await importKey("HW-DEL-GRPC");
        const claimed = await claim(key, "HW-DEL-GRPC");
        const nowhere = randomUUID();
        await expect(
          grpc.call(DeviceRegistryService.method.deleteDevice, create(DeleteDeviceRequestSchema, { deviceId: nowhere, revokeClaimKey: true }), metadata),
        ).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
        expect(await claimState("HW-DEL-GRPC")).toBe("STATE_CLAIMED");

        const gateway = await api.register(admin, { name: "gw", hardware_id: "HW-DEL-GW", is_gateway: true });
        await api.call("PATCH", `/api/v1/devices/${claimed.body["device_id"]}?update_mask=gateway_id`, admin, { gateway_id: gateway["device_id"] });
        await grpc.call(
          DeviceRegistryService.method.deleteDevice,
          create(DeleteDeviceRequestSchema, { deviceId: gateway["device_id"], revokeClaimKey: true }),
          metadata,
        );
        expect(await claim(key, "HW-DEL-GRPC")).toEqual(NOT_AUTHORIZED);
        expect(await claimState("HW-DEL-GRPC")).toBeUndefined();
      } finally {
        grpc.close();
      }
    });
  });
});
