import { randomUUID } from "node:crypto";
import { startTestService, type TestService } from "../support/test-service.js";

const NOT_AUTHORIZED = { code: "UNAUTHENTICATED", message: "Not authorized" };

describe("device-facing calls authenticated by the device's api_key", () => {
  let service: TestService;
  let admin: string;
  const tenant = randomUUID();
  let gateway: { device_id: string; api_key: string };

  async function call(method: string, path: string, authorization: string | undefined, body?: unknown) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (authorization !== undefined) headers["authorization"] = authorization;
    const res = await fetch(`${service.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  beforeAll(async () => {
    service = await startTestService();
    admin = await service.token(tenant);
    gateway = (await call("POST", "/api/v1/devices", `Bearer ${admin}`, { name: "gw", hardware_id: "HW-GW", is_gateway: true, config: { poll_s: 5 } }))
      .body as typeof gateway;
  });
  afterAll(() => service.stop());

  test("a gateway registers its children; a repeat returns them as they are; a hardware_id used elsewhere is ALREADY_EXISTS", async () => {
    await call("POST", "/api/v1/devices", `Bearer ${admin}`, { name: "elsewhere", hardware_id: "HW-TAKEN" });
    const children = [
      { hardware_id: "HW-CHILD-1", name: "child 1", firmware: "0.9" },
      { hardware_id: "HW-CHILD-2" },
      { hardware_id: "HW-TAKEN" },
      { hardware_id: "bad id" },
    ];
    const first = await call("POST", `/api/v1/devices/${gateway.device_id}/children`, gateway.api_key, { children });
    expect(first.status).toBe(200);
    const [one, two, taken, bad] = first.body["results"];
    expect(one).toEqual({ hardware_id: "HW-CHILD-1", device_id: expect.any(String) });
    expect(two).toEqual({ hardware_id: "HW-CHILD-2", device_id: expect.any(String) });
    expect(taken).toEqual({
      hardware_id: "HW-TAKEN",
      error: { code: "ALREADY_EXISTS", message: 'device with hardware_id "HW-TAKEN" already exists in this tenant' },
    });
    expect(bad.error.code).toBe("INVALID_ARGUMENT");

    const again = await call("POST", `/api/v1/devices/${gateway.device_id}/children`, `Bearer ${gateway.api_key}`, { children: children.slice(0, 2) });
    expect(again.body["results"]).toEqual([one, two]);

    const stored = await call("GET", `/api/v1/devices?gateway_id=${gateway.device_id}`, `Bearer ${admin}`);
    expect(stored.body["devices"].map((d: { hardware_id: string }) => d.hardware_id).sort()).toEqual(["HW-CHILD-1", "HW-CHILD-2"]);
    expect(stored.body["devices"][0]).toMatchObject({ tenant_id: tenant, gateway_id: gateway.device_id });
    // Children hold no credential of their own; their registration names the gateway.
    const credentials = await service.db.pool.query("SELECT count(*)::int AS n FROM device_credentials WHERE device_id = ANY ($1::uuid[])", [
      [one.device_id, two.device_id],
    ]);
    expect(credentials.rows[0].n).toBe(0);
    const event = await service.db.pool.query("SELECT payload FROM outbox WHERE subject = $1", [one.device_id]);
    expect(event.rows[0].payload).toMatchObject({ method: "REGISTRATION_METHOD_GATEWAY", actor: gateway.device_id });
  });

  test("a device that is not a gateway may not register children", async () => {
    const plain = (await call("POST", "/api/v1/devices", `Bearer ${admin}`, { name: "plain", hardware_id: "HW-PLAIN" })).body;
    const res = await call("POST", `/api/v1/devices/${plain["device_id"]}/children`, plain["api_key"], { children: [{ hardware_id: "HW-X" }] });
    expect(res).toEqual({ status: 403, body: { code: "PERMISSION_DENIED", message: "the device is not a gateway" } });
  });

  test("a device reads its own config with its api_key, and nothing with anything else", async () => {
    const own = await call("GET", `/api/v1/devices/${gateway.device_id}/config`, gateway.api_key);
    expect(own).toEqual({ status: 200, body: { device_id: gateway.device_id, config: { poll_s: 5 }, etag: '"1"' } });
    const other = (await call("POST", "/api/v1/devices", `Bearer ${admin}`, { name: "o", hardware_id: "HW-OTHER" })).body;
    expect(await call("GET", `/api/v1/devices/${gateway.device_id}/config`, other["api_key"])).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect(await call("GET", `/api/v1/devices/${gateway.device_id}/config`, undefined)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    // An admin token never passes as a device, and a device key never opens an admin RPC.
    expect(await call("GET", `/api/v1/devices/${gateway.device_id}/config`, `Bearer ${admin}`)).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect((await call("GET", `/api/v1/devices/${gateway.device_id}`, `Bearer ${gateway.api_key}`)).status).toBe(401);
  });

  test("a child its gateway registered has no credential to rotate; detached from the gateway it gets its first", async () => {
    const [child] = (await call("POST", `/api/v1/devices/${gateway.device_id}/children`, gateway.api_key, { children: [{ hardware_id: "HW-CHILD-ROT" }] }))
      .body["results"];
    const rotate = () => call("POST", `/api/v1/devices/${child.device_id}:rotateCredential`, `Bearer ${admin}`, {});
    const credentials = async () =>
      (await service.db.pool.query("SELECT count(*)::int AS n FROM device_credentials WHERE device_id = $1", [child.device_id])).rows[0].n;
    const rotations = async () =>
      (await service.db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE subject = $1 AND event_type = 'device.credential_rotated'", [child.device_id]))
        .rows[0].n;

    expect(await rotate()).toEqual({
      status: 400,
      body: { code: "FAILED_PRECONDITION", message: `device "${child.device_id}" connects through its gateway and holds no credential of its own` },
    });
    expect(await credentials()).toBe(0);
    expect(await rotations()).toBe(0);

    expect((await call("PATCH", `/api/v1/devices/${child.device_id}?update_mask=gateway_id`, `Bearer ${admin}`, {})).status).toBe(200);
    const issued = await rotate();
    expect(issued.status).toBe(200);
    expect(issued.body["api_key"]).toMatch(/^sk_live_/);
    expect(await credentials()).toBe(1);
    expect(await rotations()).toBe(1);
    expect((await call("GET", `/api/v1/devices/${child.device_id}/config`, issued.body["api_key"])).status).toBe(200);
  });

  test("after rotation and deletion the old key answers 401 Not authorized", async () => {
    const device = (await call("POST", "/api/v1/devices", `Bearer ${admin}`, { name: "d", hardware_id: "HW-GONE" })).body;
    const path = `/api/v1/devices/${device["device_id"]}/config`;
    expect((await call("GET", path, device["api_key"])).status).toBe(200);
    const rotated = (await call("POST", `/api/v1/devices/${device["device_id"]}:rotateCredential`, `Bearer ${admin}`, {})).body;
    expect(await call("GET", path, device["api_key"])).toEqual({ status: 401, body: NOT_AUTHORIZED });
    expect((await call("GET", path, rotated["api_key"])).status).toBe(200);
    await call("DELETE", `/api/v1/devices/${device["device_id"]}`, `Bearer ${admin}`);
    expect(await call("GET", path, rotated["api_key"])).toEqual({ status: 401, body: NOT_AUTHORIZED });
  });
});
