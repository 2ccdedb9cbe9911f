import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * Throws generated bad UpdateDevice and ListDevices requests at the REST mapping and at the
 * Connect JSON endpoint.
 *
 * Every request is built to be refused: it carries at least one element that can never pass (a
 * mask path that cannot be updated, an empty mask, an invalid value for a masked field, a stale
 * etag, a device that is not there, an unknown field, a filter or page size or page token that is
 * not valid), among random valid fields in random order. So every answer must be 4xx, nearly all
 * 400, and the database must not change; the service must answer normally afterwards.
 */

const BATCH = 8; // requests per run; each goes to both endpoints
const RUNS = 40; // 40 runs x 8 requests x 2 endpoints = 640 requests per RPC

const UPDATABLE = ["name", "groups", "tags", "anchor_mode", "profile_id", "gateway_id", "firmware", "meta", "config", "sub_model", "status"] as const;
type Path = (typeof UPDATABLE)[number];
const CONNECT = "/deviceregistry.v1.DeviceRegistryService";

const camel = (path: string) => path.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const repeated = (chars: readonly string[], min: number, max: number) =>
  fc.tuple(fc.constantFrom(...chars), fc.integer({ min, max })).map(([c, n]) => c.repeat(n));
const controlChar = fc.constantFrom("\u0000", "\u0001", "\u0007", "\u001b", "\u007f", "\u0085", "\u009f");
const withInside = (inner: fc.Arbitrary<string>) => fc.tuple(fc.string({ maxLength: 8 }), inner, fc.string({ maxLength: 8 })).map(([a, b, c]) => a + b + c);
const word = fc.stringMatching(/^[a-z0-9-]{1,10}$/);
const smallMap = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,8}$/), { maxKeys: 3 });

/** Values each updatable field accepts (`gateway` and `profile` name real ones of the tenant). */
const validValue = (gateway: string, profile: string): Record<Path, fc.Arbitrary<unknown>> => ({
  name: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/\p{Cc}/u.test(s)),
  groups: fc.array(word, { maxLength: 3 }),
  tags: smallMap,
  anchor_mode: fc.constantFrom("ANCHOR_MODE_PER_EVENT", "ANCHOR_MODE_MERKLE_BATCH", "ANCHOR_MODE_HASH_CHAIN"),
  profile_id: fc.constantFrom(profile, ""),
  gateway_id: fc.constantFrom(gateway, ""),
  firmware: fc.stringMatching(/^[0-9.]{0,10}$/),
  meta: smallMap,
  config: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  sub_model: fc.stringMatching(/^[a-z0-9]{0,8}$/),
  status: fc.constantFrom("registered", "disabled"),
});

/** Values no field of that name may hold. */
const invalidValue: Record<Path, fc.Arbitrary<unknown>> = {
  name: fc.oneof(fc.constant(""), repeated(["n", "é", "😀"], 201, 2000), withInside(controlChar)),
  groups: fc.oneof(
    fc.array(word, { minLength: 33, maxLength: 40 }),
    fc.constant([""]),
    withInside(controlChar).map((g) => [g]),
    repeated(["g"], 65, 200).map((g) => [g]),
  ),
  tags: fc.oneof(
    fc.dictionary(fc.stringMatching(/^k[0-9]{1,4}$/), fc.constant("v"), { minKeys: 65, maxKeys: 70 }),
    fc.constant({ "": "v" }),
    withInside(controlChar).map((v) => ({ k: v })),
    repeated(["k"], 129, 300).map((k) => ({ [k]: "v" })),
  ),
  anchor_mode: fc.constantFrom(-1, 42, 99, 1000),
  profile_id: fc.oneof(
    fc.constantFrom("-bad", "has space", "a/b", "p".repeat(64)),
    fc.stringMatching(/^[a-z]{1,8}$/).map((s) => `zz-nope-${s}`),
  ),
  gateway_id: fc.oneof(fc.uuid(), fc.constantFrom("not-a-uuid", "1234", "{}")),
  firmware: fc.oneof(repeated(["f", "ü"], 129, 1000), withInside(controlChar)),
  meta: fc.oneof(
    withInside(controlChar).map((v) => ({ m: v })),
    fc.constant({ "": "x" }),
  ),
  config: fc.oneof(
    withInside(fc.constant("\u0000")).map((s) => ({ s })),
    withInside(fc.constant("\u0000")).map((k) => ({ [k]: 1 })),
    repeated(["x"], 64 * 1024, 70 * 1024).map((blob) => ({ blob })),
  ),
  sub_model: fc.oneof(repeated(["s"], 129, 500), withInside(controlChar)),
  status: fc.string({ maxLength: 12 }).filter((s) => s !== "registered" && s !== "disabled"),
};

/** Mask paths that can never be updated. */
const badPath = fc.oneof(
  fc.constantFrom(
    "hardware_id",
    "device_id",
    "tenant_id",
    "is_gateway",
    "etag",
    "created_at",
    "updated_at",
    "api_key",
    "hub_url",
    "*",
    "device.name",
    "name.x",
  ),
  fc.stringMatching(/^[a-z][a-z_]{0,15}$/).filter((p) => !(UPDATABLE as readonly string[]).includes(p)),
);

/** One UpdateDevice request: the target, mask, etag and body (proto field names), and what breaks it. */
interface UpdateRequest {
  readonly kind: string;
  readonly deviceId: string;
  readonly mask: readonly string[];
  readonly etag: string;
  readonly body: Json;
}

function updateRequest(targets: readonly string[], gateway: string, profile: string): fc.Arbitrary<UpdateRequest> {
  const valid = validValue(gateway, profile);
  const fields = (paths: readonly Path[]) => fc.tuple(...paths.map((p) => valid[p].map((v) => [p, v] as const))).map((entries) => Object.fromEntries(entries));
  const noise = fc.subarray([...UPDATABLE]).chain(fields);
  const goodMask = fc.subarray([...UPDATABLE], { minLength: 1, maxLength: 4 });
  const anyEtag = fc.oneof(fc.constant(""), fc.constant('"1"'), fc.string({ maxLength: 10 }));
  const target = fc.constantFrom(...targets);

  const kinds: fc.Arbitrary<Omit<UpdateRequest, "body"> & { body: Json }>[] = [
    fc
      .tuple(target, goodMask, fc.array(badPath, { minLength: 1, maxLength: 2 }), anyEtag, noise)
      .chain(([deviceId, good, bad, etag, body]) =>
        fc
          .shuffledSubarray([...good, ...bad], { minLength: good.length + bad.length })
          .map((mask) => ({ kind: "unupdatable path", deviceId, mask, etag, body })),
      ),
    fc.tuple(target, anyEtag, noise).map(([deviceId, etag, body]) => ({ kind: "empty mask", deviceId, mask: [], etag, body })),
    fc
      .tuple(target, goodMask, anyEtag, noise)
      .chain(([deviceId, mask, etag, body]) =>
        fc
          .constantFrom(...mask)
          .chain((broken) =>
            invalidValue[broken as Path].map((value) => ({ kind: `invalid ${broken}`, deviceId, mask, etag, body: { ...body, [broken]: value } })),
          ),
      ),
    fc
      .tuple(
        target,
        goodMask,
        fc.oneof(fc.constantFrom('"0"', '"2"', '"99"', "2", 'W/"1"', "*"), fc.string({ minLength: 1, maxLength: 10 })).filter((e) => e !== '"1"' && e !== "1"),
        noise,
      )
      .map(([deviceId, mask, etag, body]) => ({ kind: "stale etag", deviceId, mask, etag, body })),
    fc.tuple(fc.uuid(), goodMask, anyEtag, noise).map(([deviceId, mask, etag, body]) => ({ kind: "no such device", deviceId, mask, etag, body })),
    fc
      .tuple(fc.constantFrom("not-a-uuid", "123", "0000"), goodMask, noise)
      .map(([deviceId, mask, body]) => ({ kind: "malformed device_id", deviceId, mask, etag: "", body })),
    fc
      .tuple(target, goodMask, noise, fc.constantFrom("tenant_id_x", "bogus", "hardwareid", "__proto__x"), fc.jsonValue({ maxDepth: 1 }))
      .map(([deviceId, mask, body, key, value]) => ({ kind: "unknown field", deviceId, mask, etag: "", body: { ...body, [key]: value } })),
    fc
      .tuple(
        target,
        goodMask,
        noise,
        fc.constantFrom<Path>("name", "groups", "tags", "firmware", "config", "status"),
        fc.constantFrom<unknown>(5, true, [1], { a: [] }, 1.5),
      )
      .map(([deviceId, mask, body, key, value]) => ({
        kind: "wrong JSON type",
        deviceId,
        mask,
        etag: "",
        // None of these is a string, a list of strings or a map of strings; only config takes an object.
        body: { ...body, [key]: key === "config" && !Array.isArray(value) && typeof value === "object" ? 5 : value },
      })),
  ];
  return fc.oneof(...kinds);
}

/** One ListDevices request (proto field names), built around at least one bad element. */
interface ListRequest {
  readonly kind: string;
  readonly query: Record<string, string | number>;
}

function listRequest(tokens: readonly string[]): fc.Arbitrary<ListRequest> {
  const validFilters = fc.record(
    {
      group: word,
      tag: fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z0-9=]{0,6}$/)).map(([k, v]) => `${k}=${v}`),
      status: fc.constantFrom("registered", "disabled"),
      profile_id: fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
      hardware_id: fc.stringMatching(/^[A-Z0-9-]{1,12}$/),
      gateway_id: fc.uuid(),
      page_size: fc.integer({ min: 0, max: 2000 }),
    },
    { requiredKeys: [] },
  );
  const tampered = fc.tuple(fc.constantFrom(...tokens), fc.nat(), fc.constantFrom("A", "x", "-", ".", "")).map(([t, at, c]) => {
    const i = at % t.length;
    const changed = t.slice(0, i) + c + t.slice(i + 1);
    return changed === t ? `${t}.` : changed;
  });
  const bad: [string, fc.Arbitrary<Record<string, string | number>>][] = [
    ["negative page_size", fc.integer({ min: -2147483648, max: -1 }).map((page_size) => ({ page_size }))],
    ["page_size out of int32", fc.constantFrom(2147483648, 1e12, -2147483649).map((page_size) => ({ page_size }))],
    ["fractional page_size", fc.constantFrom(1.5, 0.1, 999.9).map((page_size) => ({ page_size }))],
    ["page_size not a number", fc.constantFrom("abc", "ten", "1.5", "--1", "1,2").map((page_size) => ({ page_size }))],
    ["random page_token", fc.string({ minLength: 1, maxLength: 200 }).map((page_token) => ({ page_token }))],
    ["tampered page_token", tampered.map((page_token) => ({ page_token }))],
    ["page_token of other filters", fc.tuple(fc.constantFrom(...tokens), word).map(([page_token, group]) => ({ page_token, group: `other-${group}` }))],
    [
      "bad status",
      fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((s) => s !== "registered" && s !== "disabled")
        .map((status) => ({ status })),
    ],
    [
      "bad gateway_id",
      fc
        .oneof(
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.uuid().map((u) => `${u}x`),
        )
        .filter((s) => !/^[0-9a-f-]{36}$/i.test(s))
        .map((gateway_id) => ({ gateway_id })),
    ],
    ["tag without key=value", fc.oneof(fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^=[a-z=]{0,10}$/)).map((tag) => ({ tag }))],
    [
      "tag with control character",
      fc.tuple(withInside(controlChar), fc.boolean()).map(([s, inKey]) => ({ tag: inKey ? `${s.replace(/=/g, "")}=v` : `k=${s}` })),
    ],
    ["tag key too long", repeated(["k", "é"], 129, 400).map((k) => ({ tag: `${k}=v` }))],
    ["bad group", fc.oneof(repeated(["g", "ß"], 65, 300), withInside(controlChar)).map((group) => ({ group }))],
    ["bad profile_id", fc.constantFrom("-x", "has space", "a/b", "é", "p".repeat(64)).map((profile_id) => ({ profile_id }))],
    [
      "bad hardware_id",
      fc.oneof(withInside(fc.constantFrom(" ", "\t", "\u00a0", "\u3000")), repeated(["H"], 129, 300)).map((hardware_id) => ({ hardware_id })),
    ],
    ["unknown field", fc.constantFrom("tenant_id", "bogus", "pageSize2", "order_by").map((key) => ({ [key]: "x" }))],
  ];
  return fc.tuple(fc.constantFrom(...bad), validFilters).chain(([[kind, broken], filters]) => broken.map((b) => ({ kind, query: { ...filters, ...b } })));
}

describe("UpdateDevice and ListDevices under generated bad input", () => {
  let service: TestService;
  let api: RestApi;
  let token: string;
  let targets: string[];
  let gateway: string;
  let pageTokens: string[];
  const tenant = randomUUID();

  /** A digest of every table a management call could change. */
  async function databaseState(): Promise<Json> {
    const { rows } = await service.db.pool.query(
      `SELECT (SELECT md5(coalesce(string_agg(d::text, '|' ORDER BY device_id), '')) FROM devices d) AS devices,
              (SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY credential_id), '')) FROM device_credentials c) AS credentials,
              (SELECT md5(coalesce(string_agg(p::text, '|' ORDER BY profile_id), '')) FROM device_profiles p) AS profiles,
              (SELECT count(*)::int FROM outbox) AS outbox`,
    );
    return rows[0];
  }

  const send = (method: string, path: string, body?: unknown) => api.call(method, path, token, body);

  /** The REST and Connect forms of one update. */
  function sendUpdate(r: UpdateRequest) {
    const query = new URLSearchParams({ ...(r.mask.length > 0 ? { update_mask: r.mask.join(",") } : {}), ...(r.etag === "" ? {} : { etag: r.etag }) });
    return [
      send("PATCH", `/api/v1/devices/${encodeURIComponent(r.deviceId)}?${query}`, r.body).then((reply) => ({ endpoint: "REST", ...reply })),
      send("POST", `${CONNECT}/UpdateDevice`, { device: { ...r.body, device_id: r.deviceId }, updateMask: r.mask.map(camel).join(","), etag: r.etag }).then(
        (reply) => ({
          endpoint: "Connect",
          ...reply,
        }),
      ),
    ];
  }

  /** The REST and Connect forms of one listing. */
  function sendList(r: ListRequest) {
    const query = new URLSearchParams(Object.entries(r.query).map(([k, v]): [string, string] => [k, String(v)]));
    return [
      send("GET", `/api/v1/devices?${query}`).then((reply) => ({ endpoint: "REST", ...reply })),
      send("POST", `${CONNECT}/ListDevices`, r.query).then((reply) => ({ endpoint: "Connect", ...reply })),
    ];
  }

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    token = await service.token(tenant);
    expect((await api.call("POST", "/api/v1/profiles", token, { profile_id: "p_fuzz" })).status).toBe(200);
    gateway = (await api.register(token, { name: "gw", hardware_id: "HW-FUZZ-GW", is_gateway: true }))["device_id"];
    const child = await api.register(token, { name: "child", hardware_id: "HW-FUZZ-CHILD", gateway_id: gateway, profile_id: "p_fuzz" });
    const plain = await api.register(token, { name: "plain", hardware_id: "HW-FUZZ-PLAIN", tags: { region: "eu" }, config: { a: 1 } });
    targets = [gateway, child["device_id"], plain["device_id"]];
    pageTokens = [];
    for (const query of ["page_size=1", "page_size=2&status=registered", "page_size=1&tag=region%3Deu", "page_size=1&group="]) {
      const next = (await api.call("GET", `/api/v1/devices?${query}`, token)).body["next_page_token"];
      if (next) pageTokens.push(next);
    }
    expect(pageTokens.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
  afterAll(() => service.stop());

  /** Sends batches of generated requests; every answer must be 4xx with a code, and nothing may change. */
  async function fuzz<R extends { kind: string }>(
    requests: fc.Arbitrary<R>,
    sendBoth: (r: R) => Promise<{ endpoint: string; status: number; body: unknown }>[],
  ) {
    const before = await databaseState();
    const statuses = new Map<number, number>();
    const kinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(requests, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const replies = await Promise.all(batch.flatMap((r) => sendBoth(r).map((p) => p.then((reply) => ({ kind: r.kind, request: r, ...reply })))));
        for (const reply of replies) {
          kinds.add(reply.kind);
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          expect({ ...reply, client: reply.status >= 400 && reply.status < 500 }).toEqual({ ...reply, client: true });
          expect(reply.body).toEqual({ code: expect.any(String), message: expect.any(String) });
        }
        expect(await databaseState()).toEqual(before);
      }),
      { numRuns: RUNS },
    );
    return { statuses, kinds };
  }

  test("bad UpdateDevice requests over REST and Connect: only 4xx, nearly all 400, nothing written", async () => {
    const { statuses, kinds } = await fuzz(updateRequest(targets, gateway, "p_fuzz"), sendUpdate);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(RUNS * BATCH * 2);
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([400, 404, 409]));
    expect(statuses.get(400)! / total).toBeGreaterThan(0.6);
    for (const kind of ["unupdatable path", "empty mask", "stale etag", "no such device", "malformed device_id", "unknown field", "wrong JSON type"]) {
      expect(kinds).toContain(kind);
    }
    expect([...kinds].filter((k) => k.startsWith("invalid ")).length).toBeGreaterThanOrEqual(5);
  }, 120_000);

  test("bad ListDevices requests over REST and Connect: all 400 INVALID_ARGUMENT", async () => {
    const { statuses, kinds } = await fuzz(listRequest(pageTokens), sendList);
    expect([...statuses.keys()]).toEqual([400]);
    expect(kinds.size).toBe(16);
  }, 120_000);

  test("the service still answers: a valid update and listing succeed on both endpoints", async () => {
    const [device] = targets;
    const rest = await api.call("PATCH", `/api/v1/devices/${device}?update_mask=name`, token, { name: "after fuzz" });
    expect(rest).toMatchObject({ status: 200, body: { name: "after fuzz", etag: '"2"' } });
    const connect = await send("POST", `${CONNECT}/UpdateDevice`, { device: { deviceId: device, name: "after fuzz 2" }, updateMask: "name", etag: '"2"' });
    expect(connect).toMatchObject({ status: 200, body: { name: "after fuzz 2", etag: '"3"' } });
    const listed = await send("POST", `${CONNECT}/ListDevices`, { pageSize: 10 });
    expect((listed.body as Json)["devices"]).toHaveLength(3);
    expect((await api.call("GET", "/api/v1/devices?status=registered", token)).body["devices"]).toHaveLength(3);
  });
});
