import { create, fromJson, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { EmptySchema, FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { createHash, randomUUID } from "node:crypto";
import { DeviceSchema } from "../../gen/deviceregistry/v1/device_pb.js";
import {
  DeleteDeviceRequestSchema,
  DeviceRegistryService,
  GetDeviceRequestSchema,
  ListDevicesRequestSchema,
  ListDevicesResponseSchema,
  RotateDeviceCredentialRequestSchema,
  RotateDeviceCredentialResponseSchema,
  UpdateDeviceRequestSchema,
} from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { withEmptyLists } from "../../src/rest/empty-lists.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const NOT_AUTHORIZED = { status: 401, body: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const BAD_TOKEN = "page_token: is not a token returned by this method";
const FILTERS_CHANGED = "page_token: was issued for other filters: send the filters of the first page with it, or no page_token to start over";

/** The answer of one call, whatever the protocol: OK with the JSON of the response, or an error code. */
type Outcome = { code: "OK"; body: Json } | { code: string; message: string };

/** The management RPCs, called over one protocol; bodies in the proto-field-name JSON REST uses. */
interface Protocol {
  get(token: string, deviceId: string): Promise<Outcome>;
  list(token: string, query: Record<string, string>): Promise<Outcome>;
  update(token: string, device: Json, mask: string[], etag?: string): Promise<Outcome>;
  delete(token: string, deviceId: string): Promise<Outcome>;
  rotate(token: string, deviceId: string): Promise<Outcome>;
}

const PROTOCOLS = ["REST", "Connect", "gRPC"] as const;
type ProtocolName = (typeof PROTOCOLS)[number];

/** "NotFound" → "NOT_FOUND", the spelling REST bodies and grpc-js use. */
const upperSnake = (name: string) => name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
const sha256 = (secret: string) => createHash("sha256").update(secret).digest();

function restProtocol(api: RestApi): Protocol {
  const outcome = async (reply: Promise<{ status: number; body: Json }>): Promise<Outcome> => {
    const { status, body } = await reply;
    return status === 200 ? { code: "OK", body } : { code: body["code"], message: body["message"] };
  };
  return {
    get: (token, id) => outcome(api.call("GET", `/api/v1/devices/${id}`, token)),
    list: (token, query) => outcome(api.call("GET", `/api/v1/devices?${new URLSearchParams(query)}`, token)),
    update: (token, device, mask, etag) => {
      const query = new URLSearchParams({ update_mask: mask.join(","), ...(etag === undefined ? {} : { etag }) });
      return outcome(api.call("PATCH", `/api/v1/devices/${device["device_id"]}?${query}`, token, device));
    },
    delete: (token, id) => outcome(api.call("DELETE", `/api/v1/devices/${id}`, token)),
    rotate: (token, id) => outcome(api.call("POST", `/api/v1/devices/${id}:rotateCredential`, token, {})),
  };
}

/** The generated Connect client over Connect JSON (HTTP/1.1), or @grpc/grpc-js over gRPC. */
function messageProtocol(
  call: <I extends DescMessage, O extends DescMessage>(
    method: { input: I; output: O; name: string; localName: string },
    request: MessageShape<I>,
    token: string,
  ) => Promise<MessageShape<O>>,
  codeName: (err: unknown) => Outcome,
): Protocol {
  const m = DeviceRegistryService.method;
  const run = async <O extends DescMessage>(schema: O, response: Promise<MessageShape<O>>): Promise<Outcome> => {
    try {
      // Compared in the shape REST answers, which writes out the empty lists proto3 JSON omits.
      return { code: "OK", body: withEmptyLists(schema, toJson(schema, await response, { useProtoFieldName: true }), true) as Json };
    } catch (err) {
      return codeName(err);
    }
  };
  return {
    get: (token, deviceId) => run(DeviceSchema, call(m.getDevice, create(GetDeviceRequestSchema, { deviceId }), token)),
    list: (token, query) => run(ListDevicesResponseSchema, call(m.listDevices, fromJson(ListDevicesRequestSchema, query), token)),
    update: (token, device, mask, etag = "") => {
      const request = create(UpdateDeviceRequestSchema, { device: fromJson(DeviceSchema, device), updateMask: create(FieldMaskSchema, { paths: mask }), etag });
      return run(DeviceSchema, call(m.updateDevice, request, token));
    },
    delete: (token, deviceId) => run(EmptySchema, call(m.deleteDevice, create(DeleteDeviceRequestSchema, { deviceId }), token)),
    rotate: (token, deviceId) =>
      run(RotateDeviceCredentialResponseSchema, call(m.rotateDeviceCredential, create(RotateDeviceCredentialRequestSchema, { deviceId }), token)),
  };
}

describe("device management: Get, List, Update, Delete, RotateDeviceCredential", () => {
  let service: TestService;
  let api: RestApi;
  let connect: Client<typeof DeviceRegistryService>;
  let grpc: ReturnType<typeof createGrpcJsClient>;
  let protocols: Record<ProtocolName, Protocol>;
  const tenant = randomUUID();
  let admin: string;
  let hub: string;

  async function deviceRow(deviceId: string): Promise<Json | undefined> {
    return (await service.db.pool.query("SELECT * FROM devices WHERE device_id = $1", [deviceId])).rows[0];
  }
  async function credentialRows(deviceId: string): Promise<Json[]> {
    return (await service.db.pool.query("SELECT * FROM device_credentials WHERE device_id = $1 ORDER BY created_at", [deviceId])).rows;
  }
  const withoutKey = ({ api_key: _key, ...device }: Json) => device;

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    connect = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    grpc = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    protocols = {
      REST: restProtocol(api),
      Connect: messageProtocol(
        (method, request, token) => {
          const rpc = (connect as unknown as Record<string, (r: unknown, o: unknown) => Promise<never>>)[method.localName]!;
          return rpc(request, { headers: { authorization: `Bearer ${token}` } });
        },
        (err) => {
          if (!(err instanceof ConnectError)) throw err;
          return { code: upperSnake(Code[err.code]), message: err.rawMessage };
        },
      ),
      gRPC: messageProtocol(
        (method, request, token) => grpc.call(method, request, { authorization: `Bearer ${token}` }),
        (err) => {
          const e = err as ServiceError;
          if (typeof e.code !== "number") throw err;
          return { code: GrpcStatus[e.code], message: e.details };
        },
      ),
    };
    admin = await service.token(tenant, "tenant_admin");
    hub = await service.token(randomUUID(), "platform_service");
  });
  afterAll(async () => {
    grpc.close();
    await service.stop();
  });

  describe.each(PROTOCOLS)("over %s", (name) => {
    test("Get, List, Update, Rotate and Delete one device", async () => {
      const p = protocols[name];
      const hardwareId = `HW-LIFE-${name}`;
      const registered = await api.register(admin, { name: "life", hardware_id: hardwareId, groups: ["lab"], tags: { k: "v" }, config: { n: 1 } });
      const id = registered["device_id"] as string;
      const stored = withoutKey(registered);

      expect(await p.get(admin, id)).toEqual({ code: "OK", body: stored });
      expect(await p.list(admin, { hardware_id: hardwareId })).toEqual({ code: "OK", body: { devices: [stored] } });

      const updated = await p.update(admin, { device_id: id, name: "renamed", tags: { k: "w" } }, ["name", "tags"], stored["etag"]);
      expect(updated).toEqual({
        code: "OK",
        body: { ...stored, name: "renamed", tags: { k: "w" }, updated_at: expect.stringMatching(RFC3339_UTC), etag: expect.any(String) },
      });
      const updatedBody = (updated as { body: Json }).body;
      expect(updatedBody["etag"]).not.toBe(stored["etag"]);
      expect(await p.get(admin, id)).toEqual({ code: "OK", body: updatedBody });

      const rotated = await p.rotate(admin, id);
      expect(rotated).toEqual({ code: "OK", body: { device_id: id, api_key: expect.stringMatching(/^sk_live_[A-Za-z0-9_-]{43}$/) } });
      const newKey = (rotated as { body: Json }).body["api_key"] as string;
      expect(newKey).not.toBe(registered["api_key"]);
      expect(await api.authenticate(hub, id, registered["api_key"])).toEqual(NOT_AUTHORIZED);
      expect((await api.authenticate(hub, id, newKey)).status).toBe(200);

      expect(await p.delete(admin, id)).toEqual({ code: "OK", body: {} });
      expect(await p.get(admin, id)).toEqual({ code: "NOT_FOUND", message: `device "${id}" not found` });
      expect(await deviceRow(id)).toBeUndefined();
    });
  });

  describe("tenant isolation", () => {
    const theirTenant = randomUUID();
    let theirs: string;
    let device: Json;

    beforeAll(async () => {
      theirs = await service.token(theirTenant);
      device = await api.register(theirs, { name: "theirs", hardware_id: "HW-ISOLATED", tags: { secret: "yes" } });
      // The same hardware_id in the caller's tenant: a filter by it must still find only the caller's own.
      await api.register(admin, { name: "mine", hardware_id: "HW-ISOLATED" });
    });

    test.each(PROTOCOLS)("over %s another tenant's device is NOT_FOUND on Get/Update/Delete/Rotate, absent from List, and unchanged", async (name) => {
      const p = protocols[name];
      const id = device["device_id"] as string;
      const rowBefore = await deviceRow(id);
      const credentialsBefore = await credentialRows(id);
      const outboxBefore = (await service.db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE subject = $1", [id])).rows[0].n;
      const notFound = { code: "NOT_FOUND", message: `device "${id}" not found` };

      expect(await p.get(admin, id)).toEqual(notFound);
      expect(await p.update(admin, { device_id: id, name: "hijacked" }, ["name"])).toEqual(notFound);
      expect(await p.update(admin, { device_id: id, name: "hijacked" }, ["name"], device["etag"])).toEqual(notFound);
      expect(await p.rotate(admin, id)).toEqual(notFound);
      expect(await p.delete(admin, id)).toEqual(notFound);
      // Same answer as for a device that exists nowhere.
      const nowhere = randomUUID();
      expect(await p.get(admin, nowhere)).toEqual({ code: "NOT_FOUND", message: `device "${nowhere}" not found` });

      for (const query of [{}, { hardware_id: "HW-ISOLATED" }, { tag: "secret=yes" }, { page_size: "1000" }]) {
        const listed = await p.list(admin, query);
        expect(listed.code).toBe("OK");
        const devices = ((listed as { body: Json }).body["devices"] ?? []) as Json[];
        expect(devices.map((d) => d["device_id"])).not.toContain(id);
        expect(devices.every((d) => d["tenant_id"] === tenant)).toBe(true);
      }

      expect(await deviceRow(id)).toEqual(rowBefore);
      expect(await credentialRows(id)).toEqual(credentialsBefore);
      expect((await service.db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE subject = $1", [id])).rows[0].n).toBe(outboxBefore);
      expect((await api.authenticate(hub, id, device["api_key"])).status).toBe(200);
      expect(await p.get(theirs, id)).toEqual({ code: "OK", body: withoutKey(device) });
    });
  });

  describe("ListDevices filters", () => {
    const filterTenant = randomUUID();
    let token: string;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      token = await service.token(filterTenant);
      expect((await api.call("POST", "/api/v1/profiles", token, { profile_id: "p_filter" })).status).toBe(200);
      const gw = await api.register(token, { name: "gw", hardware_id: "HW-F-GW", is_gateway: true, groups: ["gateways"] });
      ids["gw"] = gw["device_id"];
      const specs: Record<string, Json> = {
        a: { groups: ["lab"], tags: { region: "eu" }, profile_id: "p_filter" },
        b: { groups: ["lab", "floor-3"], tags: { region: "us", formula: "x=y" }, gateway_id: gw["device_id"] },
        c: { tags: { region: "eu", owner: "qa" } },
      };
      for (const [name, spec] of Object.entries(specs)) {
        ids[name] = (await api.register(token, { name, hardware_id: `HW-F-${name.toUpperCase()}`, ...spec }))["device_id"];
      }
      expect((await api.call("PATCH", `/api/v1/devices/${ids["c"]}?update_mask=status`, token, { status: "disabled" })).status).toBe(200);
    });

    const cases: [string, Record<string, string>, string[]][] = [
      ["no filter", {}, ["gw", "a", "b", "c"]],
      ["group", { group: "lab" }, ["a", "b"]],
      ["group (second of two)", { group: "floor-3" }, ["b"]],
      ["group nobody has", { group: "nobody" }, []],
      ["tag", { tag: "region=eu" }, ["a", "c"]],
      ["tag, another key", { tag: "owner=qa" }, ["c"]],
      ["tag whose value holds '='", { tag: "formula=x=y" }, ["b"]],
      ["tag, case-sensitive", { tag: "region=EU" }, []],
      ["tag with an empty value", { tag: "region=" }, []],
      ["status disabled", { status: "disabled" }, ["c"]],
      ["status registered", { status: "registered" }, ["gw", "a", "b"]],
      ["gateway_id", { gateway_id: "gw" }, ["b"]],
      ["profile_id", { profile_id: "p_filter" }, ["a"]],
      ["hardware_id", { hardware_id: "HW-F-B" }, ["b"]],
      ["group and tag together", { group: "lab", tag: "region=us" }, ["b"]],
      ["status and tag together", { status: "registered", tag: "region=eu" }, ["a"]],
    ];

    test.each(PROTOCOLS.flatMap((name) => cases.map(([label, query, expected]) => [name, label, query, expected] as const)))(
      "over %s, %s",
      async (name, _label, query, expected) => {
        const resolved = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, k === "gateway_id" ? ids[v]! : v]));
        const listed = await protocols[name].list(token, resolved);
        expect(listed.code).toBe("OK");
        const devices = ((listed as { body: Json }).body["devices"] ?? []) as Json[];
        // Oldest first: the order of registration.
        expect(devices.map((d) => d["device_id"])).toEqual(expected.map((n) => ids[n]));
        expect((listed as { body: Json }).body["next_page_token"]).toBeUndefined();
      },
    );

    test.each([
      ["status", { status: "bogus" }],
      ["status", { status: "REGISTERED" }],
      ["gateway_id", { gateway_id: "not-a-uuid" }],
      ["tag", { tag: "novalue" }],
      ["tag", { tag: "=value" }],
      ["tag", { tag: "k\u0000=v" }],
      ["tag", { tag: "k=v\u0007" }],
      ["tag", { tag: `${"k".repeat(129)}=v` }],
      ["tag", { tag: `k=${"v".repeat(513)}` }],
      ["profile_id", { profile_id: "bad id" }],
      ["hardware_id", { hardware_id: "has space" }],
      ["group", { group: "g".repeat(65) }],
      ["group", { group: "tab\there" }],
      ["page_size", { page_size: "-1" }],
    ])("a bad %s filter is 400 INVALID_ARGUMENT naming it", async (field, query) => {
      for (const name of PROTOCOLS) {
        const listed = await protocols[name].list(token, query);
        expect({ name, ...listed }).toEqual({ name, code: "INVALID_ARGUMENT", message: expect.stringMatching(new RegExp(`^${field}: `)) });
      }
    });
  });

  describe("ListDevices pagination", () => {
    const pageTenant = randomUUID();
    let token: string;
    let serial = 0;

    /** Registers `n` devices, 16 at a time; returns their ids. */
    async function registerMany(n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i += 16) {
        const batch = Array.from({ length: Math.min(16, n - i) }, () =>
          api.register(token, { name: "paged", hardware_id: `HW-PAGE-${serial++}`, groups: ["paged"] }),
        );
        ids.push(...(await Promise.all(batch)).map((d) => d["device_id"] as string));
      }
      return ids;
    }
    async function tenantDevices(): Promise<string[]> {
      const { rows } = await service.db.pool.query("SELECT device_id FROM devices WHERE tenant_id = $1 ORDER BY created_at, device_id", [pageTenant]);
      return rows.map((r) => r.device_id);
    }
    const page = async (query: string) => {
      const { status, body } = await api.call("GET", `/api/v1/devices?${query}`, token);
      expect(status).toBe(200);
      return { ids: ((body["devices"] ?? []) as Json[]).map((d) => d["device_id"] as string), next: body["next_page_token"] as string | undefined };
    };

    beforeAll(async () => {
      token = await service.token(pageTenant);
      await registerMany(1005);
    }, 120_000);

    test("page_size 0 or absent means 50; larger than 1000 means 1000; the last page has no next_page_token", async () => {
      const all = await tenantDevices();
      const byDefault = await page("");
      expect(byDefault.ids).toEqual(all.slice(0, 50));
      expect(byDefault.next).toEqual(expect.any(String));
      expect((await page("page_size=0")).ids).toEqual(all.slice(0, 50));
      const connectDefault = await connect.listDevices({}, { headers: { authorization: `Bearer ${token}` } });
      expect(connectDefault.devices.map((d) => d.deviceId)).toEqual(all.slice(0, 50));

      for (const size of [1000, 1001, 5000, 2147483647]) {
        const capped = await page(`page_size=${size}`);
        expect({ size, ids: capped.ids }).toEqual({ size, ids: all.slice(0, 1000) });
        const rest = await page(`page_size=${size}&page_token=${encodeURIComponent(capped.next!)}`);
        expect(rest).toEqual({ ids: all.slice(1000), next: undefined });
      }
    });

    test("walking every page while devices are inserted: each device that existed at the start exactly once, in stable order", async () => {
      const initial = await tenantDevices();
      const inserted: string[] = [];
      let walking = true;
      // Writers racing the walk, plus writes between pages so the interleaving is certain.
      const writers = Array.from({ length: 3 }, async () => {
        while (walking) inserted.push(...(await registerMany(1)));
      });
      const walked: string[] = [];
      let next: string | undefined = "";
      let pages = 0;
      try {
        while (next !== undefined) {
          const result = await page(`page_size=97${next ? `&page_token=${encodeURIComponent(next)}` : ""}`);
          walked.push(...result.ids);
          next = result.next;
          pages++;
          if (pages < 12) inserted.push(...(await registerMany(2)));
          if (pages > 100) throw new Error("the walk did not end");
        }
      } finally {
        walking = false;
        await Promise.all(writers);
      }
      expect(inserted.length).toBeGreaterThanOrEqual(22);
      expect(new Set(walked).size).toBe(walked.length);
      expect(walked.filter((id) => initial.includes(id))).toEqual(initial);
      // Everything walked is in (created_at, device_id) order, new rows included.
      const { rows } = await service.db.pool.query("SELECT device_id, created_at FROM devices WHERE device_id = ANY($1::uuid[])", [walked]);
      const createdAt = new Map(rows.map((r) => [r.device_id as string, (r.created_at as Date).getTime()]));
      for (let i = 1; i < walked.length; i++) {
        const [a, b] = [walked[i - 1]!, walked[i]!];
        const ordered = createdAt.get(a)! < createdAt.get(b)! || (createdAt.get(a) === createdAt.get(b) && a < b);
        expect({ a, b, ordered }).toEqual({ a, b, ordered: true });
      }
    }, 120_000);

    test("a tampered or forged page_token is 400 naming page_token", async () => {
      const first = await page("page_size=2");
      const issued = first.next!;
      const flipAt = (i: number) => issued.slice(0, i) + (issued[i] === "A" ? "B" : "A") + issued.slice(i + 1);
      const forged = Buffer.from(JSON.stringify({ c: "2000-01-01T00:00:00.000Z", d: randomUUID() })).toString("base64url");
      for (const bad of [
        flipAt(0),
        flipAt(20),
        flipAt(issued.length - 1),
        issued.slice(0, -1),
        `${issued}A`,
        `${issued}.`,
        forged,
        "garbage",
        `${forged}.${issued}`,
      ]) {
        const reply = await api.call("GET", `/api/v1/devices?page_size=2&page_token=${encodeURIComponent(bad)}`, token);
        expect({ bad, ...reply }).toEqual({ bad, status: 400, body: { code: "INVALID_ARGUMENT", message: BAD_TOKEN } });
      }
    });

    test("a page_token works only with the filters it was issued for", async () => {
      const grouped = await page("page_size=2&group=paged");
      const unfiltered = await page("page_size=2");
      const profiles = await api.call("POST", "/api/v1/profiles", token, { profile_id: "p_one" });
      await api.call("POST", "/api/v1/profiles", token, { profile_id: "p_two" });
      expect(profiles.status).toBe(200);
      const profileToken = (await api.call("GET", "/api/v1/profiles?page_size=1", token)).body["next_page_token"] as string;
      // A token of this listing with other filters says so; another method's token is no token here.
      for (const [query, pageToken, message] of [
        ["group=other", grouped.next!, FILTERS_CHANGED],
        ["", grouped.next!, FILTERS_CHANGED],
        ["group=paged", unfiltered.next!, FILTERS_CHANGED],
        ["status=registered", unfiltered.next!, FILTERS_CHANGED],
        ["tag=a%3Db", unfiltered.next!, FILTERS_CHANGED],
        ["", profileToken, BAD_TOKEN],
      ] as const) {
        const reply = await api.call(
          "GET",
          `/api/v1/devices?${["page_size=2", query, `page_token=${encodeURIComponent(pageToken)}`].filter(Boolean).join("&")}`,
          token,
        );
        expect({ query, ...reply }).toEqual({ query, status: 400, body: { code: "INVALID_ARGUMENT", message } });
      }
      // The same token with its own filters still works; page_size may change between pages.
      expect((await page(`page_size=3&group=paged&page_token=${encodeURIComponent(grouped.next!)}`)).ids).toHaveLength(3);
    });
  });

  describe("UpdateDevice", () => {
    let gatewayId: string;
    const before = {
      name: "before",
      groups: ["g1"],
      tags: { a: "1" },
      anchor_mode: "ANCHOR_MODE_MERKLE_BATCH",
      firmware: "1.0",
      meta: { m: "1" },
      config: { x: 1 },
      sub_model: "s1",
    };
    let changes: Json;
    let serial = 0;
    const fresh = async (extra: Json = {}) => api.register(admin, { ...before, hardware_id: `HW-UPD-${serial++}`, ...extra });
    const patch = (id: string, query: string, body: unknown, token = admin) => api.call("PATCH", `/api/v1/devices/${id}?${query}`, token, body);

    beforeAll(async () => {
      expect((await api.call("POST", "/api/v1/profiles", admin, { profile_id: "p_update", display_name: "u" })).status).toBe(200);
      gatewayId = (await api.register(admin, { name: "gw", hardware_id: "HW-UPD-GW", is_gateway: true }))["device_id"];
      changes = {
        name: "after",
        groups: ["g2", "g3"],
        tags: { b: "2" },
        anchor_mode: "ANCHOR_MODE_PER_EVENT",
        profile_id: "p_update",
        gateway_id: gatewayId,
        firmware: "2.0",
        meta: { m: "2", n: "3" },
        config: { y: [1, "two", { z: null }] },
        sub_model: "s2",
        status: "disabled",
      };
    });

    test.each(["name", "groups", "tags", "anchor_mode", "profile_id", "gateway_id", "firmware", "meta", "config", "sub_model", "status"])(
      "update_mask=%s changes that field only, with a new etag and updated_at",
      async (path) => {
        const registered = await fresh();
        const stored = withoutKey(registered);
        // Every field changes in the body (and a different hardware_id): only the masked one may apply.
        const reply = await patch(stored["device_id"], `update_mask=${path}`, { ...changes, hardware_id: "HW-OTHER", is_gateway: true });
        expect(reply).toEqual({
          status: 200,
          body: { ...stored, [path]: changes[path], updated_at: expect.stringMatching(RFC3339_UTC), etag: expect.any(String) },
        });
        expect(reply.body["etag"]).not.toBe(stored["etag"]);
        expect(Date.parse(reply.body["updated_at"])).toBeGreaterThan(Date.parse(stored["updated_at"]));
        expect(await api.call("GET", `/api/v1/devices/${stored["device_id"]}`, admin)).toEqual(reply);
        const row = await deviceRow(stored["device_id"]);
        expect(row).toMatchObject({ version: "2", hardware_id: stored["hardware_id"], is_gateway: false });
        // The same instant (JSON drops a whole second's ".000", toISOString keeps it).
        expect((row!["updated_at"] as Date).getTime()).toBe(Date.parse(reply.body["updated_at"]));
      },
    );

    test("every path at once, then masked fields absent from the body are cleared", async () => {
      const stored = withoutKey(await fresh());
      const all = await patch(stored["device_id"], `update_mask=${Object.keys(changes).join(",")}`, changes);
      expect(all).toEqual({ status: 200, body: { ...stored, ...changes, updated_at: expect.any(String), etag: expect.any(String) } });
      const cleared = await patch(stored["device_id"], "update_mask=groups,tags,profile_id,gateway_id,firmware,meta,config,sub_model", {});
      expect(cleared.status).toBe(200);
      const { groups: _g, tags: _t, firmware: _f, meta: _m, config: _c, sub_model: _s, ...kept } = stored;
      expect(cleared.body).toStrictEqual({
        ...kept,
        name: "after",
        anchor_mode: "ANCHOR_MODE_PER_EVENT",
        status: "disabled",
        groups: [],
        tags: {},
        meta: {},
        updated_at: expect.any(String),
        etag: expect.any(String),
      });
    });

    test.each([
      ["an unknown path", "bogus", 'update_mask: field "bogus" cannot be updated'],
      ["an unknown path next to a good one", "name,bogus", 'update_mask: field "bogus" cannot be updated'],
      ["the immutable hardware_id", "hardware_id", "update_mask: hardware_id is immutable"],
      ["hardware_id next to a good one", "name,hardware_id", "update_mask: hardware_id is immutable"],
      ["the output-only device_id", "device_id", 'update_mask: field "device_id" cannot be updated'],
      ["the output-only tenant_id", "tenant_id", 'update_mask: field "tenant_id" cannot be updated'],
      ["is_gateway", "is_gateway", 'update_mask: field "is_gateway" cannot be updated'],
      ["the api_key", "api_key", 'update_mask: field "api_key" cannot be updated'],
      ["no path", "", "update_mask: must name at least one field"],
    ])("update_mask with %s is 400 and changes nothing", async (_label, mask, message) => {
      const stored = withoutKey(await fresh());
      const rowBefore = await deviceRow(stored["device_id"]);
      const reply = await patch(stored["device_id"], `update_mask=${mask}`, { name: "changed", hardware_id: "HW-CHANGED", tenant_id: randomUUID() });
      expect(reply).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message } });
      expect(await deviceRow(stored["device_id"])).toEqual(rowBefore);
    });

    test.each([
      ["device.name", "name", { name: "" }],
      ["device.name", "name", { name: "n".repeat(201) }],
      ["device.groups", "groups", { groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }],
      ["device.groups[0]", "groups", { groups: [""] }],
      ["device.tags", "tags", { tags: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) }],
      ["device.meta", "meta", { meta: { k: "bell\u0007" } }],
      ["device.anchor_mode", "anchor_mode", { anchor_mode: 42 }],
      ["device.status", "status", { status: "bogus" }],
      ["device.status", "status", {}],
      ["device.profile_id", "profile_id", { profile_id: "p_nowhere" }],
      ["device.gateway_id", "gateway_id", { gateway_id: "not-a-uuid" }],
      ["device.gateway_id", "gateway_id", { gateway_id: randomUUID() }],
      ["device.config", "config", { config: { blob: "x".repeat(64 * 1024) } }],
      ["device.config", "config", { config: { nul: "a\u0000b" } }],
      ["device.config", "config", { config: { ["key\u0000"]: 1 } }],
      ["device.firmware", "firmware", { firmware: "f".repeat(129) }],
    ])("a bad value is 400 naming %s and changes nothing", async (field, mask, body) => {
      const stored = withoutKey(await fresh());
      const rowBefore = await deviceRow(stored["device_id"]);
      const reply = await patch(stored["device_id"], `update_mask=${mask}`, body);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ code: "INVALID_ARGUMENT", message: expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}`)) });
      expect(await deviceRow(stored["device_id"])).toEqual(rowBefore);
    });

    test("a gateway cannot be moved below itself or below one of its children", async () => {
      const top = await fresh({ is_gateway: true });
      const middle = await fresh({ is_gateway: true, gateway_id: top["device_id"] });
      const rows = [await deviceRow(top["device_id"]), await deviceRow(middle["device_id"])];
      for (const target of [top, middle]) {
        const reply = await patch(top["device_id"], "update_mask=gateway_id", { gateway_id: target["device_id"] });
        expect(reply).toEqual({
          status: 400,
          body: { code: "INVALID_ARGUMENT", message: `device.gateway_id: "${target["device_id"]}" is this device or one of its children` },
        });
      }
      // A device that is not a gateway cannot be a parent.
      const plain = await fresh();
      expect((await patch(middle["device_id"], "update_mask=gateway_id", { gateway_id: plain["device_id"] })).body["message"]).toMatch(
        /^device\.gateway_id: .* is not a gateway/,
      );
      expect([await deviceRow(top["device_id"]), await deviceRow(middle["device_id"])]).toEqual(rows);
    });

    test("REST PATCH with ?update_mask=...&etag=...: the current etag applies, a stale one is 409 ABORTED and changes nothing", async () => {
      const stored = withoutKey(await fresh());
      const query = (etag: string) => new URLSearchParams({ update_mask: "name,tags", etag }).toString();
      const first = await patch(stored["device_id"], query(stored["etag"]), { name: "first", tags: { t: "1" } });
      expect(first).toMatchObject({ status: 200, body: { name: "first", tags: { t: "1" }, groups: before.groups } });
      const rowAfterFirst = await deviceRow(stored["device_id"]);

      const stale = await patch(stored["device_id"], query(stored["etag"]), { name: "stale" });
      expect(stale).toEqual({ status: 409, body: { code: "ABORTED", message: `etag ${stored["etag"]} is not current: the device changed` } });
      expect(await deviceRow(stored["device_id"])).toEqual(rowAfterFirst);
      // Connect answers the same code.
      await expect(
        connect.updateDevice(
          { device: { deviceId: stored["device_id"], name: "stale" }, updateMask: { paths: ["name"] }, etag: stored["etag"] },
          { headers: { authorization: `Bearer ${admin}` } },
        ),
      ).rejects.toMatchObject({ code: Code.Aborted });

      const second = await patch(stored["device_id"], query(first.body["etag"]), { name: "second", tags: {} });
      expect(second).toMatchObject({ status: 200, body: { name: "second" } });
      expect(second.body["tags"]).toEqual({});
    });

    test("concurrent updates with the same etag: exactly one wins, the others are 409 ABORTED, one event is written", async () => {
      const stored = withoutKey(await fresh());
      const id = stored["device_id"];
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) => patch(id, new URLSearchParams({ update_mask: "name", etag: stored["etag"] }).toString(), { name: `racer ${i}` })),
      );
      const winners = replies.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(replies.filter((r) => r.status === 409 && r.body["code"] === "ABORTED")).toHaveLength(11);
      expect(await api.call("GET", `/api/v1/devices/${id}`, admin)).toEqual(winners[0]);
      expect(await deviceRow(id)).toMatchObject({ version: "2", name: winners[0]!.body["name"] });
      const events = await service.db.pool.query("SELECT count(*)::int AS n FROM outbox WHERE subject = $1 AND event_type = 'device.updated'", [id]);
      expect(events.rows[0].n).toBe(1);
    });

    test("the device_id of the URL wins over one in the body", async () => {
      const target = withoutKey(await fresh());
      const bystander = withoutKey(await fresh());
      const reply = await patch(target["device_id"], "update_mask=name", { device_id: bystander["device_id"], name: "via url" });
      expect(reply).toMatchObject({ status: 200, body: { device_id: target["device_id"], name: "via url" } });
      expect(await api.call("GET", `/api/v1/devices/${bystander["device_id"]}`, admin)).toEqual({ status: 200, body: bystander });
    });

    test("status disabled stops the api_key from authenticating; registered again lets it back in", async () => {
      const registered = await fresh();
      const id = registered["device_id"];
      expect((await api.authenticate(hub, id, registered["api_key"])).status).toBe(200);
      expect((await patch(id, "update_mask=status", { status: "disabled" })).body["status"]).toBe("disabled");
      expect(await api.authenticate(hub, id, registered["api_key"])).toEqual(NOT_AUTHORIZED);
      expect((await patch(id, "update_mask=status", { status: "registered" })).body["status"]).toBe("registered");
      expect(await api.authenticate(hub, id, registered["api_key"])).toMatchObject({ status: 200, body: { device_id: id, status: "registered" } });
    });
  });

  describe("DeleteDevice", () => {
    test("a gateway's children, and theirs, are deleted with it; their credentials stop working; others stay", async () => {
      const gw = await api.register(admin, { name: "gw", hardware_id: "HW-DEL-GW", is_gateway: true });
      const child = await api.register(admin, { name: "child", hardware_id: "HW-DEL-CHILD", gateway_id: gw["device_id"] });
      const subGateway = await api.register(admin, { name: "sub", hardware_id: "HW-DEL-SUB", is_gateway: true, gateway_id: gw["device_id"] });
      const grandchild = await api.register(admin, { name: "grandchild", hardware_id: "HW-DEL-GRAND", gateway_id: subGateway["device_id"] });
      // A child registered by the gateway itself, holding no credential.
      const viaGateway = await fetch(`${service.baseUrl}/api/v1/devices/${gw["device_id"]}/children`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw["api_key"]}`, "content-type": "application/json" },
        body: JSON.stringify({ children: [{ hardware_id: "HW-DEL-SENSOR" }] }),
      });
      const sensorId = ((await viaGateway.json()) as Json)["results"][0]["device_id"] as string;
      const bystander = await api.register(admin, { name: "bystander", hardware_id: "HW-DEL-BYSTANDER" });
      const tree = [gw, child, subGateway, grandchild];

      expect(await api.call("DELETE", `/api/v1/devices/${gw["device_id"]}`, admin)).toEqual({ status: 200, body: {} });
      for (const id of [...tree.map((d) => d["device_id"] as string), sensorId]) {
        expect(await api.call("GET", `/api/v1/devices/${id}`, admin)).toEqual({
          status: 404,
          body: { code: "NOT_FOUND", message: `device "${id}" not found` },
        });
        expect(await deviceRow(id)).toBeUndefined();
        expect(await credentialRows(id)).toEqual([]);
      }
      for (const d of tree) expect(await api.authenticate(hub, d["device_id"], d["api_key"])).toEqual(NOT_AUTHORIZED);
      expect((await api.call("GET", `/api/v1/devices?gateway_id=${gw["device_id"]}`, admin)).body).toEqual({ devices: [] });
      expect((await api.authenticate(hub, bystander["device_id"], bystander["api_key"])).status).toBe(200);
      expect((await api.call("GET", `/api/v1/devices/${bystander["device_id"]}`, admin)).status).toBe(200);
    });

    test("deleting a child leaves its gateway alone", async () => {
      const gw = await api.register(admin, { name: "gw", hardware_id: "HW-DEL2-GW", is_gateway: true });
      const child = await api.register(admin, { name: "child", hardware_id: "HW-DEL2-CHILD", gateway_id: gw["device_id"] });
      expect((await api.call("DELETE", `/api/v1/devices/${child["device_id"]}`, admin)).status).toBe(200);
      expect(await api.call("GET", `/api/v1/devices/${gw["device_id"]}`, admin)).toEqual({ status: 200, body: withoutKey(gw) });
    });

    test("the hardware_id is free again: re-registering it gives a new device_id, the old api_key stays dead", async () => {
      const first = await api.register(admin, { name: "first life", hardware_id: "HW-REBORN" });
      expect((await api.call("DELETE", `/api/v1/devices/${first["device_id"]}`, admin)).status).toBe(200);
      expect(await api.authenticate(hub, first["device_id"], first["api_key"])).toEqual(NOT_AUTHORIZED);
      const second = await api.register(admin, { name: "second life", hardware_id: "HW-REBORN" });
      expect(second["device_id"]).not.toBe(first["device_id"]);
      expect(second["api_key"]).not.toBe(first["api_key"]);
      expect((await api.call("GET", `/api/v1/devices/${first["device_id"]}`, admin)).status).toBe(404);
      expect((await api.call("GET", `/api/v1/devices?hardware_id=HW-REBORN`, admin)).body["devices"]).toEqual([withoutKey(second)]);
      expect(await api.authenticate(hub, second["device_id"], first["api_key"])).toEqual(NOT_AUTHORIZED);
      expect((await api.authenticate(hub, second["device_id"], second["api_key"])).status).toBe(200);
    });

    test("deleting twice is NOT_FOUND the second time; a malformed id is 400 naming device_id", async () => {
      const device = await api.register(admin, { name: "twice", hardware_id: "HW-DEL-TWICE" });
      expect((await api.call("DELETE", `/api/v1/devices/${device["device_id"]}`, admin)).status).toBe(200);
      expect((await api.call("DELETE", `/api/v1/devices/${device["device_id"]}`, admin)).body).toEqual({
        code: "NOT_FOUND",
        message: `device "${device["device_id"]}" not found`,
      });
      expect(await api.call("DELETE", "/api/v1/devices/not-a-uuid", admin)).toEqual({
        status: 400,
        body: { code: "INVALID_ARGUMENT", message: "device_id: must be a device_id (UUID)" },
      });
    });
  });

  describe("RotateDeviceCredential", () => {
    test("returns a new api_key; the old one stops working at once; only hashes are stored", async () => {
      const device = await api.register(admin, { name: "rotating", hardware_id: "HW-ROTATE" });
      const id = device["device_id"] as string;
      const keys = [device["api_key"] as string];
      for (let i = 0; i < 2; i++) {
        const rotated = await api.call("POST", `/api/v1/devices/${id}:rotateCredential`, admin, {});
        expect(rotated).toEqual({ status: 200, body: { device_id: id, api_key: expect.stringMatching(/^sk_live_[A-Za-z0-9_-]{43}$/) } });
        keys.push(rotated.body["api_key"]);
        for (const old of keys.slice(0, -1)) expect(await api.authenticate(hub, id, old)).toEqual(NOT_AUTHORIZED);
        expect(await api.authenticate(hub, id, keys.at(-1)!)).toMatchObject({ status: 200, body: { device_id: id, tenant_id: tenant } });
      }
      expect(new Set(keys).size).toBe(3);
      // One row per key, found by its SHA-256; only the newest is live.
      const credentials = await credentialRows(id);
      expect(credentials).toHaveLength(3);
      const liveByKey = keys.map((key) => credentials.filter((c) => sha256(key).equals(c["secret_hash"])).map((c) => c["revoked_at"] === null));
      expect(liveByKey).toEqual([[false], [false], [true]]);
      // The device itself is untouched by a rotation.
      expect(await api.call("GET", `/api/v1/devices/${id}`, admin)).toEqual({ status: 200, body: withoutKey(device) });
    });

    test("an unknown device is NOT_FOUND; a malformed id is 400 naming device_id", async () => {
      const nowhere = randomUUID();
      expect(await api.call("POST", `/api/v1/devices/${nowhere}:rotateCredential`, admin, {})).toEqual({
        status: 404,
        body: { code: "NOT_FOUND", message: `device "${nowhere}" not found` },
      });
      expect((await api.call("POST", "/api/v1/devices/xyz:rotateCredential", admin, {})).body).toMatchObject({
        code: "INVALID_ARGUMENT",
        message: expect.stringMatching(/^device_id: /),
      });
    });
  });
});
