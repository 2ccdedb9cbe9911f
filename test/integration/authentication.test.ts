import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { exportJWK, generateKeyPair, SignJWT, base64url } from "jose";
import { randomUUID } from "node:crypto";
import { writeFileSync, readFileSync } from "node:fs";
import { DeviceRegistryService, RegisterDeviceRequestSchema } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

describe("authentication and authorization over the network", () => {
  let service: TestService;
  const tenant = randomUUID();
  let n = 0;

  async function register(authorization: string | undefined, body: Record<string, unknown> = {}) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (authorization !== undefined) headers["authorization"] = authorization;
    const res = await fetch(`${service.baseUrl}/api/v1/devices`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: "d", hardware_id: `HW-AUTH-${++n}`, ...body }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  const unauthenticatedCases: [string, () => Promise<string | undefined>][] = [
    ["no Authorization header", async () => undefined],
    ["a non-Bearer scheme", async () => `Basic ${Buffer.from("a:b").toString("base64")}`],
    ["a malformed token", async () => "Bearer not.a.jwt"],
    [
      "an expired token",
      async () => `Bearer ${await service.keys.token({ tenant_id: tenant, role: "tenant_admin", exp: Math.floor(Date.now() / 1000) - 60 })}`,
    ],
    [
      "a token without exp",
      async () => {
        const jwt = await new SignJWT({ sub: "alice", tenant_id: tenant, role: "tenant_admin" })
          .setProtectedHeader({ alg: "EdDSA", kid: service.keys.kid })
          .sign(service.keys.privateKey);
        return `Bearer ${jwt}`;
      },
    ],
    [
      "a token signed by another key with the same kid",
      async () => {
        const { privateKey } = await generateKeyPair("EdDSA");
        const jwt = await new SignJWT({ sub: "alice", tenant_id: tenant, role: "tenant_admin" })
          .setProtectedHeader({ alg: "EdDSA", kid: service.keys.kid })
          .setExpirationTime("1h")
          .sign(privateKey);
        return `Bearer ${jwt}`;
      },
    ],
    [
      "alg none",
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
        const payload = base64url.encode(JSON.stringify({ sub: "alice", tenant_id: tenant, role: "tenant_admin", exp: Math.floor(Date.now() / 1000) + 3600 }));
        return `Bearer ${header}.${payload}.`;
      },
    ],
    [
      "HS256 keyed with the public key",
      async () => {
        const jwks = readFileSync(service.keys.jwksPath);
        const jwt = await new SignJWT({ sub: "alice", tenant_id: tenant, role: "tenant_admin" })
          .setProtectedHeader({ alg: "HS256", kid: service.keys.kid })
          .setExpirationTime("1h")
          .sign(new Uint8Array(jwks));
        return `Bearer ${jwt}`;
      },
    ],
    [
      "RS256 with its key published in the JWKS",
      async () => {
        const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
        const jwks = JSON.parse(readFileSync(service.keys.jwksPath, "utf8"));
        jwks.keys.push({ ...(await exportJWK(publicKey)), kid: "rsa-1", alg: "RS256" });
        writeFileSync(service.keys.jwksPath, JSON.stringify(jwks));
        const jwt = await new SignJWT({ sub: "alice", tenant_id: tenant, role: "tenant_admin" })
          .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
          .setExpirationTime("1h")
          .sign(privateKey);
        return `Bearer ${jwt}`;
      },
    ],
    ["a tenant_id that is not a UUID", async () => `Bearer ${await service.keys.token({ tenant_id: "acme", role: "tenant_admin" })}`],
    ["an unknown role", async () => `Bearer ${await service.keys.token({ tenant_id: tenant, role: "root" })}`],
  ];

  test.each(unauthenticatedCases)("REST answers 401 UNAUTHENTICATED for %s and writes nothing", async (_label, authorization) => {
    const before = (await service.db.pool.query("SELECT count(*)::int AS n FROM devices")).rows[0].n;
    const { status, body } = await register(await authorization());
    expect(status).toBe(401);
    expect(body["code"]).toBe("UNAUTHENTICATED");
    expect(typeof body["message"]).toBe("string");
    expect((await service.db.pool.query("SELECT count(*)::int AS n FROM devices")).rows[0].n).toBe(before);
  });

  test("gRPC answers UNAUTHENTICATED for a missing or forged token", async () => {
    const client = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    try {
      const request = create(RegisterDeviceRequestSchema, { name: "x", hardwareId: "HW-GRPC-AUTH" });
      await expect(client.call(DeviceRegistryService.method.registerDevice, request)).rejects.toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
      const forged = (await unauthenticatedCases[5]![1]())!;
      await expect(client.call(DeviceRegistryService.method.registerDevice, request, { authorization: forged })).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
      });
    } finally {
      client.close();
    }
  });

  test.each([
    ["tenant_admin", [], 200],
    ["platform_admin", [], 200],
    ["member", ["devices"], 200],
    ["member", ["billing"], 403],
    ["member", [], 403],
    ["service", [], 403],
  ] as const)("RegisterDevice as %s with permissions %j answers %i", async (role, permissions, expected) => {
    const { status, body } = await register(`Bearer ${await service.token(tenant, role, [...permissions])}`);
    expect(status).toBe(expected);
    if (expected === 403) expect(body["code"]).toBe("PERMISSION_DENIED");
    else expect(body["tenant_id"]).toBe(tenant);
  });

  test("Connect carries PERMISSION_DENIED for a member without the devices permission", async () => {
    const client = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: service.baseUrl, httpVersion: "1.1" }));
    const headers = { authorization: `Bearer ${await service.token(tenant, "member")}` };
    await expect(client.registerDevice({ name: "x", hardwareId: "HW-MEMBER" }, { headers })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    } satisfies Partial<ConnectError>);
    await expect(client.createDeviceProfile({ profile: { profileId: "p_member" } }, { headers })).rejects.toMatchObject({
      code: Code.PermissionDenied,
    } satisfies Partial<ConnectError>);
  });

  test("the tenant comes from the token: a tenant_id in the body is refused, never applied", async () => {
    const other = randomUUID();
    const { status, body } = await register(`Bearer ${await service.token(tenant)}`, { tenant_id: other });
    expect(status).toBe(400);
    expect(body["code"]).toBe("INVALID_ARGUMENT");
    expect((await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE tenant_id = $1", [other])).rows[0].n).toBe(0);
  });

  test("a token without kid is refused although the JWKS holds a single Ed25519 key", async () => {
    const jwt = await new SignJWT({ sub: "alice", tenant_id: tenant, role: "tenant_admin" })
      .setProtectedHeader({ alg: "EdDSA" })
      .setExpirationTime("1h")
      .sign(service.keys.privateKey);
    const { status, body } = await register(`Bearer ${jwt}`);
    expect({ status, body }).toEqual({ status: 401, body: { code: "UNAUTHENTICATED", message: "invalid token: missing kid" } });
  });

  test("a key added to the JWKS file is picked up without a restart", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { extractable: true });
    const jwt = await new SignJWT({ sub: "bob", tenant_id: tenant, role: "tenant_admin" })
      .setProtectedHeader({ alg: "EdDSA", kid: "rotated-key" })
      .setExpirationTime("1h")
      .sign(privateKey);
    expect((await register(`Bearer ${jwt}`)).status).toBe(401);
    const jwks = JSON.parse(readFileSync(service.keys.jwksPath, "utf8"));
    jwks.keys.push({ ...(await exportJWK(publicKey)), kid: "rotated-key", alg: "EdDSA" });
    // A later mtime than the previous write, so the file reads as changed even on coarse clocks.
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(service.keys.jwksPath, JSON.stringify(jwks));
    const { status, body } = await register(`Bearer ${jwt}`);
    expect(status).toBe(200);
    expect(body["tenant_id"]).toBe(tenant);
  });

  test("a key removed from the JWKS file is refused within the documented 5 s, for a token already used and a new one", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA", { extractable: true });
    const sign = () =>
      new SignJWT({ sub: "carol", tenant_id: tenant, role: "tenant_admin" })
        .setProtectedHeader({ alg: "EdDSA", kid: "removed-key" })
        .setExpirationTime("1h")
        .sign(privateKey);
    const original = readFileSync(service.keys.jwksPath, "utf8");
    const jwks = JSON.parse(original);
    jwks.keys.push({ ...(await exportJWK(publicKey)), kid: "removed-key", alg: "EdDSA" });
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(service.keys.jwksPath, JSON.stringify(jwks));
    const used = await sign();
    expect((await register(`Bearer ${used}`)).status).toBe(200);

    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(service.keys.jwksPath, original);
    const removedAt = Date.now();
    // Poll until both tokens are refused; the README promises 5 s (a little more allowed for a loaded machine).
    let refusedAfter: number | undefined;
    const fresh = await sign();
    while (refusedAfter === undefined && Date.now() - removedAt < 15_000) {
      const statuses = [(await register(`Bearer ${used}`)).status, (await register(`Bearer ${fresh}`)).status];
      if (statuses.every((s) => s === 401)) refusedAfter = Date.now() - removedAt;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusedAfter).toBeDefined();
    expect(refusedAfter!).toBeLessThanOrEqual(5_000 + 2_500);
    // And it stays refused.
    expect((await register(`Bearer ${used}`)).body).toEqual({ code: "UNAUTHENTICATED", message: "invalid token: unknown key" });
  }, 30_000);
});
