import { create, type DescMethodUnary, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { ManufacturerCaService } from "../../gen/deviceregistry/v1/manufacturer_ca_service_pb.js";
import { accessPolicyRows, procedureOf, type PolicyRow } from "../../src/auth/policy.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { createTestCa, issueTestCertificate } from "../support/test-certificates.js";
import { startTestService, type TestService } from "../support/test-service.js";

/**
 * The role × RPC matrix of the access policy, called over the network with real clients: every
 * JWT procedure of src/auth/policy.ts, every kind of caller. The expectation of each cell is read
 * from the policy rows; an allowed call gets valid input and must succeed, a refused one must be
 * PERMISSION_DENIED and change nothing.
 */

interface Caller {
  readonly label: string;
  readonly role: string;
  readonly permissions: string[];
}

const CALLERS: readonly Caller[] = [
  { label: "tenant_admin", role: "tenant_admin", permissions: [] },
  { label: "platform_admin", role: "platform_admin", permissions: [] },
  { label: "member with devices", role: "member", permissions: ["devices"] },
  { label: "member without devices", role: "member", permissions: [] },
  { label: "service", role: "service", permissions: [] },
  { label: "platform_service", role: "platform_service", permissions: [] },
];

type JwtRow = Extract<PolicyRow, { authentication: "jwt" }>;
const jwtRows = accessPolicyRows.filter((row): row is JwtRow => row.authentication === "jwt");

/** Whether the policy table lets `caller` call the row's method: a grant of its role whose permission (if any) it holds. */
const allowedBy = (row: JwtRow, caller: Caller) =>
  row.allow.some((grant) => grant.role === caller.role && (grant.permission === undefined || caller.permissions.includes(grant.permission)));

/** What a case needs: the tenant admin's REST client to set up, and unique names. */
interface Fixtures {
  readonly api: RestApi;
  readonly admin: string;
  unique(prefix: string): string;
}

/** A valid request for one RPC (set up by the tenant admin) and a check of its answer. */
interface Case {
  prepare(f: Fixtures): Promise<{ request: Json; check(response: Json): void | Promise<void> }>;
}

const device = async (f: Fixtures) => f.api.register(f.admin, { name: "matrix", hardware_id: f.unique("HW-MATRIX") });
const profile = async (f: Fixtures) => {
  const profileId = f.unique("p_matrix");
  const reply = await f.api.call("POST", "/api/v1/profiles", f.admin, { profile_id: profileId });
  if (reply.status !== 200) throw new Error(`profile setup failed: ${JSON.stringify(reply.body)}`);
  return profileId;
};
/** A new CA of the tenant and its proof of possession, not yet registered. */
const unregisteredCa = async (f: Fixtures, name: string) => {
  const ca = await createTestCa(f.unique(name));
  const code = (await f.api.call("GET", "/api/v1/manufacturerCas:registrationCode", f.admin)).body["registration_code"];
  return { certificatePem: ca.certificatePem, verificationPem: (await issueTestCertificate(ca, code)).certificatePem };
};
const manufacturerCa = async (f: Fixtures): Promise<string> => {
  const ca = await unregisteredCa(f, "Matrix CA");
  const reply = await f.api.call("POST", "/api/v1/manufacturerCas", f.admin, {
    ca: { certificate_pem: ca.certificatePem },
    verification_certificate_pem: ca.verificationPem,
  });
  if (reply.status !== 200) throw new Error(`CA setup failed: ${JSON.stringify(reply.body)}`);
  return reply.body["ca_id"];
};

/** One valid call per JWT procedure, by procedure path. */
const CASES: Record<string, Case> = {
  [procedureOf(DeviceRegistryService.method.registerDevice)]: {
    async prepare(f) {
      const hardwareId = f.unique("HW-MATRIX-NEW");
      return { request: { name: "new", hardwareId }, check: (r) => expect(r).toMatchObject({ hardwareId, apiKey: expect.stringMatching(/^sk_live_/) }) };
    },
  },
  [procedureOf(DeviceRegistryService.method.getDevice)]: {
    async prepare(f) {
      const { device_id } = await device(f);
      return { request: { deviceId: device_id }, check: (r) => expect(r).toMatchObject({ deviceId: device_id, name: "matrix" }) };
    },
  },
  [procedureOf(DeviceRegistryService.method.listDevices)]: {
    async prepare(f) {
      const { device_id, hardware_id } = await device(f);
      return { request: { hardwareId: hardware_id }, check: (r) => expect(r["devices"].map((d: Json) => d["deviceId"])).toEqual([device_id]) };
    },
  },
  [procedureOf(DeviceRegistryService.method.updateDevice)]: {
    async prepare(f) {
      const { device_id } = await device(f);
      return {
        request: { device: { deviceId: device_id, name: "renamed" }, updateMask: { paths: ["name"] } },
        check: (r) => expect(r).toMatchObject({ deviceId: device_id, name: "renamed" }),
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.deleteDevice)]: {
    async prepare(f) {
      const { device_id } = await device(f);
      return {
        request: { deviceId: device_id },
        check: () => expect(f.api.call("GET", `/api/v1/devices/${device_id}`, f.admin)).resolves.toMatchObject({ status: 404 }),
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.rotateDeviceCredential)]: {
    async prepare(f) {
      const { device_id, api_key } = await device(f);
      return {
        request: { deviceId: device_id },
        check: (r) => {
          expect(r).toMatchObject({ deviceId: device_id, apiKey: expect.stringMatching(/^sk_live_/) });
          expect(r["apiKey"]).not.toBe(api_key);
        },
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.importDevices)]: {
    async prepare(f) {
      const hardwareId = f.unique("HW-MATRIX-IMPORT");
      return {
        request: { devices: [{ hardwareId, name: "imported" }] },
        check: (r) => expect(r["results"]).toEqual([expect.objectContaining({ hardwareId, claimKey: expect.stringMatching(/^ck_/) })]),
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.listDeviceClaims)]: {
    async prepare(f) {
      const hardwareId = f.unique("HW-MATRIX-LISTED");
      await f.api.call("POST", "/api/v1/devices:import", f.admin, { devices: [{ hardware_id: hardwareId }] });
      return {
        request: { pageSize: 1000 },
        check: (r) => expect(r["claims"].map((c: Json) => c["hardwareId"])).toContain(hardwareId),
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.revokeClaimKeys)]: {
    async prepare(f) {
      const hardwareId = f.unique("HW-MATRIX-REVOKE");
      const imported = await f.api.call("POST", "/api/v1/devices:import", f.admin, { devices: [{ hardware_id: hardwareId }] });
      if (imported.body["results"]?.[0]?.["claim_key"] === undefined) throw new Error(`import setup failed: ${JSON.stringify(imported.body)}`);
      return {
        request: { hardwareIds: [hardwareId] },
        check: async (r) => {
          expect(r["results"]).toHaveLength(1);
          expect(r["results"][0]).toMatchObject({ hardwareId });
          expect(r["results"][0]["error"]).toBeUndefined();
          // Revoked: the hardware_id takes a new key.
          const again = await f.api.call("POST", "/api/v1/devices:import", f.admin, { devices: [{ hardware_id: hardwareId }] });
          expect(again.body["results"][0]).toMatchObject({ hardware_id: hardwareId, claim_key: expect.stringMatching(/^ck_/) });
        },
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.createDeviceProfile)]: {
    async prepare(f) {
      const profileId = f.unique("p_matrix_new");
      return { request: { profile: { profileId, displayName: "new" } }, check: (r) => expect(r).toMatchObject({ profileId, displayName: "new" }) };
    },
  },
  [procedureOf(DeviceRegistryService.method.getDeviceProfile)]: {
    async prepare(f) {
      const profileId = await profile(f);
      return { request: { profileId }, check: (r) => expect(r).toMatchObject({ profileId }) };
    },
  },
  [procedureOf(DeviceRegistryService.method.listDeviceProfiles)]: {
    async prepare(f) {
      const profileId = await profile(f);
      return { request: { pageSize: 1000 }, check: (r) => expect(r["profiles"].map((p: Json) => p["profileId"])).toContain(profileId) };
    },
  },
  [procedureOf(DeviceRegistryService.method.updateDeviceProfile)]: {
    async prepare(f) {
      const profileId = await profile(f);
      return {
        request: { profile: { profileId, displayName: "renamed" }, updateMask: { paths: ["display_name"] } },
        check: (r) => expect(r).toMatchObject({ profileId, displayName: "renamed" }),
      };
    },
  },
  [procedureOf(DeviceRegistryService.method.deleteDeviceProfile)]: {
    async prepare(f) {
      const profileId = await profile(f);
      return {
        request: { profileId },
        check: () => expect(f.api.call("GET", `/api/v1/profiles/${profileId}`, f.admin)).resolves.toMatchObject({ status: 404 }),
      };
    },
  },
  [procedureOf(ManufacturerCaService.method.getCaRegistrationCode)]: {
    async prepare() {
      return { request: {}, check: (r) => expect(r["registrationCode"]).toMatch(/^[0-9a-f]{32}$/) };
    },
  },
  [procedureOf(ManufacturerCaService.method.registerManufacturerCa)]: {
    async prepare(f) {
      const ca = await unregisteredCa(f, "Matrix new CA");
      return {
        request: { ca: { certificatePem: ca.certificatePem }, verificationCertificatePem: ca.verificationPem },
        check: (r) => expect(r).toMatchObject({ caId: expect.stringMatching(/^[0-9a-f-]{36}$/), enabled: true }),
      };
    },
  },
  [procedureOf(ManufacturerCaService.method.getManufacturerCa)]: {
    async prepare(f) {
      const caId = await manufacturerCa(f);
      return { request: { caId }, check: (r) => expect(r).toMatchObject({ caId }) };
    },
  },
  [procedureOf(ManufacturerCaService.method.listManufacturerCas)]: {
    async prepare(f) {
      const caId = await manufacturerCa(f);
      return { request: { pageSize: 1000 }, check: (r) => expect(r["cas"].map((c: Json) => c["caId"])).toContain(caId) };
    },
  },
  [procedureOf(ManufacturerCaService.method.updateManufacturerCa)]: {
    async prepare(f) {
      const caId = await manufacturerCa(f);
      return { request: { ca: { caId, enabled: false }, updateMask: { paths: ["enabled"] } }, check: (r) => expect(r).toMatchObject({ caId, enabled: false }) };
    },
  },
  [procedureOf(ManufacturerCaService.method.deleteManufacturerCa)]: {
    async prepare(f) {
      const caId = await manufacturerCa(f);
      return {
        request: { caId },
        check: () => expect(f.api.call("GET", `/api/v1/manufacturerCas/${caId}`, f.admin)).resolves.toMatchObject({ status: 404 }),
      };
    },
  },
  [procedureOf(DeviceAuthService.method.authenticateDevice)]: {
    async prepare(f) {
      const { device_id, api_key } = await device(f);
      return { request: { deviceId: device_id, apiKey: api_key }, check: (r) => expect(r).toMatchObject({ deviceId: device_id, status: "registered" }) };
    },
  },
};

/** Calls a unary method with a token; resolves to the response or to the error's code name. */
type Invoke = (method: DescMethodUnary, request: Json, token: string) => Promise<{ ok: true; response: Json } | { ok: false; code: string }>;

describe("access policy: role × RPC over the network", () => {
  let service: TestService;
  let fixtures: Fixtures;
  let serial = 0;
  const tenant = randomUUID();
  const tokens = new Map<string, string>();
  const grpcClients: ReturnType<typeof createGrpcJsClient>[] = [];
  let invokers: Record<"Connect" | "gRPC", Invoke>;

  /** Row counts that any write would change. */
  async function footprint(): Promise<Json> {
    const { rows } = await service.db.pool.query(
      `SELECT (SELECT count(*) FROM devices)::int AS devices,
              (SELECT coalesce(sum(version), 0)::int FROM devices) AS device_versions,
              (SELECT count(*) FROM device_credentials WHERE revoked_at IS NULL)::int AS live_credentials,
              (SELECT count(*) FROM device_profiles)::int AS profiles,
              (SELECT coalesce(sum(version), 0)::int FROM device_profiles) AS profile_versions,
              (SELECT count(*) FROM device_claims)::int AS claims,
              (SELECT count(*) FROM manufacturer_cas)::int AS manufacturer_cas,
              (SELECT coalesce(sum(version), 0)::int FROM manufacturer_cas) AS manufacturer_ca_versions,
              (SELECT count(*) FROM outbox)::int AS outbox`,
    );
    return rows[0];
  }

  beforeAll(async () => {
    service = await startTestService();
    for (const caller of CALLERS) tokens.set(caller.label, await service.token(tenant, caller.role, caller.permissions));
    fixtures = { api: createRestApi(service.baseUrl), admin: tokens.get("tenant_admin")!, unique: (prefix) => `${prefix}-${serial++}` };
    const transport = createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "2" });
    const grpcBy = new Map<DescService, ReturnType<typeof createGrpcJsClient>>();
    for (const s of [DeviceRegistryService, DeviceAuthService, ManufacturerCaService] as DescService[]) {
      const client = createGrpcJsClient(s, `127.0.0.1:${service.port}`);
      grpcBy.set(s, client);
      grpcClients.push(client);
    }
    invokers = {
      Connect: async (method, request, token) => {
        const client = createClient(method.parent, transport) as unknown as Record<string, (r: unknown, o: unknown) => Promise<Json>>;
        try {
          return { ok: true, response: await client[method.localName]!(request, { headers: { authorization: `Bearer ${token}` } }) };
        } catch (err) {
          if (!(err instanceof ConnectError)) throw err;
          return { ok: false, code: Code[err.code] };
        }
      },
      gRPC: async (method, request, token) => {
        const message = create(method.input, request as MessageInitShape<typeof method.input>);
        try {
          return { ok: true, response: (await grpcBy.get(method.parent)!.call(method, message, { authorization: `Bearer ${token}` })) as Json };
        } catch (err) {
          const code = (err as ServiceError).code;
          if (typeof code !== "number") throw err;
          // Reported with Connect's code names, so both transports compare alike.
          return { ok: false, code: Code[code as number as Code] };
        }
      },
    };
  });
  afterAll(async () => {
    for (const client of grpcClients) client.close();
    await service.stop();
  });

  test("the matrix covers every DeviceRegistryService and ManufacturerCaService RPC; every row admits someone, every caller is admitted and refused somewhere", () => {
    const covered = new Set(jwtRows.map((row) => procedureOf(row.method)));
    for (const method of [...DeviceRegistryService.methods, ...ManufacturerCaService.methods]) expect(covered).toContain(procedureOf(method));
    for (const row of jwtRows) expect(Object.keys(CASES)).toContain(procedureOf(row.method));
    // Every row lets someone in, and every caller is both let in and kept out somewhere.
    for (const row of jwtRows)
      expect({ row: row.method.name, someone: CALLERS.some((c) => allowedBy(row, c)) }).toEqual({ row: row.method.name, someone: true });
    for (const caller of CALLERS) {
      expect({ caller: caller.label, allowed: jwtRows.some((r) => allowedBy(r, caller)), refused: jwtRows.some((r) => !allowedBy(r, caller)) }).toEqual({
        caller: caller.label,
        allowed: true,
        refused: true,
      });
    }
    // The grpc-js status numbers are the ones Connect's Code enum uses.
    expect(GrpcStatus.PERMISSION_DENIED as number).toBe(Code.PermissionDenied);
  });

  const cells = jwtRows.flatMap((row) =>
    CALLERS.flatMap((caller) => (["Connect", "gRPC"] as const).map((transport) => ({ row, caller, transport, allowed: allowedBy(row, caller) }))),
  );

  test.each(
    cells.map(
      (cell) =>
        [`${cell.row.method.parent.name}.${cell.row.method.name}`, cell.caller.label, cell.transport, cell.allowed ? "allowed" : "refused", cell] as const,
    ),
  )("%s by %s over %s: %s", async (_procedure, _caller, _transport, _verdict, { row, caller, transport, allowed }) => {
    const { request, check } = await CASES[procedureOf(row.method)]!.prepare(fixtures);
    const before = await footprint();
    const outcome = await invokers[transport](row.method as DescMethodUnary, request, tokens.get(caller.label)!);
    if (allowed) {
      expect(outcome).toMatchObject({ ok: true });
      if (outcome.ok) await check(outcome.response);
    } else {
      expect(outcome).toEqual({ ok: false, code: "PermissionDenied" });
      expect(await footprint()).toEqual(before);
    }
  });
});
