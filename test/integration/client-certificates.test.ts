import { create } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AuthenticateDeviceRequestSchema, DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import {
  DeviceRegistryService,
  RegisterDeviceRequestSchema,
  RotateDeviceCredentialRequestSchema,
} from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";
import { startTestService, type TestService } from "../support/test-service.js";

const NOT_AUTHORIZED = { status: 401, body: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const CERTIFICATE_PEM = /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/;
const PRIVATE_KEY_PEM = /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n?$/;
type Json = Record<string, any>;

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), "client-certificates-"));
let files = 0;

/** Runs the real openssl CLI in the test's folder; its stdout. */
async function openssl(...args: string[]): Promise<string> {
  return (await run("openssl", args, { cwd: dir })).stdout;
}

/** Writes `content` to a new file of the test folder; its name. */
function file(content: string, ext = "pem"): string {
  const name = `f${++files}.${ext}`;
  writeFileSync(path.join(dir, name), content);
  return name;
}

/** A private key made by `openssl genpkey` and a CSR for it made by `openssl req -new`. */
async function opensslCsr(algorithm: "EC" | "ED25519" | "RSA1024", subject = "/CN=chosen-by-device/O=not-a-tenant"): Promise<{ key: string; csr: string }> {
  const key = `k${++files}.pem`;
  const options = {
    EC: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    ED25519: ["-algorithm", "ED25519"],
    RSA1024: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
  };
  await openssl("genpkey", ...options[algorithm], "-out", key);
  const csr = `r${files}.pem`;
  await openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr);
  return { key, csr: readFileSync(path.join(dir, csr), "utf8") };
}

describe("X.509 client-certificate credentials", () => {
  let service: TestService;
  let admin: string;
  let hub: string;
  const tenant = randomUUID();

  async function call(method: string, urlPath: string, body?: unknown, token?: string): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers["authorization"] = `Bearer ${token}`;
    const res = await fetch(`${service.baseUrl}${urlPath}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const claim = (body: Json) => call("POST", "/api/v1/devices:claim", body);
  const authenticate = (body: Json) => call("POST", "/api/v1/devices:authenticate", body, hub);
  async function importOne(hardwareId: string, profileId = "p_cert"): Promise<string> {
    const { body } = await call("POST", "/api/v1/devices:import", { devices: [{ hardware_id: hardwareId, profile_id: profileId }] }, admin);
    return body["results"][0]["claim_key"];
  }
  /** `openssl verify` of a certificate against the service's issuing CA certificate. */
  const verify = (certificate: string) => openssl("verify", "-CAfile", service.issuingCaCertPath, file(certificate));
  /** The SHA-256 fingerprint as `openssl x509 -fingerprint` prints it: "AB:CD:…". */
  const fingerprintOf = async (certificate: string) =>
    (await openssl("x509", "-in", file(certificate), "-noout", "-fingerprint", "-sha256")).trim().replace(/^.*Fingerprint=/, "");
  const publicKeyOfCertificate = (certificate: string) => openssl("x509", "-in", file(certificate), "-noout", "-pubkey");
  const publicKeyOfKey = (keyFile: string) => openssl("pkey", "-in", keyFile, "-pubout");
  /** Every row of the tables a credential could leak into, as text. */
  async function databaseText(): Promise<string> {
    const tables = ["devices", "device_credentials", "device_claims", "outbox"];
    const texts = await Promise.all(tables.map((t) => service.db.pool.query(`SELECT coalesce(string_agg(t::text, '\n'), '') AS text FROM ${t} t`)));
    return texts.map((r) => r.rows[0].text as string).join("\n");
  }
  const pemBody = (pem: string) =>
    pem
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("-----"))
      .join("");

  beforeAll(async () => {
    service = await startTestService();
    admin = await service.token(tenant);
    hub = await service.token(randomUUID(), "platform_service");
    const profile = await call("POST", "/api/v1/profiles", { profile_id: "p_cert", credential_type: "CREDENTIAL_TYPE_CLIENT_CERTIFICATE" }, admin);
    expect(profile.body).toMatchObject({ profile_id: "p_cert", credential_type: "CREDENTIAL_TYPE_CLIENT_CERTIFICATE" });
    expect((await call("POST", "/api/v1/profiles", { profile_id: "p_key" }, admin)).status).toBe(200);
  });
  afterAll(() => service.stop());

  test("a claim with an openssl CSR gets a certificate the CA verifies, binding tenant and device; hubs authenticate it; a re-claim revokes it", async () => {
    const claimKey = await importOne("HW-CERT-CSR");
    const device = await opensslCsr("EC");

    const claimed = await claim({ claim_key: claimKey, hardware_id: "HW-CERT-CSR", csr: device.csr });
    expect(claimed.status).toBe(200);
    expect(Object.keys(claimed.body).sort()).toEqual(["certificate", "device_id"]);
    const deviceId: string = claimed.body["device_id"];
    const certificate: string = claimed.body["certificate"];
    expect(certificate).toMatch(CERTIFICATE_PEM);

    expect((await verify(certificate)).trim()).toMatch(/: OK$/);
    const text = await openssl("x509", "-in", file(certificate), "-noout", "-text");
    expect(text).toContain(`Subject: O = ${tenant}, CN = ${deviceId}`);
    expect(text).toContain(`URI:urn:device-registry:tenant:${tenant}:device:${deviceId}`);
    expect(text).toMatch(/X509v3 Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\n *CA:FALSE/);
    expect(text).not.toContain("chosen-by-device");
    const dates = await openssl("x509", "-in", file(certificate), "-noout", "-startdate", "-enddate");
    const notBefore = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const notAfter = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    expect(notAfter - notBefore).toBeLessThanOrEqual(31 * 86_400_000); // the test service's 30 days, plus clock-skew backdating
    expect(await publicKeyOfCertificate(certificate)).toBe(await publicKeyOfKey(device.key));

    const identity = { device_id: deviceId, tenant_id: tenant, status: "registered" };
    expect(await authenticate({ device_id: deviceId, certificate })).toMatchObject({ status: 200, body: identity });
    const fingerprint = await fingerprintOf(certificate);
    expect(await authenticate({ device_id: deviceId, certificate_fingerprint: fingerprint })).toMatchObject({ status: 200, body: identity });
    expect(await authenticate({ device_id: deviceId, certificate_fingerprint: fingerprint.replaceAll(":", "").toLowerCase() })).toMatchObject({ status: 200 });
    // The certificate is this device's only: another device_id, or an api_key for it, is refused.
    expect(await authenticate({ device_id: randomUUID(), certificate })).toEqual(NOT_AUTHORIZED);
    expect(await authenticate({ device_id: deviceId, api_key: `sk_live_${"A".repeat(43)}` })).toEqual(NOT_AUTHORIZED);

    // Only the fingerprint, serial and expiry are stored, never the certificate or a key.
    const rows = await service.db.pool.query(
      "SELECT kind, secret_hash, certificate_serial, not_after, revoked_at FROM device_credentials WHERE device_id = $1",
      [deviceId],
    );
    const serial = (await openssl("x509", "-in", file(certificate), "-noout", "-serial")).trim().replace(/^serial=/, "");
    expect(rows.rows).toEqual([
      {
        kind: "client_certificate",
        secret_hash: Buffer.from(fingerprint.replaceAll(":", ""), "hex"),
        certificate_serial: serial.toLowerCase(),
        not_after: new Date(notAfter),
        revoked_at: null,
      },
    ]);
    expect(serial).toMatch(/^[0-9A-F]{32}$/);
    expect(await databaseText()).not.toContain(pemBody(certificate).slice(0, 64));

    // The device reboots and claims again with a new key: the old certificate stops working at once.
    const next = await opensslCsr("ED25519");
    const again = await claim({ claim_key: claimKey, hardware_id: "HW-CERT-CSR", csr: next.csr });
    expect(again.status).toBe(200);
    expect(again.body["device_id"]).toBe(deviceId);
    expect(await publicKeyOfCertificate(again.body["certificate"])).toBe(await publicKeyOfKey(next.key));
    expect(await authenticate({ device_id: deviceId, certificate })).toEqual(NOT_AUTHORIZED);
    expect(await authenticate({ device_id: deviceId, certificate_fingerprint: fingerprint })).toEqual(NOT_AUTHORIZED);
    expect((await authenticate({ device_id: deviceId, certificate: again.body["certificate"] })).status).toBe(200);
    const events = await service.db.pool.query("SELECT event_type, payload FROM outbox WHERE subject = $1 ORDER BY id", [deviceId]);
    expect(events.rows.map((r) => r.event_type)).toEqual(["device.registered", "device.credential_rotated"]);
    expect(events.rows[1].payload).toMatchObject({ credential_type: "CREDENTIAL_TYPE_CLIENT_CERTIFICATE" });
    expect(JSON.stringify(events.rows)).not.toContain("BEGIN");
  });

  test("a claim without a CSR returns a generated private key, once, that matches its certificate", async () => {
    const claimKey = await importOne("HW-CERT-GEN");
    const claimed = await claim({ claim_key: claimKey, hardware_id: "HW-CERT-GEN" });
    expect(claimed.status).toBe(200);
    expect(Object.keys(claimed.body).sort()).toEqual(["certificate", "device_id", "private_key"]);
    const { certificate, private_key: privateKey } = claimed.body;
    expect(certificate).toMatch(CERTIFICATE_PEM);
    expect(privateKey).toMatch(PRIVATE_KEY_PEM);

    const keyFile = file(privateKey);
    expect(await openssl("pkey", "-in", keyFile, "-noout", "-text")).toMatch(/NIST CURVE: P-256/);
    expect(await publicKeyOfCertificate(certificate)).toBe(await publicKeyOfKey(keyFile));
    expect((await verify(certificate)).trim()).toMatch(/: OK$/);
    expect((await authenticate({ device_id: claimed.body["device_id"], certificate })).status).toBe(200);

    const stored = await databaseText();
    expect(stored).not.toContain("PRIVATE KEY");
    expect(stored).not.toContain(pemBody(privateKey).slice(0, 64));
    expect(stored).not.toContain(pemBody(certificate).slice(0, 64));
  });

  test("RegisterDevice and RotateDeviceCredential over gRPC issue certificates; rotation, disabling and deletion revoke at once", async () => {
    const registry = createGrpcJsClient(DeviceRegistryService, `127.0.0.1:${service.port}`);
    const auth = createGrpcJsClient(DeviceAuthService, `127.0.0.1:${service.port}`);
    const asAdmin = { authorization: `Bearer ${admin}` };
    const asHub = { authorization: `Bearer ${hub}` };
    const authenticateGrpc = (deviceId: string, certificate: string) =>
      auth.call(DeviceAuthService.method.authenticateDevice, create(AuthenticateDeviceRequestSchema, { deviceId, certificate }), asHub);
    try {
      const device = await registry.call(
        DeviceRegistryService.method.registerDevice,
        create(RegisterDeviceRequestSchema, { name: "cert over grpc", hardwareId: "HW-CERT-GRPC", profileId: "p_cert" }),
        asAdmin,
      );
      expect(device.apiKey).toBe("");
      expect(device.certificate).toMatch(CERTIFICATE_PEM);
      expect(device.privateKey).toMatch(PRIVATE_KEY_PEM);
      expect(await publicKeyOfCertificate(device.certificate)).toBe(await publicKeyOfKey(file(device.privateKey)));
      expect(await authenticateGrpc(device.deviceId, device.certificate)).toMatchObject({ deviceId: device.deviceId, tenantId: tenant });
      // GetDevice never returns the credential again.
      const fetched = await call("GET", `/api/v1/devices/${device.deviceId}`, undefined, admin);
      expect(fetched.body).not.toHaveProperty("certificate");
      expect(fetched.body).not.toHaveProperty("private_key");

      const next = await opensslCsr("EC");
      const rotated = await registry.call(
        DeviceRegistryService.method.rotateDeviceCredential,
        create(RotateDeviceCredentialRequestSchema, { deviceId: device.deviceId, csr: next.csr }),
        asAdmin,
      );
      expect(rotated).toMatchObject({ deviceId: device.deviceId, apiKey: "", privateKey: "" });
      expect(await publicKeyOfCertificate(rotated.certificate)).toBe(await publicKeyOfKey(next.key));
      expect((await verify(rotated.certificate)).trim()).toMatch(/: OK$/);
      await expect(authenticateGrpc(device.deviceId, device.certificate)).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
        details: "Not authorized",
      });
      expect(await authenticateGrpc(device.deviceId, rotated.certificate)).toMatchObject({ deviceId: device.deviceId });

      const disable = (status: string) => call("PATCH", `/api/v1/devices/${device.deviceId}?update_mask=status`, { status }, admin);
      expect((await disable("disabled")).status).toBe(200);
      expect(await authenticate({ device_id: device.deviceId, certificate: rotated.certificate })).toEqual(NOT_AUTHORIZED);
      expect((await disable("registered")).status).toBe(200);
      expect((await authenticate({ device_id: device.deviceId, certificate: rotated.certificate })).status).toBe(200);

      expect((await call("DELETE", `/api/v1/devices/${device.deviceId}`, undefined, admin)).status).toBe(200);
      await expect(authenticateGrpc(device.deviceId, rotated.certificate)).rejects.toMatchObject({
        code: GrpcStatus.UNAUTHENTICATED,
        details: "Not authorized",
      });
    } finally {
      registry.close();
      auth.close();
    }
  });

  test("an expired certificate is 401 Not authorized", async () => {
    const { body: device } = await call("POST", "/api/v1/devices", { name: "expiring", hardware_id: "HW-CERT-EXPIRE", profile_id: "p_cert" }, admin);
    expect((await authenticate({ device_id: device["device_id"], certificate: device["certificate"] })).status).toBe(200);
    await service.db.pool.query("UPDATE device_credentials SET not_after = now() - interval '1 second' WHERE device_id = $1", [device["device_id"]]);
    expect(await authenticate({ device_id: device["device_id"], certificate: device["certificate"] })).toEqual(NOT_AUTHORIZED);
  });

  test("bad CSRs are 400 INVALID_ARGUMENT naming csr, and nothing is written or revoked", async () => {
    const claimKey = await importOne("HW-CERT-BAD");
    const good = await opensslCsr("EC");
    // Flip the CSR's last byte, inside its signature: still a well-formed PEM request, no longer self-signed.
    const der = Buffer.from(pemBody(good.csr), "base64");
    der[der.length - 1] ^= 0x01;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der
      .toString("base64")
      .match(/.{1,64}/g)!
      .join("\n")}\n-----END CERTIFICATE REQUEST-----\n`;
    const weak = await opensslCsr("RSA1024");
    const cases: [string, RegExp][] = [
      ["hello", /^csr: is not a PEM PKCS#10 certificate request$/],
      ["-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", /^csr: is not a PEM PKCS#10 certificate request$/],
      [forged, /^csr: the request's signature does not verify$/],
      [weak.csr, /^csr: the key must be/],
    ];
    for (const [csr, message] of cases) {
      const answer = await claim({ claim_key: claimKey, hardware_id: "HW-CERT-BAD", csr });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ code: "INVALID_ARGUMENT", message: expect.stringMatching(message) });
    }
    const devices = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id = 'HW-CERT-BAD'");
    expect(devices.rows[0].n).toBe(0);

    // A rotation with a bad CSR leaves the current certificate working; RegisterDevice refuses one too.
    const { body: device } = await call("POST", "/api/v1/devices", { name: "kept", hardware_id: "HW-CERT-KEPT", profile_id: "p_cert" }, admin);
    const rotation = await call("POST", `/api/v1/devices/${device["device_id"]}:rotateCredential`, { csr: forged }, admin);
    expect(rotation).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "csr: the request's signature does not verify" } });
    expect((await authenticate({ device_id: device["device_id"], certificate: device["certificate"] })).status).toBe(200);
    const registration = await call("POST", "/api/v1/devices", { name: "bad", hardware_id: "HW-CERT-BAD-REG", profile_id: "p_cert", csr: "garbage" }, admin);
    expect(registration).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "csr: is not a PEM PKCS#10 certificate request" } });

    // An api_key device gets an api_key; a CSR for it is refused rather than ignored.
    const keyDevice = await call("POST", "/api/v1/devices", { name: "key", hardware_id: "HW-KEY-CSR", profile_id: "p_key", csr: good.csr }, admin);
    expect(keyDevice).toEqual({
      status: 400,
      body: { code: "INVALID_ARGUMENT", message: expect.stringMatching(/^csr: the device's credential type is api_key/) },
    });
    const plain = await call("POST", "/api/v1/devices", { name: "key", hardware_id: "HW-KEY-CSR", profile_id: "p_key" }, admin);
    expect(plain.body["api_key"]).toMatch(/^sk_live_/);
    expect(plain.body).not.toHaveProperty("certificate");
    const count = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id IN ('HW-CERT-BAD-REG', 'HW-KEY-CSR')");
    expect(count.rows[0].n).toBe(1);
  });

  test("AuthenticateDevice refuses malformed, ambiguous and api_key-hash credentials alike", async () => {
    const { body: keyDevice } = await call("POST", "/api/v1/devices", { name: "key", hardware_id: "HW-KEY-AUTH" }, admin);
    const { body: certDevice } = await call("POST", "/api/v1/devices", { name: "cert", hardware_id: "HW-CERT-AUTH", profile_id: "p_cert" }, admin);
    const keyHash = await service.db.pool.query("SELECT encode(secret_hash, 'hex') AS hex FROM device_credentials WHERE device_id = $1", [
      keyDevice["device_id"],
    ]);
    for (const body of [
      // The stored hash of an api_key is not a certificate fingerprint.
      { device_id: keyDevice["device_id"], certificate_fingerprint: keyHash.rows[0].hex },
      { device_id: certDevice["device_id"], certificate: "not a certificate" },
      { device_id: certDevice["device_id"], certificate_fingerprint: "AB:CD" },
      { device_id: certDevice["device_id"], certificate: certDevice["certificate"], api_key: keyDevice["api_key"] },
      { device_id: certDevice["device_id"] },
    ]) {
      expect(await authenticate(body)).toEqual(NOT_AUTHORIZED);
    }
    expect((await authenticate({ device_id: keyDevice["device_id"], api_key: keyDevice["api_key"] })).status).toBe(200);
  });
});
