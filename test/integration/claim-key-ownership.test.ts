import { randomUUID } from "node:crypto";
import { grpcFactoryApi, ok, restFactoryApi, type FactoryApi } from "../support/factory-api.js";
import { createRestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

// A claim key only ever creates or re-claims the device it created: a hardware_id registered by
// hand or as a gateway's child is never taken over by an import's key, and while a key is pending
// its hardware_id is not registered any other way.

const NOT_AUTHORIZED = { error: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const pendingImport = (hardwareId: string) => ({
  error: {
    code: "ALREADY_EXISTS",
    message: `hardware_id "${hardwareId}" belongs to a pending import: its claim key has not been used; revoke it (RevokeClaimKeys) to register the device otherwise`,
  },
});

describe.each([
  ["REST", (s: TestService, token: string) => restFactoryApi(s.baseUrl, token)],
  ["gRPC", (s: TestService, token: string) => grpcFactoryApi(`127.0.0.1:${s.port}`, token)],
])("claim keys and the devices they did not create, over %s", (transport, connect) => {
  let service: TestService;
  let api: FactoryApi;
  const tenant = randomUUID();
  let serial = 0;
  const unique = (prefix: string) => `${prefix}-${transport}-${serial++}`;
  const importOne = async (hardwareId: string, isGateway = false) => ok(await api.importOne(hardwareId, "", isGateway))["results"][0]["claim_key"] as string;
  const claimOf = async (hardwareId: string) =>
    ((ok(await api.listClaims())["claims"] ?? []) as Record<string, any>[]).find((c) => c["hardware_id"] === hardwareId);

  beforeAll(async () => {
    service = await startTestService();
    api = connect(service, await service.token(tenant));
  });
  afterAll(async () => {
    api.close();
    await service.stop();
  });

  test("(a) a hand registration of a pending hardware_id is ALREADY_EXISTS naming the import; after a revoke it works and the key stays dead", async () => {
    const hardwareId = unique("HW-A");
    const key = await importOne(hardwareId);
    expect(await api.registerDevice(hardwareId)).toEqual(pendingImport(hardwareId));
    expect(await claimOf(hardwareId)).toMatchObject({ state: "STATE_PENDING" });

    ok(await api.revokeClaimKey(hardwareId));
    const byHand = ok(await api.registerDevice(hardwareId));
    expect(await api.claim(key, hardwareId)).toEqual(NOT_AUTHORIZED);
    // The hand-registered device keeps its own key.
    expect(ok(await api.config(byHand["device_id"], byHand["api_key"]))).toMatchObject({ device_id: byHand["device_id"] });
  });

  test("(a) after its device is deleted the key is pending again: a hand registration is refused, the key claims a new device", async () => {
    const hardwareId = unique("HW-A-DELETED");
    const key = await importOne(hardwareId);
    const first = ok(await api.claim(key, hardwareId));
    ok(await api.deleteDevice(first["device_id"]));
    expect(await claimOf(hardwareId)).toEqual(expect.objectContaining({ state: "STATE_PENDING" }));
    expect((await claimOf(hardwareId))?.["device_id"] ?? "").toBe("");

    expect(await api.registerDevice(hardwareId)).toEqual(pendingImport(hardwareId));
    const reborn = ok(await api.claim(key, hardwareId));
    expect(reborn["device_id"]).not.toBe(first["device_id"]);
    expect(await claimOf(hardwareId)).toMatchObject({ state: "STATE_CLAIMED", device_id: reborn["device_id"] });

    // Deleted again and revoked: the hardware_id is free for a hand registration the key cannot touch.
    ok(await api.deleteDevice(reborn["device_id"]));
    ok(await api.revokeClaimKey(hardwareId));
    const byHand = ok(await api.registerDevice(hardwareId));
    expect(await api.claim(key, hardwareId)).toEqual(NOT_AUTHORIZED);
    expect(ok(await api.config(byHand["device_id"], byHand["api_key"]))).toMatchObject({ device_id: byHand["device_id"] });
  });

  test("(b) a gateway cannot register a pending hardware_id as its child; the key then claims a device of its own, not a child", async () => {
    const gatewayHardwareId = unique("HW-GW");
    const gateway = ok(await api.claim(await importOne(gatewayHardwareId, true), gatewayHardwareId));
    const childHardwareId = unique("HW-B-CHILD");
    const key = await importOne(childHardwareId);

    const children = ok(await api.registerChildren(gateway["device_id"], gateway["api_key"], [childHardwareId]))["results"];
    expect(children).toEqual([{ hardware_id: childHardwareId, ...pendingImport(childHardwareId) }]);

    const claimed = ok(await api.claim(key, childHardwareId));
    expect(ok(await api.getDevice(claimed["device_id"]))["gateway_id"] ?? "").toBe("");
    // The gateway asking again now meets the claimed device.
    const again = ok(await api.registerChildren(gateway["device_id"], gateway["api_key"], [childHardwareId]))["results"];
    expect(again).toEqual([
      {
        hardware_id: childHardwareId,
        error: { code: "ALREADY_EXISTS", message: `device with hardware_id "${childHardwareId}" already exists in this tenant` },
      },
    ]);
  });

  test("(b) a child registered before the import keeps the hardware_id: the import is refused and no key exists for it", async () => {
    const gatewayHardwareId = unique("HW-GW2");
    const gateway = ok(await api.claim(await importOne(gatewayHardwareId, true), gatewayHardwareId));
    const childHardwareId = unique("HW-B-EARLY-CHILD");
    ok(await api.registerChildren(gateway["device_id"], gateway["api_key"], [childHardwareId]));
    const refused = ok(await api.importOne(childHardwareId, ""))["results"][0];
    expect(refused).toMatchObject({ hardware_id: childHardwareId, error: { code: "ALREADY_EXISTS" } });
    expect(await claimOf(childHardwareId)).toBeUndefined();
  });

  test("(c) ListDeviceClaims never shows a hand-registered hardware_id as claimed", async () => {
    const hardwareId = unique("HW-C");
    await importOne(hardwareId);
    // The key expires unused; the hardware_id may then be registered by hand.
    await service.db.pool.query("UPDATE device_claims SET expires_at = now() - interval '1 minute' WHERE hardware_id = $1", [hardwareId]);
    const byHand = ok(await api.registerDevice(hardwareId));
    const listed = await claimOf(hardwareId);
    expect(listed).toMatchObject({ hardware_id: hardwareId, state: "STATE_EXPIRED" });
    expect(listed?.["device_id"] ?? "").not.toBe(byHand["device_id"]);
  });
});

test("racing imports and hand registrations of the same hardware_ids: exactly one wins each, and no key outlives its race", async () => {
  const service = await startTestService();
  try {
    const token = await service.token(randomUUID());
    const rest = createRestApi(service.baseUrl);
    const hardwareIds = Array.from({ length: 40 }, (_, i) => `HW-RACE-${i}`);
    const outcomes = await Promise.all(
      hardwareIds.map(async (hardwareId) => {
        const [imported, registered] = await Promise.all([
          rest.call("POST", "/api/v1/devices:import", token, { devices: [{ hardware_id: hardwareId }] }),
          rest.call("POST", "/api/v1/devices", token, { name: hardwareId, hardware_id: hardwareId }),
        ]);
        const gotKey = imported.status === 200 && typeof imported.body["results"][0]["claim_key"] === "string";
        const gotDevice = registered.status === 200;
        if (!gotDevice) expect(registered.body).toMatchObject({ code: "ALREADY_EXISTS" });
        return { hardwareId, gotKey, gotDevice };
      }),
    );
    for (const o of outcomes) expect({ ...o, winners: Number(o.gotKey) + Number(o.gotDevice) }).toEqual({ ...o, winners: 1 });
    const { rows } = await service.db.pool.query(
      `SELECT c.hardware_id FROM device_claims c JOIN devices d ON d.tenant_id = c.tenant_id AND d.hardware_id = c.hardware_id WHERE c.device_id IS NULL`,
    );
    expect(rows).toEqual([]);
  } finally {
    await service.stop();
  }
});
