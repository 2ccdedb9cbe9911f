import { createHash, randomUUID } from "node:crypto";
import { createRestApi, type RestApi } from "../support/rest-api.js";
import { startTestService, type TestService } from "../support/test-service.js";

const CLAIM_KEY = /^ck_[A-Za-z0-9_-]{32}$/;

describe("ImportDevices", () => {
  let service: TestService;
  let token: string;
  const tenant = randomUUID();
  let api: RestApi;

  const post = (path: string, body: unknown, bearer = token) => api.call("POST", path, bearer, body);

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    token = await service.token(tenant);
    await post("/api/v1/profiles", { profile_id: "p_factory" });
    await post("/api/v1/devices", { name: "already here", hardware_id: "HW-IMP-REGISTERED" });
  });
  afterAll(() => service.stop());

  test("gives each good entry a claim key and each bad one its own error, in request order", async () => {
    const { status, body } = await post("/api/v1/devices:import", {
      devices: [
        { hardware_id: "HW-IMP-1", name: "one", groups: ["line-4"], tags: { region: "eu" }, profile_id: "p_factory" },
        { hardware_id: "bad id" },
        { hardware_id: "HW-IMP-2" },
        { hardware_id: "HW-IMP-1" },
        { hardware_id: "HW-IMP-REGISTERED" },
        { hardware_id: "HW-IMP-3", profile_id: "p_unknown" },
        { hardware_id: "HW-IMP-4", config: { text: "nul\u0000" } },
      ],
    });
    expect(status).toBe(200);
    const results = body["results"];
    expect(results.map((r: { hardware_id: string }) => r.hardware_id)).toEqual([
      "HW-IMP-1",
      "bad id",
      "HW-IMP-2",
      "HW-IMP-1",
      "HW-IMP-REGISTERED",
      "HW-IMP-3",
      "HW-IMP-4",
    ]);
    expect(results[0]).toMatchObject({ claim_key: expect.stringMatching(CLAIM_KEY), expires_at: expect.any(String) });
    expect(results[0]).not.toHaveProperty("error");
    expect(results[1]).toEqual({
      hardware_id: "bad id",
      error: { code: "INVALID_ARGUMENT", message: "devices[1].hardware_id: must be 1 to 128 printable characters without whitespace" },
    });
    expect(results[2]).toMatchObject({ claim_key: expect.stringMatching(CLAIM_KEY) });
    expect(results[3]).toEqual({ hardware_id: "HW-IMP-1", error: { code: "ALREADY_EXISTS", message: 'hardware_id "HW-IMP-1" appears twice in this request' } });
    expect(results[4]).toEqual({
      hardware_id: "HW-IMP-REGISTERED",
      error: { code: "ALREADY_EXISTS", message: 'device with hardware_id "HW-IMP-REGISTERED" already exists in this tenant' },
    });
    expect(results[5]).toEqual({
      hardware_id: "HW-IMP-3",
      error: { code: "INVALID_ARGUMENT", message: 'devices[5].profile_id: profile "p_unknown" does not exist in this tenant' },
    });
    expect(results[6]).toEqual({
      hardware_id: "HW-IMP-4",
      error: { code: "INVALID_ARGUMENT", message: "devices[6].config: must not contain the character U+0000" },
    });

    // Claim keys are stored only as hashes, bound to their hardware_id.
    const rows = await service.db.pool.query(
      "SELECT hardware_id, key_hash, groups, tags, profile_id FROM device_claims WHERE tenant_id = $1 ORDER BY hardware_id",
      [tenant],
    );
    expect(rows.rows).toEqual([
      {
        hardware_id: "HW-IMP-1",
        key_hash: createHash("sha256").update(results[0].claim_key).digest(),
        groups: ["line-4"],
        tags: { region: "eu" },
        profile_id: "p_factory",
      },
      { hardware_id: "HW-IMP-2", key_hash: createHash("sha256").update(results[2].claim_key).digest(), groups: [], tags: {}, profile_id: null },
    ]);
  });

  test("an entry already pending is refused; another tenant may import the same hardware_id", async () => {
    const again = await post("/api/v1/devices:import", { devices: [{ hardware_id: "HW-IMP-2" }] });
    expect(again.body["results"]).toEqual([
      { hardware_id: "HW-IMP-2", error: { code: "ALREADY_EXISTS", message: 'hardware_id "HW-IMP-2" already has a pending claim key' } },
    ]);
    const other = await post("/api/v1/devices:import", { devices: [{ hardware_id: "HW-IMP-2" }] }, await service.token(randomUUID()));
    expect(other.body["results"][0]).toMatchObject({ hardware_id: "HW-IMP-2", claim_key: expect.stringMatching(CLAIM_KEY) });
  });

  test("takes 10,000 entries in one call and refuses 10,001", async () => {
    const entries = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ hardware_id: `${prefix}-${i}` }));
    const started = Date.now();
    const { status, body } = await post("/api/v1/devices:import", { devices: entries(10_000, "HW-BULK") });
    const elapsed = Date.now() - started;
    expect(status).toBe(200);
    expect(body["results"].filter((r: { claim_key?: string }) => r.claim_key)).toHaveLength(10_000);
    expect(elapsed).toBeGreaterThan(0);
    const tooMany = await post("/api/v1/devices:import", { devices: entries(10_001, "HW-TOO-MANY") });
    expect(tooMany).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "devices: must have at most 10000 entries" } });
    const stored = await service.db.pool.query("SELECT count(*)::int AS n FROM device_claims WHERE hardware_id LIKE 'HW-TOO-MANY-%'");
    expect(stored.rows[0].n).toBe(0);
  });

  test("is for admins and members with the devices permission", async () => {
    const denied = await post("/api/v1/devices:import", { devices: [{ hardware_id: "HW-IMP-MEMBER" }] }, await service.token(tenant, "member"));
    expect(denied.status).toBe(403);
  });
});
