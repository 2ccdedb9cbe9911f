import { createClient, Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { randomUUID } from "node:crypto";
import { AnchorMode, CredentialType } from "../../gen/deviceregistry/v1/device_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A profile exercising every editable field. */
const fullProfile = {
  profile_id: "p_temp_sensor_v2",
  display_name: "Temperature sensor v2",
  groups: ["sensors", "floor-3"],
  tags: { region: "eu", owner: "qa", tier: "gold" },
  anchor_mode: "ANCHOR_MODE_PER_EVENT",
  firmware: "2.1.0",
  meta: { vendor: "acme", model: "T-1000" },
  config: { sample_interval_s: 30, thresholds: { low: -10, high: 45.5 }, channels: ["a", "b"], enabled: true },
};

describe("device profiles", () => {
  let service: TestService;
  let tenant: string;
  let token: string;
  let otherTenant: string;
  let otherToken: string;
  let api: RestApi;

  const post = (path: string, body: unknown, bearer = token) => api.call("POST", path, bearer, body);
  const get = (path: string, bearer = token) => api.call("GET", path, bearer);
  const patch = (path: string, body: unknown, bearer = token) => api.call("PATCH", path, bearer, body);
  const del = (path: string, bearer = token) => api.call("DELETE", path, bearer);

  /** Creates a profile over REST and insists on 200. */
  async function createProfile(profile: Json, bearer = token): Promise<Json> {
    const reply = await post("/api/v1/profiles", profile, bearer);
    expect(reply).toMatchObject({ status: 200, body: { profile_id: profile["profile_id"] } });
    return reply.body;
  }

  async function count(sql: string, ...params: unknown[]): Promise<number> {
    return Number((await service.db.pool.query(sql, params)).rows[0].n);
  }
  const profileRows = () => count("SELECT count(*) AS n FROM device_profiles");
  const deviceRows = () => count("SELECT count(*) AS n FROM devices");
  const outboxRows = () => count("SELECT count(*) AS n FROM outbox");

  /** Every profile of the caller's tenant, following next_page_token with the given page size. */
  async function listAll(pageSize: number, bearer = token): Promise<{ pages: Json[][]; tokens: string[] }> {
    const pages: Json[][] = [];
    const tokens: string[] = [];
    let pageToken = "";
    for (let guard = 0; guard < 100; guard++) {
      const query = new URLSearchParams({ page_size: String(pageSize), ...(pageToken ? { page_token: pageToken } : {}) });
      const { status, body } = await get(`/api/v1/profiles?${query}`, bearer);
      expect(status).toBe(200);
      pages.push((body["profiles"] as Json[] | undefined) ?? []);
      const next = body["next_page_token"] as string | undefined;
      if (next === undefined) return { pages, tokens };
      expect(typeof next).toBe("string");
      expect(next).not.toBe("");
      tokens.push(next);
      pageToken = next;
    }
    throw new Error("pagination did not end after 100 pages");
  }

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    tenant = randomUUID();
    token = await service.token(tenant);
    otherTenant = randomUUID();
    otherToken = await service.token(otherTenant);
  });
  afterAll(() => service.stop());

  describe("CreateDeviceProfile", () => {
    test("returns the stored profile with every field, and GET returns the same", async () => {
      const { status, body } = await post("/api/v1/profiles", fullProfile);
      expect(status).toBe(200);
      expect(body).toEqual({
        ...fullProfile,
        tenant_id: tenant,
        created_at: expect.stringMatching(RFC3339_UTC),
        updated_at: body["created_at"],
        etag: expect.any(String),
      });
      expect(body["etag"]).not.toBe("");

      const fetched = await get("/api/v1/profiles/p_temp_sensor_v2");
      expect(fetched).toEqual({ status: 200, body });

      const rows = await service.db.pool.query("SELECT tenant_id, profile_id, tags, config FROM device_profiles WHERE profile_id = $1", ["p_temp_sensor_v2"]);
      expect(rows.rows).toEqual([{ tenant_id: tenant, profile_id: "p_temp_sensor_v2", tags: fullProfile.tags, config: fullProfile.config }]);
    });

    test("a duplicate profile_id in the tenant is 409 ALREADY_EXISTS and leaves the stored profile alone", async () => {
      await createProfile({ profile_id: "p_dup", display_name: "first" });
      const before = await profileRows();
      const { status, body } = await post("/api/v1/profiles", { profile_id: "p_dup", display_name: "second" });
      expect(status).toBe(409);
      expect(body).toEqual({ code: "ALREADY_EXISTS", message: 'profile "p_dup" already exists in this tenant' });
      expect(await profileRows()).toBe(before);
      expect((await get("/api/v1/profiles/p_dup")).body["display_name"]).toBe("first");
    });

    test("profile ids are per tenant: another tenant may create the same id", async () => {
      await createProfile({ profile_id: "p_shared_id", display_name: "mine" });
      const theirs = await createProfile({ profile_id: "p_shared_id", display_name: "theirs" }, otherToken);
      expect(theirs["tenant_id"]).toBe(otherTenant);
      expect((await get("/api/v1/profiles/p_shared_id")).body).toMatchObject({ tenant_id: tenant, display_name: "mine" });
      expect((await get("/api/v1/profiles/p_shared_id", otherToken)).body).toMatchObject({ tenant_id: otherTenant, display_name: "theirs" });
    });

    test("the tenant comes from the token: output-only fields in the body are ignored", async () => {
      const { status, body } = await post("/api/v1/profiles", {
        profile_id: "p_output_only",
        tenant_id: otherTenant,
        etag: '"99"',
        created_at: "2001-01-01T00:00:00Z",
      });
      expect(status).toBe(200);
      expect(body["tenant_id"]).toBe(tenant);
      expect(body["etag"]).not.toBe('"99"');
      expect(body["created_at"]).not.toBe("2001-01-01T00:00:00Z");
      expect((await get("/api/v1/profiles/p_output_only", otherToken)).status).toBe(404);
    });

    test.each([
      ["empty", ""],
      ["starting with '-'", "-leading-dash"],
      ["starting with '_'", "_leading_underscore"],
      ["with a space", "has space"],
      ["with a slash", "a/b"],
      ["non-ASCII", "prüfung"],
      ["64 characters", "p" + "x".repeat(63)],
    ])("a profile_id %s is 400 naming profile.profile_id, and writes nothing", async (_label, profileId) => {
      const before = await profileRows();
      const { status, body } = await post("/api/v1/profiles", { profile_id: profileId, display_name: "bad" });
      expect(status).toBe(400);
      expect(body["code"]).toBe("INVALID_ARGUMENT");
      expect(body["message"]).toMatch(/^profile\.profile_id: /);
      expect(await profileRows()).toBe(before);
    });

    test("a missing profile_id is 400 naming profile.profile_id", async () => {
      const { status, body } = await post("/api/v1/profiles", { display_name: "no id" });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/^profile\.profile_id: /) });
    });

    test("a config PostgreSQL cannot store (U+0000) or nested too deep is 400 naming profile.config", async () => {
      const before = await profileRows();
      const nul = await post("/api/v1/profiles", { profile_id: "p_nul", config: { ["k\u0000"]: "v" } });
      expect(nul).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "profile.config: must not contain the character U+0000" } });
      const deep = await post("/api/v1/profiles", { profile_id: "p_deep", config: { deep: JSON.parse("[".repeat(32) + "]".repeat(32)) } });
      expect(deep).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "profile.config: must nest objects and arrays at most 32 levels deep" } });
      expect(await profileRows()).toBe(before);
    });

    test("a profile_id of 63 characters with '_', '.' and '-' is accepted", async () => {
      const id = "P0_." + "-".repeat(10) + "z".repeat(49);
      expect(id).toHaveLength(63);
      expect((await createProfile({ profile_id: id }))["profile_id"]).toBe(id);
    });

    test.each([
      ["profile.display_name", { display_name: "d".repeat(201) }],
      ["profile.groups", { groups: Array.from({ length: 33 }, (_, i) => `g${i}`) }],
      ["profile.groups[1]", { groups: ["ok", ""] }],
      ["profile.tags", { tags: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) }],
      ["profile.meta[", { meta: { k: "v".repeat(513) } }],
      ["profile.firmware", { firmware: "f".repeat(129) }],
      ["profile.config", { config: { blob: "x".repeat(64 * 1024) } }],
      ["profile.anchor_mode", { anchor_mode: 42 }],
      ["profile.credential_type", { credential_type: 7 }],
    ])("a bad field is 400 naming %s, and writes nothing", async (field, fields) => {
      const before = await profileRows();
      const { status, body } = await post("/api/v1/profiles", { profile_id: "p_bad_fields", ...fields });
      expect(status).toBe(400);
      expect(body["code"]).toBe("INVALID_ARGUMENT");
      expect(body["message"]).toEqual(expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")}`)));
      expect(await profileRows()).toBe(before);
    });
  });

  describe("GetDeviceProfile", () => {
    test("an unknown profile is 404 NOT_FOUND", async () => {
      expect(await get("/api/v1/profiles/p_does_not_exist")).toEqual({
        status: 404,
        body: { code: "NOT_FOUND", message: 'profile "p_does_not_exist" not found' },
      });
    });

    test("another tenant's profile is 404 NOT_FOUND, never PERMISSION_DENIED, and reveals nothing", async () => {
      await createProfile({ profile_id: "p_theirs_only", display_name: "secret" }, otherToken);
      const reply = await get("/api/v1/profiles/p_theirs_only");
      expect(reply).toEqual({ status: 404, body: { code: "NOT_FOUND", message: 'profile "p_theirs_only" not found' } });
      // Same answer as for an id that exists nowhere.
      expect((await get("/api/v1/profiles/p_nowhere_at_all")).status).toBe(404);
    });

    test("a malformed profile_id in the path is 400 naming profile_id", async () => {
      const { status, body } = await get(`/api/v1/profiles/${encodeURIComponent("bad id!")}`);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/^profile_id: /) });
    });
  });

  describe("ListDeviceProfiles", () => {
    // A tenant of its own, so the other tests' profiles do not interfere.
    const listTenant = randomUUID();
    let listToken: string;
    // Mixed case and punctuation: the order is by profile_id, byte-wise (the database collation is C).
    const ids = ["b-2", "a_1", "B_0", "a.1", "c", "A", "a-1", "z9", "0zero"];
    const sorted = [...ids].sort();

    beforeAll(async () => {
      listToken = await service.token(listTenant);
      for (const id of ids) await createProfile({ profile_id: id, display_name: `profile ${id}` }, listToken);
    });

    test("page_size=2 walks every profile exactly once, in profile_id order, ending with no next_page_token", async () => {
      const { pages, tokens } = await listAll(2, listToken);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 2, 1]);
      expect(tokens).toHaveLength(4);
      expect(new Set(tokens).size).toBe(4);
      const listed = pages.flat();
      expect(listed.map((p) => p["profile_id"])).toEqual(sorted);
      for (const profile of listed) {
        expect(profile).toMatchObject({ tenant_id: listTenant, display_name: `profile ${profile["profile_id"]}`, etag: expect.any(String) });
      }
    });

    test("the pages' profiles are the full records GET returns", async () => {
      const { pages } = await listAll(4, listToken);
      for (const profile of pages.flat()) {
        expect(await get(`/api/v1/profiles/${encodeURIComponent(profile["profile_id"] as string)}`, listToken)).toEqual({ status: 200, body: profile });
      }
    });

    test("a page size that divides the count exactly still ends with an empty-token page", async () => {
      const { pages } = await listAll(3, listToken);
      expect(pages.flat().map((p) => p["profile_id"])).toEqual(sorted);
      expect(pages.every((p) => p.length <= 3)).toBe(true);
    });

    test("page_size 0 means the default (50) and a huge page_size is capped: one page, no token", async () => {
      for (const size of [0, 5000]) {
        const { status, body } = await get(`/api/v1/profiles?page_size=${size}`, listToken);
        expect(status).toBe(200);
        expect((body["profiles"] as Json[]).map((p) => p["profile_id"])).toEqual(sorted);
        expect(body).not.toHaveProperty("next_page_token");
      }
    });

    test("lists only the caller's tenant; a tenant without profiles gets an empty list", async () => {
      const { pages } = await listAll(50, token);
      const mine = pages.flat();
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((p) => p["tenant_id"] === tenant)).toBe(true);
      expect(mine.map((p) => p["profile_id"])).not.toContain("b-2");
      expect(await get("/api/v1/profiles", await service.token(randomUUID()))).toEqual({ status: 200, body: { profiles: [] } });
    });

    test("a tampered or forged page_token is 400 naming page_token", async () => {
      const first = await get("/api/v1/profiles?page_size=2", listToken);
      const pageToken = first.body["next_page_token"] as string;
      const flipAt = (i: number) => pageToken.slice(0, i) + (pageToken[i] === "A" ? "B" : "A") + pageToken.slice(i + 1);
      const forged = Buffer.from(JSON.stringify({ after: "a" })).toString("base64url");
      const tampered = [
        flipAt(0),
        flipAt(16),
        flipAt(pageToken.length - 1),
        pageToken.slice(0, -1),
        forged,
        `${forged}.${pageToken}`,
        "not-a-token",
        `${pageToken}x`,
      ];
      for (const bad of tampered) {
        const reply = await get(`/api/v1/profiles?page_size=2&page_token=${encodeURIComponent(bad)}`, listToken);
        expect({ bad, ...reply }).toEqual({
          bad,
          status: 400,
          body: { code: "INVALID_ARGUMENT", message: "page_token: is not a token returned by this method" },
        });
      }
    });

    test("a page_token with non-ASCII characters is 400, not 500", async () => {
      const first = await get("/api/v1/profiles?page_size=2", listToken);
      const pageToken = first.body["next_page_token"] as string;
      // Same number of UTF-16 units as a real token, but more bytes.
      for (const bad of [`${pageToken.slice(0, -1)}é`, "é".repeat(pageToken.length), "😀".repeat(Math.floor(pageToken.length / 2))]) {
        const reply = await get(`/api/v1/profiles?page_size=2&page_token=${encodeURIComponent(bad)}`, listToken);
        expect({ bad, ...reply }).toEqual({
          bad,
          status: 400,
          body: { code: "INVALID_ARGUMENT", message: "page_token: is not a token returned by this method" },
        });
      }
    });

    test("a page_token of one tenant does not reveal or skip into another tenant's profiles", async () => {
      const first = await get("/api/v1/profiles?page_size=1", listToken);
      const reply = await get(`/api/v1/profiles?page_size=50&page_token=${encodeURIComponent(first.body["next_page_token"] as string)}`, token);
      // Refused, or a page of the caller's own profiles: never another tenant's.
      expect([200, 400]).toContain(reply.status);
      expect(((reply.body["profiles"] as Json[] | undefined) ?? []).every((p) => p["tenant_id"] === tenant)).toBe(true);
      expect(JSON.stringify(reply.body)).not.toContain(listTenant);
    });

    test.each([
      ["-1", /^page_size: /],
      ["-1000", /^page_size: /],
      ["abc", /page_size/],
      ["1.5", /page_size/],
    ])("page_size=%s is 400 INVALID_ARGUMENT", async (size, message) => {
      const { status, body } = await get(`/api/v1/profiles?page_size=${size}`, listToken);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(message) });
    });
  });

  describe("UpdateDeviceProfile", () => {
    const updatePath = (id: string, mask: string | undefined, etag?: string) => {
      const query = new URLSearchParams({ ...(mask === undefined ? {} : { update_mask: mask }), ...(etag === undefined ? {} : { etag }) });
      return `/api/v1/profiles/${id}?${query}`;
    };
    const changes = {
      display_name: "Renamed",
      groups: ["changed"],
      tags: { region: "us", new: "yes" },
      anchor_mode: "ANCHOR_MODE_HASH_CHAIN",
      firmware: "9.9.9",
      meta: { vendor: "other" },
      config: { changed: true },
    };

    test("changes only the masked fields and gives a new etag", async () => {
      const created = await createProfile({ ...fullProfile, profile_id: "p_update" });
      const { status, body } = await patch(updatePath("p_update", "display_name,tags"), { profile_id: "p_update", ...changes });
      expect(status).toBe(200);
      expect(body).toEqual({
        ...created,
        display_name: "Renamed",
        tags: { region: "us", new: "yes" },
        updated_at: expect.stringMatching(RFC3339_UTC),
        etag: expect.any(String),
      });
      expect(body["etag"]).not.toBe(created["etag"]);
      expect(Date.parse(body["updated_at"] as string)).toBeGreaterThanOrEqual(Date.parse(created["updated_at"] as string));
      expect(await get("/api/v1/profiles/p_update")).toEqual({ status: 200, body });
    });

    test("with the current etag the update applies; with a stale one it is 409 ABORTED and changes nothing", async () => {
      const created = await createProfile({ ...fullProfile, profile_id: "p_etag" });
      const first = await patch(updatePath("p_etag", "firmware", created["etag"] as string), { firmware: "3.0.0" });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ firmware: "3.0.0", display_name: fullProfile.display_name });

      const stale = await patch(updatePath("p_etag", "firmware", created["etag"] as string), { firmware: "4.0.0" });
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ code: "ABORTED", message: expect.stringContaining("etag") });
      expect(await get("/api/v1/profiles/p_etag")).toEqual({ status: 200, body: first.body });

      const again = await patch(updatePath("p_etag", "firmware", first.body["etag"] as string), { firmware: "4.0.0" });
      expect(again.status).toBe(200);
      expect(again.body["firmware"]).toBe("4.0.0");
    });

    test("concurrent updates with the same etag: exactly one wins, the rest are 409 ABORTED", async () => {
      const created = await createProfile({ profile_id: "p_race", display_name: "start" });
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => patch(updatePath("p_race", "display_name", created["etag"] as string), { display_name: `racer ${i}` })),
      );
      const winners = replies.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(replies.filter((r) => r.status === 409 && r.body["code"] === "ABORTED")).toHaveLength(9);
      expect((await get("/api/v1/profiles/p_race")).body["display_name"]).toBe(winners[0]!.body["display_name"]);
    });

    test("every updatable field can be masked; a masked field absent from the body is cleared", async () => {
      await createProfile({ ...fullProfile, profile_id: "p_all_fields" });
      const all = "display_name,groups,tags,anchor_mode,firmware,meta,config";
      const { status, body } = await patch(updatePath("p_all_fields", all), changes);
      expect(status).toBe(200);
      expect(body).toMatchObject(changes);
      const cleared = await patch(updatePath("p_all_fields", "tags,groups,firmware,config"), {});
      expect(cleared.status).toBe(200);
      expect(cleared.body).toMatchObject({ tags: {}, groups: [] });
      expect(cleared.body).not.toHaveProperty("firmware");
      expect(cleared.body).not.toHaveProperty("config");
      expect(cleared.body).toMatchObject({ display_name: "Renamed", meta: { vendor: "other" }, anchor_mode: "ANCHOR_MODE_HASH_CHAIN" });
    });

    test("the profile_id of the URL wins over one in the body", async () => {
      await createProfile({ profile_id: "p_url_wins", display_name: "before" });
      const { status, body } = await patch(updatePath("p_url_wins", "display_name"), { profile_id: "p_other", display_name: "after" });
      expect(status).toBe(200);
      expect(body).toMatchObject({ profile_id: "p_url_wins", display_name: "after" });
      expect((await get("/api/v1/profiles/p_other")).status).toBe(404);
    });

    test.each([
      ["an unknown path", "bogus"],
      ["an unknown path next to a good one", "display_name,bogus"],
      ["the immutable profile_id", "profile_id"],
      ["the output-only tenant_id", "tenant_id"],
      ["the output-only etag", "etag"],
    ])("update_mask with %s is 400 naming update_mask and changes nothing", async (_label, mask) => {
      const created = await createProfile({ profile_id: `p_mask_${mask.replace(/\W/g, "_")}`, display_name: "unchanged" });
      const id = created["profile_id"] as string;
      const { status, body } = await patch(updatePath(id, mask), { display_name: "changed" });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/^update_mask: /) });
      expect(await get(`/api/v1/profiles/${id}`)).toEqual({ status: 200, body: created });
    });

    test.each([
      ["an empty update_mask", ""],
      ["no update_mask", undefined],
    ])("%s is 400 naming update_mask", async (_label, mask) => {
      await createProfile({ profile_id: `p_nomask_${mask === undefined ? "absent" : "empty"}`, display_name: "unchanged" });
      const { status, body } = await patch(updatePath(`p_nomask_${mask === undefined ? "absent" : "empty"}`, mask), { display_name: "changed" });
      expect(status).toBe(400);
      expect(body).toEqual({ code: "INVALID_ARGUMENT", message: "update_mask: must name at least one field" });
    });

    test("an invalid new value is 400 naming the field and changes nothing", async () => {
      const created = await createProfile({ profile_id: "p_bad_update", display_name: "ok" });
      const { status, body } = await patch(updatePath("p_bad_update", "display_name"), { display_name: "x".repeat(201) });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/^profile\.display_name: /) });
      expect(await get("/api/v1/profiles/p_bad_update")).toEqual({ status: 200, body: created });
    });

    test("an unknown profile, and another tenant's, are 404 and the other tenant's profile is untouched", async () => {
      expect(await patch(updatePath("p_never_created", "display_name"), { display_name: "x" })).toEqual({
        status: 404,
        body: { code: "NOT_FOUND", message: 'profile "p_never_created" not found' },
      });
      const theirs = await createProfile({ profile_id: "p_theirs_update", display_name: "theirs" }, otherToken);
      const reply = await patch(updatePath("p_theirs_update", "display_name", theirs["etag"] as string), { display_name: "hijacked" });
      expect(reply).toEqual({ status: 404, body: { code: "NOT_FOUND", message: 'profile "p_theirs_update" not found' } });
      expect(await get("/api/v1/profiles/p_theirs_update", otherToken)).toEqual({ status: 200, body: theirs });
    });
  });

  describe("DeleteDeviceProfile", () => {
    test("deletes: 200 {} then 404 for GET and for a second DELETE", async () => {
      await createProfile({ profile_id: "p_delete_me" });
      expect(await del("/api/v1/profiles/p_delete_me")).toEqual({ status: 200, body: {} });
      expect(await get("/api/v1/profiles/p_delete_me")).toEqual({ status: 404, body: { code: "NOT_FOUND", message: 'profile "p_delete_me" not found' } });
      expect(await del("/api/v1/profiles/p_delete_me")).toEqual({ status: 404, body: { code: "NOT_FOUND", message: 'profile "p_delete_me" not found' } });
      expect(await count("SELECT count(*) AS n FROM device_profiles WHERE profile_id = 'p_delete_me'")).toBe(0);
      // The id is free again.
      await createProfile({ profile_id: "p_delete_me", display_name: "reborn" });
    });

    test("another tenant's profile is 404 and stays", async () => {
      const theirs = await createProfile({ profile_id: "p_theirs_delete" }, otherToken);
      expect(await del("/api/v1/profiles/p_theirs_delete")).toEqual({
        status: 404,
        body: { code: "NOT_FOUND", message: 'profile "p_theirs_delete" not found' },
      });
      expect(await get("/api/v1/profiles/p_theirs_delete", otherToken)).toEqual({ status: 200, body: theirs });
    });

    test("a profile a device still uses is 400 FAILED_PRECONDITION and remains", async () => {
      const profile = await createProfile({ profile_id: "p_in_use", display_name: "busy" });
      const device = await post("/api/v1/devices", { name: "user of p_in_use", hardware_id: "HW-IN-USE", profile_id: "p_in_use" });
      expect(device.status).toBe(200);
      const reply = await del("/api/v1/profiles/p_in_use");
      expect(await get("/api/v1/profiles/p_in_use")).toEqual({ status: 200, body: profile });
      expect(reply).toEqual({
        status: 400,
        body: { code: "FAILED_PRECONDITION", message: 'profile "p_in_use" is still used by devices' },
      });
    });

    test("profiles of the same id in two tenants are independent: only the tenant whose devices use it is blocked", async () => {
      await createProfile({ profile_id: "p_same_name_used" }, otherToken);
      expect((await post("/api/v1/devices", { name: "d", hardware_id: "HW-SAME-NAME", profile_id: "p_same_name_used" }, otherToken)).status).toBe(200);
      await createProfile({ profile_id: "p_same_name_used" });
      // Our profile of that id is unused, even though the other tenant's is in use.
      expect(await del("/api/v1/profiles/p_same_name_used")).toEqual({ status: 200, body: {} });
      expect((await get("/api/v1/profiles/p_same_name_used", otherToken)).status).toBe(200);
    });
  });

  describe("defaults applied by RegisterDevice", () => {
    const profile = {
      profile_id: "p_defaults",
      display_name: "Defaults",
      groups: ["sensors", "floor-3"],
      tags: { region: "eu", owner: "qa" },
      anchor_mode: "ANCHOR_MODE_PER_EVENT",
      firmware: "2.1.0",
      meta: { vendor: "acme", model: "T-1000" },
      config: { sample_interval_s: 30, thresholds: { low: -10, high: 45.5 } },
    };

    beforeAll(async () => {
      await createProfile(profile);
      // Exists, but in the other tenant only.
      await createProfile({ ...profile, profile_id: "p_defaults_theirs" }, otherToken);
    });

    /** The device row and its device.registered event, as stored. */
    async function stored(deviceId: string) {
      const device = await service.db.pool.query("SELECT * FROM devices WHERE device_id = $1", [deviceId]);
      const event = await service.db.pool.query("SELECT payload FROM outbox WHERE subject = $1", [deviceId]);
      expect(device.rows).toHaveLength(1);
      expect(event.rows).toHaveLength(1);
      return { row: device.rows[0] as Json, event: event.rows[0].payload.device as Json };
    }

    test("a request that leaves everything unset inherits groups, tags, anchor_mode, firmware, meta and config", async () => {
      const { status, body } = await post("/api/v1/devices", { name: "bare", hardware_id: "HW-DEF-BARE", profile_id: "p_defaults" });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        tenant_id: tenant,
        profile_id: "p_defaults",
        groups: profile.groups,
        tags: profile.tags,
        anchor_mode: "ANCHOR_MODE_PER_EVENT",
        firmware: "2.1.0",
        meta: profile.meta,
        config: profile.config,
      });
      const { row, event } = await stored(body["device_id"] as string);
      expect(row).toMatchObject({
        profile_id: "p_defaults",
        groups: profile.groups,
        tags: profile.tags,
        anchor_mode: AnchorMode.PER_EVENT,
        firmware: "2.1.0",
        meta: profile.meta,
        config: profile.config,
      });
      expect(event).toMatchObject({
        profile_id: "p_defaults",
        groups: profile.groups,
        tags: profile.tags,
        anchor_mode: "ANCHOR_MODE_PER_EVENT",
        firmware: "2.1.0",
      });
    });

    test("tags and meta are merged with the request winning per key", async () => {
      const { status, body } = await post("/api/v1/devices", {
        name: "merged",
        hardware_id: "HW-DEF-MERGE",
        profile_id: "p_defaults",
        tags: { region: "us", floor: "3" },
        meta: { model: "T-2000", serial: "42" },
      });
      expect(status).toBe(200);
      expect(body["tags"]).toEqual({ region: "us", owner: "qa", floor: "3" });
      expect(body["meta"]).toEqual({ vendor: "acme", model: "T-2000", serial: "42" });
      // The rest still comes from the profile.
      expect(body).toMatchObject({ groups: profile.groups, firmware: "2.1.0", anchor_mode: "ANCHOR_MODE_PER_EVENT", config: profile.config });
      const { row } = await stored(body["device_id"] as string);
      expect(row).toMatchObject({ tags: { region: "us", owner: "qa", floor: "3" }, meta: { vendor: "acme", model: "T-2000", serial: "42" } });
    });

    test("the request's own groups, firmware, config and anchor_mode win when set (even the default MERKLE_BATCH)", async () => {
      const own = {
        groups: ["mine"],
        firmware: "0.0.1",
        config: { own: true },
        anchor_mode: "ANCHOR_MODE_MERKLE_BATCH",
      };
      const { status, body } = await post("/api/v1/devices", { name: "own", hardware_id: "HW-DEF-OWN", profile_id: "p_defaults", ...own });
      expect(status).toBe(200);
      expect(body).toMatchObject({ ...own, tags: profile.tags, meta: profile.meta });
      const { row } = await stored(body["device_id"] as string);
      expect(row).toMatchObject({ groups: ["mine"], firmware: "0.0.1", config: { own: true }, anchor_mode: AnchorMode.MERKLE_BATCH });
    });

    test("each default applies independently: only the unset fields are taken from the profile", async () => {
      const { status, body } = await post("/api/v1/devices", {
        name: "partial",
        hardware_id: "HW-DEF-PARTIAL",
        profile_id: "p_defaults",
        firmware: "5.0.0",
        anchor_mode: "ANCHOR_MODE_HASH_CHAIN",
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ firmware: "5.0.0", anchor_mode: "ANCHOR_MODE_HASH_CHAIN", groups: profile.groups, config: profile.config });
    });

    test("without a profile the anchor mode is MERKLE_BATCH and nothing else is filled in", async () => {
      const { status, body } = await post("/api/v1/devices", { name: "plain", hardware_id: "HW-DEF-NONE" });
      expect(status).toBe(200);
      expect(body["anchor_mode"]).toBe("ANCHOR_MODE_MERKLE_BATCH");
      for (const field of ["profile_id", "firmware", "config"]) expect(body).not.toHaveProperty(field);
      expect(body).toMatchObject({ groups: [], tags: {}, meta: {} });
    });

    test("defaults are copied at registration: a later profile update changes new devices only", async () => {
      await createProfile({ profile_id: "p_evolving", firmware: "1.0.0", groups: ["v1"] });
      const early = await post("/api/v1/devices", { name: "early", hardware_id: "HW-EVOLVE-1", profile_id: "p_evolving" });
      expect(early.body).toMatchObject({ firmware: "1.0.0", groups: ["v1"] });
      expect((await patch("/api/v1/profiles/p_evolving?update_mask=firmware,groups", { firmware: "2.0.0", groups: ["v2"] })).status).toBe(200);
      const late = await post("/api/v1/devices", { name: "late", hardware_id: "HW-EVOLVE-2", profile_id: "p_evolving" });
      expect(late.body).toMatchObject({ firmware: "2.0.0", groups: ["v2"] });
      const { row } = await stored(early.body["device_id"] as string);
      expect(row).toMatchObject({ firmware: "1.0.0", groups: ["v1"] });
    });

    test.each([
      ["unknown in the tenant", "p_unknown_here"],
      ["existing only in another tenant", "p_defaults_theirs"],
    ])("a profile_id %s is 400 naming profile_id and writes nothing", async (_label, profileId) => {
      const devices = await deviceRows();
      const events = await outboxRows();
      const { status, body } = await post("/api/v1/devices", { name: "orphan", hardware_id: `HW-ORPHAN-${profileId}`, profile_id: profileId });
      expect(status).toBe(400);
      expect(body).toEqual({ code: "INVALID_ARGUMENT", message: `profile_id: profile "${profileId}" does not exist in this tenant` });
      expect(await deviceRows()).toBe(devices);
      expect(await outboxRows()).toBe(events);
    });

    test("a malformed profile_id is 400 naming profile_id", async () => {
      const { status, body } = await post("/api/v1/devices", { name: "bad", hardware_id: "HW-BAD-PROFILE-ID", profile_id: "not valid!" });
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringMatching(/^profile_id: /) });
    });
  });

  describe("access", () => {
    test("a member without the devices permission may read profiles but not change them", async () => {
      const readerToken = await service.token(tenant, "member");
      expect((await get("/api/v1/profiles/p_temp_sensor_v2", readerToken)).status).toBe(200);
      expect((await get("/api/v1/profiles?page_size=1", readerToken)).status).toBe(200);
      const denied = [
        await post("/api/v1/profiles", { profile_id: "p_by_reader" }, readerToken),
        await patch("/api/v1/profiles/p_temp_sensor_v2?update_mask=display_name", { display_name: "x" }, readerToken),
        await del("/api/v1/profiles/p_temp_sensor_v2", readerToken),
      ];
      for (const reply of denied) expect(reply).toMatchObject({ status: 403, body: { code: "PERMISSION_DENIED" } });
      expect((await get("/api/v1/profiles/p_temp_sensor_v2")).body["display_name"]).toBe(fullProfile.display_name);
      expect((await get("/api/v1/profiles/p_by_reader")).status).toBe(404);

      const writerToken = await service.token(tenant, "member", ["devices"]);
      expect((await post("/api/v1/profiles", { profile_id: "p_by_writer" }, writerToken)).status).toBe(200);
    });

    test("no token is 401 UNAUTHENTICATED", async () => {
      const res = await fetch(`${service.baseUrl}/api/v1/profiles`);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: "UNAUTHENTICATED" });
    });
  });

  describe("over the Connect client", () => {
    let client: ReturnType<typeof createClient<typeof DeviceRegistryService>>;
    let headers: Record<string, string>;
    let otherHeaders: Record<string, string>;
    let created: Awaited<ReturnType<typeof client.createDeviceProfile>>;
    const connectConfig = { nested: { list: [1, "two", null, false] } };

    beforeAll(async () => {
      client = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
      headers = { authorization: `Bearer ${token}` };
      otherHeaders = { authorization: `Bearer ${otherToken}` };
      created = await client.createDeviceProfile(
        {
          profile: {
            profileId: "p_connect",
            displayName: "Over Connect",
            groups: ["connect"],
            tags: { via: "connect" },
            anchorMode: AnchorMode.HASH_CHAIN,
            firmware: "7.0.0",
            meta: { k: "v" },
            config: connectConfig,
            credentialType: CredentialType.API_KEY,
          },
        },
        { headers },
      );
    });

    test("create returns the stored profile; duplicates and bad ids are refused", async () => {
      expect(created).toMatchObject({
        profileId: "p_connect",
        tenantId: tenant,
        displayName: "Over Connect",
        groups: ["connect"],
        tags: { via: "connect" },
        anchorMode: AnchorMode.HASH_CHAIN,
        firmware: "7.0.0",
        meta: { k: "v" },
        config: connectConfig,
        credentialType: CredentialType.API_KEY,
      });
      expect(created.etag).not.toBe("");
      await expect(client.createDeviceProfile({ profile: { profileId: "p_connect" } }, { headers })).rejects.toMatchObject({
        code: Code.AlreadyExists,
        rawMessage: 'profile "p_connect" already exists in this tenant',
      } satisfies Partial<ConnectError>);
      await expect(client.createDeviceProfile({ profile: { profileId: "no spaces allowed" } }, { headers })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringMatching(/^profile\.profile_id: /),
      });
      await expect(client.createDeviceProfile({}, { headers })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: expect.stringMatching(/^profile\.profile_id: /),
      });
    });

    test("get returns the same profile; another tenant gets NotFound", async () => {
      expect(await client.getDeviceProfile({ profileId: "p_connect" }, { headers })).toEqual(created);
      await expect(client.getDeviceProfile({ profileId: "p_connect" }, { headers: otherHeaders })).rejects.toMatchObject({
        code: Code.NotFound,
        rawMessage: 'profile "p_connect" not found',
      });
    });

    test("list pages through every profile once, in order; bad page arguments are InvalidArgument", async () => {
      const listed: string[] = [];
      let pageToken = "";
      do {
        const page = await client.listDeviceProfiles({ pageSize: 3, pageToken }, { headers });
        expect(page.profiles.length).toBeLessThanOrEqual(3);
        expect(page.profiles.every((p) => p.tenantId === tenant)).toBe(true);
        listed.push(...page.profiles.map((p) => p.profileId));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      expect(listed).toContain("p_connect");
      expect(listed).toEqual([...new Set(listed)].sort());
      expect(listed).toEqual(((await get("/api/v1/profiles?page_size=1000")).body["profiles"] as Json[]).map((p) => p["profile_id"]));
      await expect(client.listDeviceProfiles({ pageSize: -1 }, { headers })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: "page_size: must not be negative",
      });
      await expect(client.listDeviceProfiles({ pageToken: "forged.token" }, { headers })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: "page_token: is not a token returned by this method",
      });
    });

    test("update changes only the masked fields, checks the etag and the mask", async () => {
      await client.createDeviceProfile({ profile: { profileId: "p_connect_update", displayName: "Before", firmware: "1.0.0" } }, { headers });
      const before = await client.getDeviceProfile({ profileId: "p_connect_update" }, { headers });
      const updated = await client.updateDeviceProfile(
        { profile: { profileId: "p_connect_update", displayName: "Renamed", firmware: "ignored" }, updateMask: { paths: ["display_name"] }, etag: before.etag },
        { headers },
      );
      expect(updated).toMatchObject({ displayName: "Renamed", firmware: "1.0.0" });
      expect(updated.etag).not.toBe(before.etag);
      await expect(
        client.updateDeviceProfile(
          { profile: { profileId: "p_connect_update", displayName: "Stale" }, updateMask: { paths: ["display_name"] }, etag: before.etag },
          { headers },
        ),
      ).rejects.toMatchObject({ code: Code.Aborted });
      await expect(
        client.updateDeviceProfile({ profile: { profileId: "p_connect_update" }, updateMask: { paths: ["nope"] } }, { headers }),
      ).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: 'update_mask: field "nope" cannot be updated' });
      await expect(client.updateDeviceProfile({ profile: { profileId: "p_connect_update" } }, { headers })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: "update_mask: must name at least one field",
      });
      await expect(
        client.updateDeviceProfile(
          { profile: { profileId: "p_connect_update", displayName: "x" }, updateMask: { paths: ["display_name"] } },
          { headers: otherHeaders },
        ),
      ).rejects.toMatchObject({ code: Code.NotFound });
      expect(await client.getDeviceProfile({ profileId: "p_connect_update" }, { headers })).toEqual(updated);
    });

    test("RegisterDevice applies the profile's defaults; another tenant cannot use the profile", async () => {
      const device = await client.registerDevice(
        { name: "connect device", hardwareId: "HW-CONNECT-PROFILE", profileId: "p_connect", tags: { own: "1" } },
        { headers },
      );
      expect(device).toMatchObject({
        profileId: "p_connect",
        groups: ["connect"],
        tags: { via: "connect", own: "1" },
        anchorMode: AnchorMode.HASH_CHAIN,
        firmware: "7.0.0",
        meta: { k: "v" },
        config: connectConfig,
      });
      await expect(
        client.registerDevice({ name: "x", hardwareId: "HW-CONNECT-NOPROFILE", profileId: "p_connect" }, { headers: otherHeaders }),
      ).rejects.toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: 'profile_id: profile "p_connect" does not exist in this tenant',
      });
    });

    test("delete removes an unused profile; another tenant gets NotFound", async () => {
      await client.createDeviceProfile({ profile: { profileId: "p_connect_unused" } }, { headers });
      await expect(client.deleteDeviceProfile({ profileId: "p_connect_unused" }, { headers: otherHeaders })).rejects.toMatchObject({
        code: Code.NotFound,
      });
      expect(await client.deleteDeviceProfile({ profileId: "p_connect_unused" }, { headers })).toEqual({ $typeName: "google.protobuf.Empty" });
      await expect(client.getDeviceProfile({ profileId: "p_connect_unused" }, { headers })).rejects.toMatchObject({
        code: Code.NotFound,
        rawMessage: 'profile "p_connect_unused" not found',
      });
    });

    test("deleting a profile a device uses is FailedPrecondition and the profile remains", async () => {
      await client.createDeviceProfile({ profile: { profileId: "p_connect_used", firmware: "1" } }, { headers });
      await client.registerDevice({ name: "uses it", hardwareId: "HW-CONNECT-USED", profileId: "p_connect_used" }, { headers });
      const deletion = client.deleteDeviceProfile({ profileId: "p_connect_used" }, { headers }).then(
        () => undefined,
        (err: unknown) => err,
      );
      const error = await deletion;
      expect((await client.getDeviceProfile({ profileId: "p_connect_used" }, { headers })).firmware).toBe("1");
      expect(error).toMatchObject({ code: Code.FailedPrecondition, rawMessage: 'profile "p_connect_used" is still used by devices' });
    });
  });
});
