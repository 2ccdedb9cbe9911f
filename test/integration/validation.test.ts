import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { randomUUID } from "node:crypto";
import type { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { registrationRowCounts } from "../support/test-database.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const REST_PATH = "/api/v1/devices";
const CONNECT_PATH = "/deviceregistry.v1.DeviceRegistryService/RegisterDevice";

/** n distinct keys mapped to a value. */
const manyEntries = (n: number, value = "v") => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
/** A config whose JSON encoding is exactly `bytes` long. */
const configOfBytes = (bytes: number) => ({ blob: "x".repeat(bytes - '{"blob":""}'.length) });
/** A config whose value nests `levels` objects and arrays deep, counting the config itself. */
const configOfDepth = (levels: number) => ({ deep: JSON.parse("[".repeat(levels - 1) + "]".repeat(levels - 1)) as unknown });
/** A field-name prefix as a regex: "tags[" -> /^tags\[/. */
const startsWith = (prefix: string) => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);
/** A JSON-decoding error of a RegisterDeviceRequest field, as protobuf-es words it (it names the field, but not first). */
const decodeError = (field: string) => new RegExp(`^cannot decode field deviceregistry\\.v1\\.RegisterDeviceRequest\\.${field} from JSON`);

describe("RegisterDevice input validation", () => {
  let service: TestService;
  let tenant: string;
  let token: string;
  let otherToken: string;
  /** A device of this tenant that is not a gateway. */
  let plainDeviceId: string;
  /** A gateway of another tenant. */
  let foreignGatewayId: string;
  let api: RestApi;

  const send = (path: string, body: Json | Uint8Array, bearer = token) => api.call("POST", path, bearer, body);

  const rowCounts = () => registrationRowCounts(service.db.pool);

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    tenant = randomUUID();
    token = await service.token(tenant);
    otherToken = await service.token(randomUUID());
    const plain = await send(REST_PATH, { name: "plain device", hardware_id: "HW-PLAIN" });
    expect(plain.status).toBe(200);
    plainDeviceId = plain.body["device_id"] as string;
    const foreign = await send(REST_PATH, { name: "foreign gateway", hardware_id: "HW-FOREIGN-GW", is_gateway: true }, otherToken);
    expect(foreign).toMatchObject({ status: 200, body: { is_gateway: true } });
    foreignGatewayId = foreign.body["device_id"] as string;
  });
  afterAll(() => service.stop());

  // [label, body (built when the test runs; each names its own hardware_id), expected message]
  const invalid: [string, (hw: string) => Json | Uint8Array, RegExp][] = [
    ["missing name", (hw) => ({ hardware_id: hw }), /^name: is required$/],
    ["empty name", (hw) => ({ name: "", hardware_id: hw }), /^name: is required$/],
    ["name of 201 characters", (hw) => ({ name: "n".repeat(201), hardware_id: hw }), /^name: must be at most 200 characters$/],
    ["name of 201 non-ASCII characters", (hw) => ({ name: "é".repeat(201), hardware_id: hw }), /^name: must be at most 200 characters$/],
    ["name with a control character", (hw) => ({ name: "bell\u0007", hardware_id: hw }), /^name: must not contain control characters$/],
    ["missing hardware_id", () => ({ name: "no hardware id" }), /^hardware_id: is required$/],
    ["hardware_id null", () => ({ name: "null hardware id", hardware_id: null }), /^hardware_id: is required$/],
    [
      "hardware_id with a space",
      (hw) => ({ name: "n", hardware_id: `${hw} X` }),
      startsWith("hardware_id: must be 1 to 128 printable characters without whitespace"),
    ],
    ["hardware_id with a tab", (hw) => ({ name: "n", hardware_id: `${hw}\tX` }), startsWith("hardware_id: ")],
    ["hardware_id with a newline", (hw) => ({ name: "n", hardware_id: `${hw}\n` }), startsWith("hardware_id: ")],
    ["hardware_id with a leading space", (hw) => ({ name: "n", hardware_id: ` ${hw}` }), startsWith("hardware_id: ")],
    ["hardware_id with a no-break space", (hw) => ({ name: "n", hardware_id: `${hw}\u00a0X` }), startsWith("hardware_id: ")],
    ["hardware_id with a NUL", (hw) => ({ name: "n", hardware_id: `${hw}\u0000` }), startsWith("hardware_id: ")],
    ["hardware_id of 129 characters", (hw) => ({ name: "n", hardware_id: hw.padEnd(129, "X") }), startsWith("hardware_id: must be 1 to 128")],
    ["33 groups", (hw) => ({ name: "n", hardware_id: hw, groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }), /^groups: must have at most 32 entries$/],
    ["an empty group name", (hw) => ({ name: "n", hardware_id: hw, groups: ["ok", ""] }), /^groups\[1\]: is required$/],
    ["a group name of 65 characters", (hw) => ({ name: "n", hardware_id: hw, groups: ["g".repeat(65)] }), /^groups\[0\]: /],
    ["65 tags", (hw) => ({ name: "n", hardware_id: hw, tags: manyEntries(65) }), /^tags: must have at most 64 entries$/],
    ["a tag key of 129 characters", (hw) => ({ name: "n", hardware_id: hw, tags: { ["k".repeat(129)]: "v" } }), /^tags key: must be at most 128 characters$/],
    ["an empty tag key", (hw) => ({ name: "n", hardware_id: hw, tags: { "": "v" } }), /^tags key: is required$/],
    [
      "a tag value of 513 characters",
      (hw) => ({ name: "n", hardware_id: hw, tags: { k: "v".repeat(513) } }),
      startsWith('tags["k"]: must be at most 512 characters'),
    ],
    ["65 meta entries", (hw) => ({ name: "n", hardware_id: hw, meta: manyEntries(65) }), /^meta: /],
    ["a firmware of 129 characters", (hw) => ({ name: "n", hardware_id: hw, firmware: "f".repeat(129) }), /^firmware: /],
    ["a sub_model of 129 characters", (hw) => ({ name: "n", hardware_id: hw, sub_model: "s".repeat(129) }), /^sub_model: /],
    [
      "a config of 64 KiB + 1 byte",
      (hw) => ({ name: "n", hardware_id: hw, config: configOfBytes(64 * 1024 + 1) }),
      /^config: must be at most 65536 bytes of JSON$/,
    ],
    [
      "a config nested 33 levels deep",
      (hw) => ({ name: "n", hardware_id: hw, config: configOfDepth(33) }),
      /^config: must nest objects and arrays at most 32 levels deep$/,
    ],
    // Deeper still is refused while decoding, with or without the other required fields.
    ["a config nested 80 levels deep", (hw) => ({ name: "n", hardware_id: hw, config: configOfDepth(80) }), /maximum recursion depth/],
    ["a config nested 80 levels deep and no hardware_id", () => ({ name: "n", config: configOfDepth(80) }), /maximum recursion depth/],
    ["gateway_id not a UUID", (hw) => ({ name: "n", hardware_id: hw, gateway_id: "not-a-uuid" }), /^gateway_id: must be a device_id \(UUID\)$/],
    [
      "gateway_id of an unknown device",
      (hw) => ({ name: "n", hardware_id: hw, gateway_id: randomUUID() }),
      /^gateway_id: ".*" is not a gateway device of this tenant$/,
    ],
    [
      "gateway_id of a device that is not a gateway",
      (hw) => ({ name: "n", hardware_id: hw, gateway_id: plainDeviceId }),
      /^gateway_id: ".*" is not a gateway device of this tenant$/,
    ],
    [
      "gateway_id of another tenant's gateway",
      (hw) => ({ name: "n", hardware_id: hw, gateway_id: foreignGatewayId }),
      /^gateway_id: ".*" is not a gateway device of this tenant$/,
    ],
    ["profile_id malformed", (hw) => ({ name: "n", hardware_id: hw, profile_id: "no spaces" }), /^profile_id: /],
    [
      "profile_id unknown",
      (hw) => ({ name: "n", hardware_id: hw, profile_id: "p_unknown" }),
      /^profile_id: profile "p_unknown" does not exist in this tenant$/,
    ],
    ["anchor_mode 99 (an unknown number)", (hw) => ({ name: "n", hardware_id: hw, anchor_mode: 99 }), /^anchor_mode: unknown value 99$/],
    // Rejected while decoding the JSON, before the domain sees the request.
    ["anchor_mode ANCHOR_MODE_BOGUS", (hw) => ({ name: "n", hardware_id: hw, anchor_mode: "ANCHOR_MODE_BOGUS" }), /AnchorMode.*"ANCHOR_MODE_BOGUS"/],
    ["a tenant_id in the body (unknown field)", (hw) => ({ name: "n", hardware_id: hw, tenant_id: randomUUID() }), /key "tenant_id" is unknown/],
    ["a device_id in the body (unknown field)", (hw) => ({ name: "n", hardware_id: hw, device_id: randomUUID() }), /key "device_id" is unknown/],
    ["name: 5", (hw) => ({ name: 5, hardware_id: hw }), decodeError("name")],
    ["hardware_id: true", () => ({ name: "n", hardware_id: true }), decodeError("hardware_id")],
    ['groups: "x"', (hw) => ({ name: "n", hardware_id: hw, groups: "x" }), decodeError("groups")],
    ["groups: [1]", (hw) => ({ name: "n", hardware_id: hw, groups: [1] }), decodeError("groups")],
    ["tags: [1]", (hw) => ({ name: "n", hardware_id: hw, tags: [1] }), decodeError("tags")],
    ["tags: {k: 1}", (hw) => ({ name: "n", hardware_id: hw, tags: { k: 1 } }), decodeError("tags")],
    ['is_gateway: "true"', (hw) => ({ name: "n", hardware_id: hw, is_gateway: "true" }), decodeError("is_gateway")],
    ['config: "x"', (hw) => ({ name: "n", hardware_id: hw, config: "x" }), /google\.protobuf\.Struct/],
    [
      "invalid UTF-8 in name",
      (hw) => Buffer.concat([Buffer.from('{"name":"bad'), Buffer.from([0xff, 0xfe]), Buffer.from(`","hardware_id":"${hw}"}`)]),
      /UTF-?8/i,
    ],
  ];

  // connect-es decodes Connect JSON bodies like the WHATWG TextDecoder (invalid bytes become
  // U+FFFD) before the service sees them, so only REST can refuse invalid UTF-8.
  const validUtf8Only = invalid.filter(([label]) => label !== "invalid UTF-8 in name");

  describe.each([
    ["REST", REST_PATH, "INVALID_ARGUMENT", invalid],
    ["Connect JSON", CONNECT_PATH, "invalid_argument", validUtf8Only],
  ] as const)("over %s", (protocol, path, code, cases) => {
    test.each(cases)(`%s is 400 ${code} naming the field, and writes nothing`, async (label, body, message) => {
      const hardwareId = `HW-${protocol}-${label}`.replace(/\W+/g, "-").slice(0, 100);
      const before = await rowCounts();
      const reply = await send(path, body(hardwareId));
      expect(reply).toEqual({ status: 400, body: { code, message: expect.stringMatching(message) } });
      expect(await rowCounts()).toEqual(before);
    });
  });

  describe("boundaries that are accepted", () => {
    test.each<[string, Json]>([
      ["a name of 200 characters", { name: "n".repeat(200) }],
      ["a name of 200 astral characters (400 UTF-16 units)", { name: "😀".repeat(200) }],
      ["a hardware_id of 128 characters", { hardware_id: "H".repeat(128) }],
      ["a hardware_id of printable non-ASCII", { hardware_id: "HW-ß-Ω-设备" }],
      ["32 groups", { groups: Array.from({ length: 32 }, (_, i) => `g${i}`) }],
      ["64 tags", { tags: manyEntries(64) }],
      ["a tag key of 128 and a value of 512 characters", { tags: { ["k".repeat(128)]: "v".repeat(512) } }],
      ["a config of exactly 64 KiB", { config: configOfBytes(64 * 1024) }],
      ["a config nested 32 levels deep", { config: configOfDepth(32) }],
    ])("%s", async (label, fields) => {
      const body = { name: label, hardware_id: `HW-OK-${label.replace(/\W+/g, "-")}`.slice(0, 120), ...fields };
      const before = await rowCounts();
      const { status, body: device } = await send(REST_PATH, body);
      expect(status).toBe(200);
      expect(device).toMatchObject(body);
      expect(await rowCounts()).toEqual({ devices: before.devices + 1, credentials: before.credentials + 1, outbox: before.outbox + 1 });
    });
  });

  describe("gateways", () => {
    test("a child may name a gateway of its tenant in gateway_id, which is echoed", async () => {
      const gateway = await send(REST_PATH, { name: "gateway", hardware_id: "HW-GW-1", is_gateway: true });
      expect(gateway.status).toBe(200);
      expect(gateway.body).toMatchObject({ is_gateway: true, tenant_id: tenant });
      const gatewayId = gateway.body["device_id"] as string;

      const child = await send(REST_PATH, { name: "child", hardware_id: "HW-GW-CHILD-1", gateway_id: gatewayId });
      expect(child.status).toBe(200);
      expect(child.body).toMatchObject({ gateway_id: gatewayId, hardware_id: "HW-GW-CHILD-1" });
      expect(child.body).not.toHaveProperty("is_gateway");
      const row = await service.db.pool.query("SELECT gateway_id, is_gateway FROM devices WHERE device_id = $1", [child.body["device_id"]]);
      expect(row.rows).toEqual([{ gateway_id: gatewayId, is_gateway: false }]);

      // An upper-case UUID names the same gateway and is stored in canonical form.
      const upper = await send(REST_PATH, { name: "child 2", hardware_id: "HW-GW-CHILD-2", gateway_id: gatewayId.toUpperCase() });
      expect(upper.status).toBe(200);
      expect(upper.body["gateway_id"]).toBe(gatewayId);
    });
  });

  describe("over the generated Connect client", () => {
    let client: ReturnType<typeof createClient<typeof DeviceRegistryService>>;
    beforeAll(() => {
      client = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    });

    test.each<[string, () => Parameters<typeof client.registerDevice>[0], RegExp]>([
      ["missing name", () => ({ hardwareId: "HW-C-1" }), /^name: is required$/],
      ["name of 201 characters", () => ({ name: "n".repeat(201), hardwareId: "HW-C-2" }), /^name: must be at most 200 characters$/],
      ["missing hardware_id", () => ({ name: "n" }), /^hardware_id: is required$/],
      ["hardware_id with a space", () => ({ name: "n", hardwareId: "HW C 3" }), /^hardware_id: must be 1 to 128 printable characters without whitespace$/],
      ["33 groups", () => ({ name: "n", hardwareId: "HW-C-4", groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }), /^groups: /],
      ["a tag value of 513", () => ({ name: "n", hardwareId: "HW-C-5", tags: { k: "v".repeat(513) } }), /^tags\["k"\]: /],
      ["a config over 64 KiB", () => ({ name: "n", hardwareId: "HW-C-6", config: configOfBytes(64 * 1024 + 1) }), /^config: /],
      ["gateway_id not a UUID", () => ({ name: "n", hardwareId: "HW-C-7", gatewayId: "gw-1" }), /^gateway_id: must be a device_id \(UUID\)$/],
      ["gateway_id of a non-gateway", () => ({ name: "n", hardwareId: "HW-C-8", gatewayId: plainDeviceId }), /^gateway_id: /],
      ["gateway_id of another tenant's gateway", () => ({ name: "n", hardwareId: "HW-C-9", gatewayId: foreignGatewayId }), /^gateway_id: /],
      ["anchor_mode 99", () => ({ name: "n", hardwareId: "HW-C-10", anchorMode: 99 as AnchorMode }), /^anchor_mode: unknown value 99$/],
    ])("%s is InvalidArgument naming the field, and writes nothing", async (_label, request, message) => {
      const before = await rowCounts();
      const error = await client.registerDevice(request(), { headers: { authorization: `Bearer ${token}` } }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(message) });
      expect(await rowCounts()).toEqual(before);
    });

    test("the positive gateway case", async () => {
      const headers = { authorization: `Bearer ${token}` };
      const gateway = await client.registerDevice({ name: "gw", hardwareId: "HW-C-GW", isGateway: true }, { headers });
      expect(gateway.isGateway).toBe(true);
      const child = await client.registerDevice({ name: "child", hardwareId: "HW-C-GW-CHILD", gatewayId: gateway.deviceId }, { headers });
      expect(child).toMatchObject({ gatewayId: gateway.deviceId, isGateway: false, tenantId: tenant });
    });
  });
});
