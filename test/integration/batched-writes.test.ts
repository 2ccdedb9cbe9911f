import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { AuthenticateDeviceRequestSchema, DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceRepository } from "../../src/db/device-repository.js";
import type { Device } from "../../src/domain/device.js";
import { InvalidArgumentError } from "../../src/domain/errors.js";
import { issueApiKey } from "../../src/domain/secret.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi } from "../support/rest-api.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";
import { startTestService, type TestService } from "../support/test-service.js";

// Registrations and credential lookups made at the same moment share one statement; each caller
// must still get its own answer, and one caller's failure must not touch the others.

describe("registrations made together (DeviceRepository on a real PostgreSQL)", () => {
  let db: TestDatabase;
  let repository: DeviceRepository;
  const tenant = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase();
    repository = new DeviceRepository(db.pool);
  });
  afterAll(() => db.drop());

  function newDevice(hardwareId: string, profileId: string | null = null) {
    const now = new Date();
    const device: Device = {
      deviceId: randomUUID(),
      tenantId: tenant,
      name: hardwareId,
      hardwareId,
      groups: ["b", "a"],
      tags: { k: "v" },
      anchorMode: AnchorMode.UNSPECIFIED,
      profileId,
      gatewayId: null,
      firmware: "",
      meta: {},
      config: null,
      subModel: "",
      isGateway: false,
      status: "registered",
      createdAt: now,
      updatedAt: now,
      version: 1,
      hub: { id: "", hubUrl: "", hubUrlStaticCert: "", mqttHubUrl: "" },
    };
    const credential = { credentialId: randomUUID(), kind: "api_key" as const, secretHash: issueApiKey().hash, certificate: null };
    const event = { eventId: randomUUID(), type: "device.registered", tenantId: tenant, subject: device.deviceId, payload: "{}", occurredAt: now };
    return { device, credential, event };
  }

  const insert = (d: ReturnType<typeof newDevice>) => repository.insert(d.device, d.credential, d.event);

  async function stored(deviceIds: string[]) {
    const rows = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM devices WHERE device_id = ANY ($1::uuid[])) AS devices,
              (SELECT count(*)::int FROM device_credentials WHERE device_id = ANY ($1::uuid[])) AS credentials,
              (SELECT count(*)::int FROM outbox WHERE subject = ANY ($1::text[])) AS events`,
      [deviceIds],
    );
    return rows.rows[0] as { devices: number; credentials: number; events: number };
  }

  test("one device's failure fails that device alone; the others are stored with their credential and event", async () => {
    const good = Array.from({ length: 6 }, (_, i) => newDevice(`HW-BATCH-OK-${i}`));
    const bad = newDevice("HW-BATCH-BAD", "no-such-profile");
    const results = await Promise.allSettled([...good.slice(0, 3), bad, ...good.slice(3)].map(insert));

    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
    expect(results.filter((r) => r.status === "fulfilled").map((r) => r.value)).toEqual([true, true, true, true, true, true]);
    const failure = (results[3] as PromiseRejectedResult).reason;
    expect(failure).toBeInstanceOf(InvalidArgumentError);
    expect((failure as Error).message).toContain("profile_id");
    expect(await stored(good.map((d) => d.device.deviceId))).toEqual({ devices: 6, credentials: 6, events: 6 });
    expect(await stored([bad.device.deviceId])).toEqual({ devices: 0, credentials: 0, events: 0 });
    // Arrays survive the trip through the batch statement in order.
    const groups = await db.pool.query("SELECT groups FROM devices WHERE device_id = $1::uuid", [good[0]!.device.deviceId]);
    expect(groups.rows[0].groups).toEqual(["b", "a"]);
  });

  test("two registrations of one hardware_id in the same statement: exactly one is stored, the other is refused", async () => {
    const first = newDevice("HW-BATCH-TWICE");
    const second = newDevice("HW-BATCH-TWICE");
    const [a, b] = await Promise.all([insert(first), insert(second)]);

    expect([a, b].sort()).toEqual([false, true]);
    const winner = a ? first : second;
    const loser = a ? second : first;
    expect(await stored([winner.device.deviceId])).toEqual({ devices: 1, credentials: 1, events: 1 });
    expect(await stored([loser.device.deviceId])).toEqual({ devices: 0, credentials: 0, events: 0 });
  });
});

describe("AuthenticateDevice calls made together (gRPC)", () => {
  let service: TestService;
  const tenant = randomUUID();

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  test("each of many concurrent lookups gets its own answer, and a rotated key is refused at once", async () => {
    const admin = await service.token(tenant);
    const api = createRestApi(service.baseUrl);
    const register = async (hardwareId: string) => {
      const body = (await api.call("POST", "/api/v1/devices", admin, { name: hardwareId, hardware_id: hardwareId })).body;
      return { deviceId: body["device_id"] as string, apiKey: body["api_key"] as string };
    };
    const devices = await Promise.all(Array.from({ length: 5 }, (_, i) => register(`HW-BATCH-AUTH-${i}`)));
    const rotated = devices[4]!;
    const newKey = (await api.call("POST", `/api/v1/devices/${rotated.deviceId}:rotateCredential`, admin, {})).body["api_key"] as string;

    const client = createGrpcJsClient(DeviceAuthService, `127.0.0.1:${service.port}`);
    const hub = { authorization: `Bearer ${await service.token(randomUUID(), "platform_service")}` };
    const ask = (deviceId: string, apiKey: string) =>
      client.call(DeviceAuthService.method.authenticateDevice, create(AuthenticateDeviceRequestSchema, { deviceId, apiKey }), hub).then(
        (identity) => identity.deviceId,
        (err: { code: number }) => (err.code === GrpcStatus.UNAUTHENTICATED ? "refused" : `error ${err.code}`),
      );
    try {
      // Valid keys, another device's key, the rotated device's old and new keys, all at once, several times over.
      const cases = Array.from({ length: 8 }, () => [
        ...devices.slice(0, 4).map((d) => ({ ask: [d.deviceId, d.apiKey], expected: d.deviceId })),
        { ask: [devices[0]!.deviceId, devices[1]!.apiKey], expected: "refused" },
        { ask: [rotated.deviceId, rotated.apiKey], expected: "refused" },
        { ask: [rotated.deviceId, newKey], expected: rotated.deviceId },
      ]).flat();
      const answers = await Promise.all(cases.map((c) => ask(c.ask[0]!, c.ask[1]!)));
      expect(answers).toEqual(cases.map((c) => c.expected));
    } finally {
      client.close();
    }
  });
});
