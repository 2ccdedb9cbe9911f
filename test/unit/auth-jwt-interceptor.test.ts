import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { CryptoKey } from "jose";
import { DeviceSchema } from "../../gen/deviceregistry/v1/device_pb.js";
import { DeviceProfileSchema } from "../../gen/deviceregistry/v1/device_profile_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { callerOf } from "../../src/auth/caller.js";
import { createJwtInterceptor } from "../../src/auth/jwt-interceptor.js";
import type { JwtInterceptorOptions } from "../../src/auth/jwt-interceptor.js";
import { accessPolicyRows, createPolicy } from "../../src/auth/policy.js";
import { createKeySet } from "../../src/auth/key-set.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";
import type { TokenVerifier } from "../../src/auth/token-verifier.js";

const TENANT = "3c9e7a1b-5d2f-4e8a-9b0c-6d1e2f3a4b5c";
let privateKey: CryptoKey;
let verifier: TokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair("EdDSA", { extractable: true });
  privateKey = pair.privateKey;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "auth-interceptor-")), "jwks.json");
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "EdDSA" }] }));
  verifier = createTokenVerifier({ keySet: createKeySet(file) });
});

function token(role: string, permissions: string[] = [], exp: string | number = "1h"): Promise<string> {
  return new SignJWT({ tenant_id: TENANT, role, permissions })
    .setProtectedHeader({ alg: "EdDSA", kid: "k1" })
    .setSubject(`${role}-user`)
    .setExpirationTime(exp)
    .sign(privateKey);
}

/** A client of a router whose handlers echo the Caller they see; profiles methods other than Get are unimplemented. */
function client(options: Partial<JwtInterceptorOptions> = {}): Client<typeof DeviceRegistryService> {
  const transport = createRouterTransport(
    (router) => {
      router.service(DeviceRegistryService, {
        registerDevice(req, ctx) {
          const caller = callerOf(ctx);
          return create(DeviceSchema, { tenantId: caller.tenantId, name: req.name, hardwareId: caller.subject });
        },
        getDeviceProfile(req, ctx) {
          const caller = callerOf(ctx);
          return create(DeviceProfileSchema, {
            profileId: req.profileId,
            tenantId: caller.tenantId,
            displayName: `${caller.subject}/${caller.role}`,
            groups: [...caller.permissions],
          });
        },
      });
    },
    { router: { interceptors: [createJwtInterceptor({ verifier, ...options })] } },
  );
  return createClient(DeviceRegistryService, transport);
}

async function failure(promise: Promise<unknown>): Promise<[Code, string]> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return [(err as ConnectError).code, (err as ConnectError).rawMessage];
  }
  throw new Error("expected the call to fail");
}

const bearer = (value: string) => ({ headers: { authorization: value } });

describe("JWT interceptor through a Connect router", () => {
  test("the handler sees the Caller of a valid token", async () => {
    const res = await client().getDeviceProfile({ profileId: "p1" }, bearer(`Bearer ${await token("member", ["billing"])}`));
    expect(res).toMatchObject({ profileId: "p1", tenantId: TENANT, displayName: "member-user/member", groups: ["billing"] });
  });

  test("the Bearer scheme is case-insensitive", async () => {
    const res = await client().registerDevice({ name: "pump-1" }, bearer(`bearer ${await token("tenant_admin")}`));
    expect(res).toMatchObject({ tenantId: TENANT, name: "pump-1", hardwareId: "tenant_admin-user" });
  });

  test.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["another scheme", "Basic YWxpY2U6c2VjcmV0"],
    ["the scheme alone", "Bearer"],
    ["the scheme and spaces", "Bearer   "],
    ["two tokens", "Bearer abc def"],
  ])("%s: Unauthenticated, missing bearer token", async (_name, header) => {
    const options = header === undefined ? {} : bearer(header);
    expect(await failure(client().getDeviceProfile({ profileId: "p1" }, options))).toEqual([Code.Unauthenticated, "missing bearer token"]);
  });

  test("a malformed token is Unauthenticated", async () => {
    expect(await failure(client().getDeviceProfile({}, bearer("Bearer not-a-jwt")))).toEqual([Code.Unauthenticated, "invalid token: malformed"]);
  });

  test("an expired token is Unauthenticated", async () => {
    const expired = await token("tenant_admin", [], Math.floor(Date.now() / 1000) - 60);
    expect(await failure(client().getDeviceProfile({}, bearer(`Bearer ${expired}`)))).toEqual([Code.Unauthenticated, "invalid token: expired"]);
  });

  test("a member without devices may read but not write", async () => {
    const auth = bearer(`Bearer ${await token("member")}`);
    await expect(client().getDeviceProfile({ profileId: "p1" }, auth)).resolves.toMatchObject({ tenantId: TENANT });
    expect(await failure(client().registerDevice({ name: "x" }, auth))).toEqual([Code.PermissionDenied, "role member lacks permission devices"]);
  });

  test("a member with devices may write", async () => {
    const auth = bearer(`Bearer ${await token("member", ["devices"])}`);
    await expect(client().registerDevice({ name: "x" }, auth)).resolves.toMatchObject({ tenantId: TENANT });
  });

  test("a service may read but not write", async () => {
    const auth = bearer(`Bearer ${await token("service", ["devices"])}`);
    await expect(client().getDeviceProfile({}, auth)).resolves.toMatchObject({ displayName: "service-user/service" });
    expect(await failure(client().registerDevice({ name: "x" }, auth))).toEqual([Code.PermissionDenied, "role service may not call RegisterDevice"]);
  });

  test("authorization runs before the handler: an allowed but unimplemented method is Unimplemented", async () => {
    const admin = bearer(`Bearer ${await token("platform_admin")}`);
    expect((await failure(client().listDeviceProfiles({}, admin)))[0]).toBe(Code.Unimplemented);
    const member = bearer(`Bearer ${await token("member")}`);
    expect(await failure(client().deleteDeviceProfile({}, member))).toEqual([Code.PermissionDenied, "role member lacks permission devices"]);
  });

  test("a method missing from the policy is denied even to admins", async () => {
    const policy = createPolicy(accessPolicyRows.filter((row) => row.method.name !== "GetDeviceProfile"));
    const auth = bearer(`Bearer ${await token("platform_admin")}`);
    expect(await failure(client({ policy }).getDeviceProfile({}, auth))).toEqual([Code.PermissionDenied, "GetDeviceProfile is not in the access policy"]);
  });

  test("device-authenticated methods pass untouched, and then carry no Caller", async () => {
    const policy = createPolicy([{ method: DeviceRegistryService.method.getDeviceProfile, authentication: "device" }]);
    // No token at all: the interceptor lets it through, and callerOf refuses in the handler.
    expect(await failure(client({ policy }).getDeviceProfile({}))).toEqual([Code.Unauthenticated, "unauthenticated"]);
  });

  test("a verifier throwing a plain Error still yields Unauthenticated, not Internal", async () => {
    const broken = { verify: () => Promise.reject(new Error("boom")) };
    expect(await failure(client({ verifier: broken }).getDeviceProfile({}, bearer("Bearer abc")))).toEqual([Code.Unauthenticated, "invalid token"]);
  });
});
