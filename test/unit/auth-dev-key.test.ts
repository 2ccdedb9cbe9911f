import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { loadOrCreateDevKey } from "../../src/auth/dev-key.js";
import { mintDevToken } from "../../src/auth/dev-token.js";
import { createKeySet } from "../../src/auth/key-set.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";

const TENANT = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716";
const freshDir = () => mkdtempSync(path.join(os.tmpdir(), "auth-dev-key-"));
const mode = (file: string) => statSync(file).mode & 0o777;

describe("dev key", () => {
  test("is created once with a 0600 private key and a public JWKS, then reused", async () => {
    const dataDir = freshDir();
    const first = await loadOrCreateDevKey(dataDir);
    const keyFile = path.join(dataDir, "auth", "dev-key.json");
    expect(first.jwksPath).toBe(path.join(dataDir, "auth", "dev-jwks.json"));
    expect(mode(keyFile)).toBe(0o600);

    const privateJwk = JSON.parse(readFileSync(keyFile, "utf8"));
    expect(privateJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: first.kid, alg: "EdDSA" });
    expect(typeof privateJwk.d).toBe("string");
    const jwks = JSON.parse(readFileSync(first.jwksPath, "utf8"));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toEqual({ kty: "OKP", crv: "Ed25519", x: privateJwk.x, kid: first.kid, alg: "EdDSA", use: "sig" });

    const second = await loadOrCreateDevKey(dataDir);
    expect(second.kid).toBe(first.kid);
    expect(JSON.parse(readFileSync(keyFile, "utf8"))).toEqual(privateJwk);
  });

  test("processes starting at once agree on one key", async () => {
    const dataDir = freshDir();
    const keys = await Promise.all(Array.from({ length: 5 }, () => loadOrCreateDevKey(dataDir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
  });

  test("a deleted JWKS is rewritten from the private key, and loose permissions are tightened", async () => {
    const dataDir = freshDir();
    const { kid, jwksPath } = await loadOrCreateDevKey(dataDir);
    const keyFile = path.join(dataDir, "auth", "dev-key.json");
    rmSync(jwksPath);
    chmodSync(keyFile, 0o644);
    const again = await loadOrCreateDevKey(dataDir);
    expect(again.kid).toBe(kid);
    expect(JSON.parse(readFileSync(jwksPath, "utf8")).keys[0].kid).toBe(kid);
    expect(mode(keyFile)).toBe(0o600);
  });

  test("a corrupt key file is an error naming it, not a silent new key", async () => {
    const dataDir = freshDir();
    await loadOrCreateDevKey(dataDir);
    const keyFile = path.join(dataDir, "auth", "dev-key.json");
    writeFileSync(keyFile, "not json");
    await expect(loadOrCreateDevKey(dataDir)).rejects.toThrow(keyFile);
    expect(readFileSync(keyFile, "utf8")).toBe("not json");
  });

  test("a minted token verifies against the dev JWKS", async () => {
    const dataDir = freshDir();
    const { jwksPath, privateKey, kid } = await loadOrCreateDevKey(dataDir);
    const token = await mintDevToken({
      privateKey,
      kid,
      tenantId: TENANT.toUpperCase(),
      role: "member",
      subject: "bob",
      permissions: ["devices"],
      ttlSeconds: 600,
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "EdDSA", kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: "bob", tenant_id: TENANT, role: "member", permissions: ["devices"] });
    expect(claims.exp! - claims.iat!).toBe(600);

    const verifier = createTokenVerifier({ keySet: createKeySet(jwksPath) });
    await expect(verifier.verify(token)).resolves.toEqual({
      subject: "bob",
      tenantId: TENANT,
      role: "member",
      permissions: ["devices"],
    });
  });

  test("issuer and audience are set when asked, and checked by a verifier configured with them", async () => {
    const { jwksPath, privateKey, kid } = await loadOrCreateDevKey(freshDir());
    const base = { privateKey, kid, tenantId: TENANT, role: "service" };
    const verifier = createTokenVerifier({ keySet: createKeySet(jwksPath), issuer: "dev", audience: "registry" });
    const good = await mintDevToken({ ...base, issuer: "dev", audience: "registry" });
    await expect(verifier.verify(good)).resolves.toMatchObject({ subject: "dev-service", role: "service", permissions: [] });
    try {
      await verifier.verify(await mintDevToken(base));
      throw new Error("expected a rejection");
    } catch (err) {
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    }
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ["tenant not a UUID", { tenantId: "acme" }, /tenant must be a UUID/],
    ["unknown role", { role: "root" }, /role must be one of tenant_admin, platform_admin, member, service/],
    ["ttl zero", { ttlSeconds: 0 }, /ttl must be an integer/],
    ["ttl not a number", { ttlSeconds: Number.NaN }, /ttl must be an integer/],
    ["empty sub", { subject: "" }, /sub must not be empty/],
  ])("minting refuses %s", async (_name, override, reason) => {
    const dataDir = freshDir();
    const { privateKey, kid } = await loadOrCreateDevKey(dataDir);
    await expect(mintDevToken({ privateKey, kid, tenantId: TENANT, role: "tenant_admin", ...override })).rejects.toThrow(reason);
    expect(existsSync(path.join(dataDir, "auth", "dev-key.json"))).toBe(true);
  });
});
