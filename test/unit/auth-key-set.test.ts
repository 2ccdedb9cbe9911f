import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { CryptoKey, JWK } from "jose";
import { createKeySet } from "../../src/auth/key-set.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";

const TENANT = "0b7e6a9e-8d3f-4a55-b0d5-2c0a8f6e1d21";

interface Key {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
}

async function key(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" },
    privateJwk: { ...(await exportJWK(privateKey)), kid },
  };
}

const token = (k: Key) =>
  new SignJWT({ sub: "alice", tenant_id: TENANT, role: "member" }).setProtectedHeader({ alg: "EdDSA", kid: k.kid }).setExpirationTime("1h").sign(k.privateKey);

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  throw new Error("expected a rejection");
}

let a: Key;
let b: Key;
let dir: string;
const jwks = (...keys: Key[]) => JSON.stringify({ keys: keys.map((k) => k.publicJwk) });

beforeAll(async () => {
  [a, b] = await Promise.all([key("key-a"), key("key-b")]);
  dir = mkdtempSync(path.join(os.tmpdir(), "auth-key-set-"));
});

describe("JWKS file", () => {
  test.each<[string, string | undefined, RegExp]>([
    ["missing", undefined, /no such file/],
    ["not JSON", "{ keys: ", /not valid JSON/],
    ["without a keys array", '{"kty":"OKP"}', /no "keys" array/],
    ["with no keys", '{"keys":[]}', /empty/],
    ["with a key lacking kty", '{"keys":[{"x":"abc"}]}', /kty/],
  ])("a file %s is refused at creation, naming the path", (name, content, reason) => {
    const file = path.join(dir, `bad-${name.replaceAll(" ", "-")}.json`);
    if (content !== undefined) writeFileSync(file, content);
    expect(() => createKeySet(file)).toThrow(reason);
    expect(() => createKeySet(file)).toThrow(file);
  });

  test("a file holding a private key is refused", () => {
    const file = path.join(dir, "private.json");
    writeFileSync(file, JSON.stringify({ keys: [a.privateJwk] }));
    expect(() => createKeySet(file)).toThrow(/private or symmetric key/);
  });

  test("a key added to the file is picked up without recreating the key set", async () => {
    const file = path.join(dir, "rotating.json");
    writeFileSync(file, jwks(a));
    const verifier = createTokenVerifier({ keySet: createKeySet(file) });
    await expect(verifier.verify(await token(a))).resolves.toMatchObject({ subject: "alice", role: "member" });
    const tokenB = await token(b);
    const before = await failure(verifier.verify(tokenB));
    expect([before.code, before.rawMessage]).toEqual([Code.Unauthenticated, "invalid token: unknown key"]);

    writeFileSync(file, jwks(a, b));
    await expect(verifier.verify(tokenB)).resolves.toMatchObject({ subject: "alice", tenantId: TENANT });
  });

  test("an atomically replaced file (rename) is picked up too", async () => {
    const file = path.join(dir, "renamed.json");
    writeFileSync(file, jwks(a));
    const verifier = createTokenVerifier({ keySet: createKeySet(file) });
    writeFileSync(`${file}.tmp`, jwks(b));
    renameSync(`${file}.tmp`, file);
    await expect(verifier.verify(await token(b))).resolves.toMatchObject({ subject: "alice" });
  });

  test("a removed key stops working at the next periodic re-check", async () => {
    const file = path.join(dir, "removal.json");
    writeFileSync(file, jwks(a, b));
    // cacheTtlMs 0: observe the key set, not the verifier's token cache.
    const lazy = createTokenVerifier({ keySet: createKeySet(file), cacheTtlMs: 0 });
    const eager = createTokenVerifier({ keySet: createKeySet(file, { recheckMs: 0 }), cacheTtlMs: 0 });
    const tokenA = await token(a);
    await lazy.verify(tokenA);
    await eager.verify(tokenA);

    writeFileSync(file, jwks(b));
    // Known kids do not stat the file on every request: the default set still trusts A until its re-check.
    await expect(lazy.verify(tokenA)).resolves.toMatchObject({ subject: "alice" });
    const err = await failure(eager.verify(tokenA));
    expect([err.code, err.rawMessage]).toEqual([Code.Unauthenticated, "invalid token: unknown key"]);
  });

  test("a removed key stops working within the re-check interval, also for tokens the verifier already cached", async () => {
    const file = path.join(dir, "removal-cached.json");
    writeFileSync(file, jwks(a, b));
    // The verifier's own cache would keep a token for a minute: the key set's re-check must bound it.
    const verifier = createTokenVerifier({ keySet: createKeySet(file, { recheckMs: 300 }), cacheTtlMs: 60_000 });
    const seen = await token(b);
    await expect(verifier.verify(seen)).resolves.toMatchObject({ subject: "alice" });
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(file, jwks(a));
    await new Promise((r) => setTimeout(r, 400));
    for (const t of [seen, await token(b)]) {
      const err = await failure(verifier.verify(t));
      expect([err.code, err.rawMessage]).toEqual([Code.Unauthenticated, "invalid token: unknown key"]);
    }
    await expect(verifier.verify(await token(a))).resolves.toMatchObject({ subject: "alice" });
  });

  test("a half-written file keeps the last good keys", async () => {
    const file = path.join(dir, "half-written.json");
    writeFileSync(file, jwks(a));
    const verifier = createTokenVerifier({ keySet: createKeySet(file, { recheckMs: 0 }), cacheTtlMs: 0 });
    writeFileSync(file, '{"keys": [');
    await expect(verifier.verify(await token(a))).resolves.toMatchObject({ subject: "alice" });
    writeFileSync(file, jwks(a, b));
    await expect(verifier.verify(await token(b))).resolves.toMatchObject({ subject: "alice" });
  });
});

describe("JWKS URL", () => {
  let server: Server;
  let url: string;
  let body = "";
  let status = 200;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(status, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("tokens verify through a served JWKS, fetched once", async () => {
    body = jwks(a);
    status = 200;
    requests = 0;
    const verifier = createTokenVerifier({ keySet: createKeySet(url), cacheTtlMs: 0 });
    const tokenA = await token(a);
    await expect(verifier.verify(tokenA)).resolves.toMatchObject({ subject: "alice", tenantId: TENANT });
    await expect(verifier.verify(tokenA)).resolves.toMatchObject({ subject: "alice" });
    expect(requests).toBe(1);
    const err = await failure(verifier.verify(await token(b)));
    expect([err.code, err.rawMessage]).toEqual([Code.Unauthenticated, "invalid token: unknown key"]);
  });

  test("a key added at the URL is fetched on an unknown kid once the cooldown has passed", async () => {
    body = jwks(a);
    status = 200;
    requests = 0;
    const verifier = createTokenVerifier({ keySet: createKeySet(url, { cooldownMs: 0 }) });
    await verifier.verify(await token(a));
    body = jwks(a, b);
    await expect(verifier.verify(await token(b))).resolves.toMatchObject({ subject: "alice" });
    expect(requests).toBe(2);
  });

  test("a key removed at the URL stops working once the fetched set is maxAgeMs old, cached tokens included", async () => {
    body = jwks(a, b);
    status = 200;
    const verifier = createTokenVerifier({ keySet: createKeySet(url, { maxAgeMs: 300 }), cacheTtlMs: 60_000 });
    const seen = await token(b);
    await expect(verifier.verify(seen)).resolves.toMatchObject({ subject: "alice" });
    body = jwks(a);
    await new Promise((r) => setTimeout(r, 400));
    for (const t of [seen, await token(b)]) {
      const err = await failure(verifier.verify(t));
      expect([err.code, err.rawMessage]).toEqual([Code.Unauthenticated, "invalid token: unknown key"]);
    }
  });

  test("an unreachable or failing JWKS endpoint is Unavailable, not the token's fault", async () => {
    body = "oops";
    status = 500;
    const verifier = createTokenVerifier({ keySet: createKeySet(url) });
    const err = await failure(verifier.verify(await token(a)));
    expect([err.code, err.rawMessage]).toEqual([Code.Unavailable, "key set unavailable"]);
  });

  test("a refused connection is Unavailable too", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const verifier = createTokenVerifier({ keySet: createKeySet(`http://127.0.0.1:${port}/jwks.json`) });
    const err = await failure(verifier.verify(await token(a)));
    expect([err.code, err.rawMessage]).toEqual([Code.Unavailable, "key set unavailable"]);
  });

  test("a URL that cannot be parsed is refused at creation", () => {
    expect(() => createKeySet("https://exa mple.com:99999/jwks")).toThrow(/not a valid URL/);
  });
});
