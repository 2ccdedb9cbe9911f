import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { base64url, exportJWK, generateKeyPair, generateSecret, SignJWT } from "jose";
import type { CryptoKey, JWK, JWTPayload } from "jose";
import { createKeySet } from "../../src/auth/key-set.js";
import type { KeySet } from "../../src/auth/key-set.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";

const TENANT = "6f1c9c2e-3b7a-4d7e-9a43-1f0e2d3c4b5a";
const claims = { sub: "alice", tenant_id: TENANT, role: "tenant_admin", permissions: ["devices"] };

interface Signer {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function signer(alg: "EdDSA" | "RS256" | "ES256", kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** Signs `payload`; exp defaults to 1 h unless `exp: null` asks for none. */
function sign(
  payload: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  header: { alg: string; kid?: string },
  exp: number | string | null = "1h",
): Promise<string> {
  const jwt = new SignJWT(payload as JWTPayload).setProtectedHeader(header).setIssuedAt();
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(key);
}

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected a rejection");
}

async function expectUnauthenticated(promise: Promise<unknown>, reason: string, token?: string): Promise<void> {
  const err = await rejection(promise);
  expect(err.code).toBe(Code.Unauthenticated);
  expect(err.rawMessage).toBe(`invalid token: ${reason}`);
  if (token !== undefined) expect(err.message).not.toContain(token);
}

let ed: Signer;
let rsa: Signer;
let ec: Signer;
let keySet: KeySet;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const edToken = (payload: Record<string, unknown> = claims, exp: number | string | null = "1h") =>
  sign(payload, ed.privateKey, { alg: "EdDSA", kid: "ed-1" }, exp);

beforeAll(async () => {
  [ed, rsa, ec] = await Promise.all([signer("EdDSA", "ed-1"), signer("RS256", "rsa-1"), signer("ES256", "ec-1")]);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), "auth-verifier-")), "jwks.json");
  // RSA and EC keys are in the JWKS on purpose: only the algorithm allow-list can reject their tokens.
  writeFileSync(file, JSON.stringify({ keys: [ed.publicJwk, rsa.publicJwk, ec.publicJwk] }));
  keySet = createKeySet(file);
});

describe("token verifier: the matrix", () => {
  test("a valid EdDSA token yields its Caller", async () => {
    const verifier = createTokenVerifier({ keySet });
    await expect(verifier.verify(await edToken())).resolves.toEqual({
      subject: "alice",
      tenantId: TENANT,
      role: "tenant_admin",
      permissions: ["devices"],
    });
  });

  test("absent permissions become an empty list and the tenant is lower-cased", async () => {
    const verifier = createTokenVerifier({ keySet });
    const caller = await verifier.verify(await edToken({ sub: "svc", tenant_id: TENANT.toUpperCase(), role: "service" }));
    expect(caller).toEqual({ subject: "svc", tenantId: TENANT, role: "service", permissions: [] });
  });

  test("a token without exp is refused", async () => {
    const token = await edToken(claims, null);
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "missing exp", token);
  });

  test("an expired token is refused", async () => {
    const token = await edToken(claims, nowSeconds() - 10);
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "expired", token);
  });

  test("clockTolerance admits a token expired within the tolerance", async () => {
    const token = await edToken(claims, nowSeconds() - 10);
    await expect(createTokenVerifier({ keySet, clockTolerance: 60 }).verify(token)).resolves.toMatchObject({
      subject: "alice",
    });
  });

  test("a token not yet valid (nbf in the future) is refused", async () => {
    const token = await edToken({ ...claims, nbf: nowSeconds() + 600 });
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "not yet valid", token);
  });

  test("a token signed by another Ed25519 key under the same kid is refused", async () => {
    const impostor = await signer("EdDSA", "ed-1");
    const token = await sign(claims, impostor.privateKey, { alg: "EdDSA", kid: "ed-1" });
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "signature", token);
  });

  test("a token without kid is refused, even when the JWKS holds a single key", async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "auth-verifier-one-")), "jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [ed.publicJwk] }));
    const verifier = createTokenVerifier({ keySet: createKeySet(file) });
    await expect(verifier.verify(await edToken())).resolves.toMatchObject({ subject: "alice" });
    const token = await sign(claims, ed.privateKey, { alg: "EdDSA" });
    await expectUnauthenticated(verifier.verify(token), "missing kid", token);
  });

  test("a token whose kid is in no JWKS is refused", async () => {
    const token = await sign(claims, ed.privateKey, { alg: "EdDSA", kid: "nope" });
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "unknown key", token);
  });

  test('an unsecured token (alg "none") is refused', async () => {
    const encode = (value: object) => base64url.encode(JSON.stringify(value));
    const payload = { ...claims, exp: nowSeconds() + 3600 };
    for (const token of [
      `${encode({ alg: "none", typ: "JWT" })}.${encode(payload)}.`,
      `${encode({ alg: "none", kid: "ed-1" })}.${encode(payload)}.${base64url.encode("sig")}`,
    ]) {
      await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "algorithm", token);
    }
  });

  test("an HS256 token is refused", async () => {
    const secret = await generateSecret("HS256", { extractable: true });
    const token = await sign(claims, secret, { alg: "HS256", kid: "ed-1" });
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "algorithm", token);
  });

  test("an RS256 token is refused although its key is in the JWKS", async () => {
    const token = await sign(claims, rsa.privateKey, { alg: "RS256", kid: "rsa-1" });
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "algorithm", token);
  });

  test("an ES256 token is refused although its key is in the JWKS", async () => {
    const token = await sign(claims, ec.privateKey, { alg: "ES256", kid: "ec-1" });
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), "algorithm", token);
  });

  test("iss and aud are enforced when configured", async () => {
    const verifier = createTokenVerifier({ keySet, issuer: "https://idp.example", audience: "device-registry" });
    const good = { ...claims, iss: "https://idp.example", aud: "device-registry" };
    await expect(verifier.verify(await edToken(good))).resolves.toMatchObject({ subject: "alice" });
    await expectUnauthenticated(verifier.verify(await edToken({ ...good, iss: "https://evil.example" })), "issuer");
    await expectUnauthenticated(verifier.verify(await edToken({ ...good, aud: "other-service" })), "audience");
    await expectUnauthenticated(verifier.verify(await edToken({ ...claims, aud: "device-registry" })), "issuer");
    await expectUnauthenticated(verifier.verify(await edToken({ ...claims, iss: "https://idp.example" })), "audience");
  });

  test("iss and aud are not checked when not configured", async () => {
    const verifier = createTokenVerifier({ keySet, issuer: undefined, audience: undefined });
    const token = await edToken({ ...claims, iss: "https://anyone.example", aud: "anything" });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: "alice", tenantId: TENANT });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ["tenant_id not a UUID", { ...claims, tenant_id: "acme" }, "claim tenant_id"],
    ["tenant_id missing", { sub: "alice", role: "tenant_admin" }, "claim tenant_id"],
    ["tenant_id a number", { ...claims, tenant_id: 42 }, "claim tenant_id"],
    ["unknown role", { ...claims, role: "root" }, "claim role"],
    ["role missing", { sub: "alice", tenant_id: TENANT }, "claim role"],
    ["permissions a string", { ...claims, permissions: "devices" }, "claim permissions"],
    ["permissions with a number", { ...claims, permissions: ["devices", 7] }, "claim permissions"],
    ["permissions an object", { ...claims, permissions: { devices: true } }, "claim permissions"],
    ["sub missing", { tenant_id: TENANT, role: "member" }, "claim sub"],
    ["sub empty", { ...claims, sub: "" }, "claim sub"],
  ])("bad claims: %s", async (_name, payload, reason) => {
    const token = await edToken(payload);
    await expectUnauthenticated(createTokenVerifier({ keySet }).verify(token), reason, token);
  });

  test.each(["", "garbage", "a.b.c", "..", "e30.e30.", "x".repeat(9000), "Bearer abc", "💥.💥.💥"])("garbage %#: Unauthenticated", async (token) => {
    const err = await rejection(createTokenVerifier({ keySet }).verify(token));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toMatch(/^invalid token: /);
  });

  test("any string at all fails as Unauthenticated, never as another code", async () => {
    const verifier = createTokenVerifier({ keySet });
    const segment = fc.string({ unit: fc.constantFrom(..."abcxyzABC019-_".split("")) });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.tuple(segment, segment, segment).map((p) => p.join(".")),
        ),
        async (s) => {
          const err = await rejection(verifier.verify(s));
          expect(err.code).toBe(Code.Unauthenticated);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("token verifier: cache", () => {
  function counting(): { keySet: KeySet; calls: () => number } {
    let calls = 0;
    return {
      keySet: (header, token) => {
        calls += 1;
        return keySet(header, token);
      },
      calls: () => calls,
    };
  }

  test("the same token twice is verified once", async () => {
    const count = counting();
    const verifier = createTokenVerifier({ keySet: count.keySet });
    const token = await edToken();
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toEqual(first);
    expect(count.calls()).toBe(1);
  });

  test("concurrent requests with one new token share one verification", async () => {
    const count = counting();
    const verifier = createTokenVerifier({ keySet: count.keySet });
    const token = await edToken();
    const callers = await Promise.all(Array.from({ length: 8 }, () => verifier.verify(token)));
    expect(new Set(callers.map((c) => c.subject))).toEqual(new Set(["alice"]));
    expect(count.calls()).toBe(1);
  });

  test("a cached token is refused once its exp has passed", async () => {
    const count = counting();
    let now = Date.now();
    const verifier = createTokenVerifier({ keySet: count.keySet, clock: () => now });
    const token = await edToken(claims, Math.floor(now / 1000) + 30);
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: "alice" });
    now += 31_000;
    await expectUnauthenticated(verifier.verify(token), "expired");
    expect(count.calls()).toBe(2);
  });

  test("a long-lived token is re-verified after the cache TTL", async () => {
    const count = counting();
    let now = Date.now();
    const verifier = createTokenVerifier({ keySet: count.keySet, clock: () => now });
    const token = await edToken();
    await verifier.verify(token);
    now += 30_000;
    await verifier.verify(token);
    expect(count.calls()).toBe(1);
    now += 31_000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: "alice" });
    expect(count.calls()).toBe(2);
  });

  test("the cache is bounded: the least recently used token is evicted", async () => {
    const count = counting();
    const verifier = createTokenVerifier({ keySet: count.keySet, cacheSize: 2 });
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((sub) => edToken({ ...claims, sub })));
    await verifier.verify(a!);
    await verifier.verify(b!);
    await verifier.verify(a!); // a is now the most recent
    await verifier.verify(c!); // evicts b
    expect(count.calls()).toBe(3);
    await verifier.verify(a!);
    expect(count.calls()).toBe(3);
    await verifier.verify(b!);
    expect(count.calls()).toBe(4);
  });

  test("failures are not cached", async () => {
    const count = counting();
    const verifier = createTokenVerifier({ keySet: count.keySet });
    const token = await sign(claims, (await signer("EdDSA", "ed-1")).privateKey, { alg: "EdDSA", kid: "ed-1" });
    await expectUnauthenticated(verifier.verify(token), "signature");
    await expectUnauthenticated(verifier.verify(token), "signature");
    expect(count.calls()).toBe(2);
  });
});
