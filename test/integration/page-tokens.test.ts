import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const BAD_TOKEN = { code: "INVALID_ARGUMENT", message: "page_token: is not a token returned by this method" };

/** The three List methods over REST, each with what a page of it names (ids a token must not reveal). */
const LISTS = [
  { name: "ListDevices", path: "/api/v1/devices", items: "devices", ids: (item: Json) => [item["device_id"], item["hardware_id"], item["created_at"]] },
  { name: "ListDeviceClaims", path: "/api/v1/deviceClaims", items: "claims", ids: (item: Json) => [item["hardware_id"], item["created_at"]] },
  { name: "ListDeviceProfiles", path: "/api/v1/profiles", items: "profiles", ids: (item: Json) => [item["profile_id"], item["created_at"]] },
] as const;

describe("page tokens are opaque and bound to the tenant", () => {
  let service: TestService;
  let api: RestApi;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    for (const tenant of ["A", "B"]) {
      const token = await service.token(randomUUID());
      tokens.set(tenant, token);
      for (let i = 0; i < 3; i++) {
        await api.register(token, { name: "paged", hardware_id: `HW-PAGED-${tenant}-${i}` });
        expect((await api.call("POST", "/api/v1/profiles", token, { profile_id: `p_paged_${tenant.toLowerCase()}_${i}` })).status).toBe(200);
      }
      const imported = await api.call("POST", "/api/v1/devices:import", token, {
        devices: [0, 1, 2].map((i) => ({ hardware_id: `HW-CLAIM-${tenant}-${i}` })),
      });
      expect(imported.status).toBe(200);
    }
  });
  afterAll(async () => service.stop());

  test.each(LISTS)("$name: another tenant's token is INVALID_ARGUMENT; the own tenant's works", async ({ path, items }) => {
    const ofB = await api.call("GET", `${path}?page_size=1`, tokens.get("B")!);
    expect(ofB.status).toBe(200);
    const next = ofB.body["next_page_token"] as string;
    expect(next).toEqual(expect.any(String));
    expect(await api.call("GET", `${path}?page_size=1&page_token=${encodeURIComponent(next)}`, tokens.get("A")!)).toEqual({ status: 400, body: BAD_TOKEN });
    const own = await api.call("GET", `${path}?page_size=1&page_token=${encodeURIComponent(next)}`, tokens.get("B")!);
    expect(own.status).toBe(200);
    expect(own.body[items]).toHaveLength(1);
    expect(own.body[items][0]).not.toEqual(ofB.body[items][0]);
  });

  test.each(LISTS)("$name: a token read as base64 reveals no id, hardware_id or timestamp", async ({ path, items, ids }) => {
    const page = await api.call("GET", `${path}?page_size=1`, tokens.get("A")!);
    const token = page.body["next_page_token"] as string;
    const secrets = (ids(page.body[items][0]) as string[]).filter((s) => s !== undefined);
    expect(secrets.length).toBeGreaterThan(0);
    for (const encoding of ["base64url", "base64"] as const) {
      const decoded = Buffer.from(token, encoding).toString("latin1");
      for (const secret of secrets) expect(decoded).not.toContain(secret);
      // No timestamp, UUID, name or JSON key in clear (patterns long enough not to occur in random bytes).
      expect(decoded).not.toMatch(/\d{4}-\d\d-\d\dT|[0-9a-f]{8}-[0-9a-f]{4}-|HW-|p_paged|"after"|"c":"|"d":"/);
    }
  });

  test("gRPC: ListDevices with another tenant's token is INVALID_ARGUMENT", async () => {
    const client = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    const list = DeviceRegistryService.method.listDevices;
    const auth = (tenant: string) => ({ authorization: `Bearer ${tokens.get(tenant)}` });
    try {
      const ofB = await client.call(list, create(list.input, { pageSize: 1 }), auth("B"));
      expect(ofB.nextPageToken).not.toBe("");
      const crossed = client.call(list, create(list.input, { pageSize: 1, pageToken: ofB.nextPageToken }), auth("A"));
      await expect(crossed).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: BAD_TOKEN.message } satisfies Partial<ServiceError>);
      const own = await client.call(list, create(list.input, { pageSize: 1, pageToken: ofB.nextPageToken }), auth("B"));
      expect(own.devices).toHaveLength(1);
    } finally {
      client.close();
    }
  });
});
