import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ConfigError, loadConfig } from "../../src/config.js";
import { loadOrCreateDevCa } from "../../src/pki/dev-ca.js";
import { IssuingCa } from "../../src/pki/issuing-ca.js";

const run = promisify(execFile);
const freshDir = () => mkdtempSync(path.join(os.tmpdir(), "issuing-ca-"));
const subject = { tenantId: "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716", deviceId: "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f" };

/** A CA made by `openssl req -x509` in `dir`: its certificate and key files. */
async function opensslCa(dir: string, key: string[], extensions = "basicConstraints=critical,CA:TRUE"): Promise<{ cert: string; key: string }> {
  const files = { cert: path.join(dir, "ca.pem"), key: path.join(dir, "ca.key") };
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    ...key,
    "-nodes",
    "-keyout",
    files.key,
    "-out",
    files.cert,
    "-subj",
    "/CN=Ops issuing CA",
    "-days",
    "30",
    "-addext",
    extensions,
  ]);
  return files;
}

describe("issuing CA", () => {
  test("ISSUING_CA_CERT / ISSUING_CA_KEY load an operator's CA, whose device certificates openssl verifies", async () => {
    const dir = freshDir();
    const files = await opensslCa(dir, ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"]);
    const config = loadConfig({ ISSUING_CA_CERT: files.cert, ISSUING_CA_KEY: files.key, DEVICE_CERT_VALIDITY_DAYS: "7" });
    expect(config.issuingCa).toEqual({ certPem: readFileSync(files.cert, "utf8"), keyPem: readFileSync(files.key, "utf8") });
    expect(config.deviceCertValidityMs).toBe(7 * 86_400_000);

    const ca = await IssuingCa.load(config.issuingCa!, config.deviceCertValidityMs, config.crlUrl);
    const now = new Date();
    const { certificate, privateKeyPem } = await ca.issueWithNewKey(subject, now);
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(certificate.notAfter).toEqual(new Date(Math.floor((now.getTime() + 7 * 86_400_000) / 1000) * 1000));
    writeFileSync(path.join(dir, "device.pem"), certificate.pem);
    const { stdout } = await run("openssl", ["verify", "-CAfile", files.cert, "device.pem"], { cwd: dir });
    expect(stdout.trim()).toBe("device.pem: OK");
    const { stdout: text } = await run("openssl", ["x509", "-in", "device.pem", "-noout", "-text"], { cwd: dir });
    expect(text).toContain("Signature Algorithm: ecdsa-with-SHA384");
    expect(text).toContain(`URI:urn:device-registry:tenant:${subject.tenantId}:device:${subject.deviceId}`);
  });

  test("bad CA files stop the service with one ConfigError line naming the variables", async () => {
    const dir = freshDir();
    const ec = await opensslCa(dir, ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    const leafDir = freshDir();
    const leaf = await opensslCa(leafDir, ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "basicConstraints=critical,CA:FALSE");
    const otherDir = freshDir();
    const other = await opensslCa(otherDir, ["ed25519"]);
    const cases: [Record<string, string>, string][] = [
      [{ ISSUING_CA_CERT: ec.cert }, "ISSUING_CA_CERT and ISSUING_CA_KEY must be set together"],
      [{ ISSUING_CA_CERT: path.join(dir, "missing.pem"), ISSUING_CA_KEY: ec.key }, `ISSUING_CA_CERT: cannot read ${path.join(dir, "missing.pem")} (ENOENT)`],
      [{ ISSUING_CA_CERT: ec.key, ISSUING_CA_KEY: ec.key }, "ISSUING_CA_CERT / ISSUING_CA_KEY: is not a PEM X.509 certificate"],
      [{ ISSUING_CA_CERT: ec.cert, ISSUING_CA_KEY: ec.cert }, "ISSUING_CA_CERT / ISSUING_CA_KEY: is not a PEM private key"],
      [{ ISSUING_CA_CERT: ec.cert, ISSUING_CA_KEY: other.key }, "ISSUING_CA_CERT / ISSUING_CA_KEY: the key does not belong to the certificate"],
      [{ ISSUING_CA_CERT: leaf.cert, ISSUING_CA_KEY: leaf.key }, "ISSUING_CA_CERT / ISSUING_CA_KEY: is not a CA certificate (basicConstraints CA:TRUE)"],
      [{ DEVICE_CERT_VALIDITY_DAYS: "0" }, 'DEVICE_CERT_VALIDITY_DAYS must be an integer from 1 to 3650, got "0"'],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(message);
    }
  });

  test("an encrypted ISSUING_CA_KEY opens with ISSUING_CA_KEY_PASSPHRASE, and only with it", async () => {
    const dir = freshDir();
    const plain = await opensslCa(dir, ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    const pkcs8 = path.join(dir, "ca-pkcs8.key");
    const legacy = path.join(dir, "ca-legacy.key");
    await run("openssl", ["pkey", "-in", plain.key, "-aes-256-cbc", "-passout", "pass:open sesame", "-out", pkcs8]);
    await run("openssl", ["pkey", "-in", plain.key, "-traditional", "-aes-256-cbc", "-passout", "pass:open sesame", "-out", legacy]);
    expect(readFileSync(pkcs8, "utf8")).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(readFileSync(legacy, "utf8")).toMatch(/^DEK-Info: AES-256-CBC,/m);

    for (const key of [pkcs8, legacy]) {
      const config = loadConfig({ ISSUING_CA_CERT: plain.cert, ISSUING_CA_KEY: key, ISSUING_CA_KEY_PASSPHRASE: "open sesame" });
      const ca = await IssuingCa.load(config.issuingCa!, config.deviceCertValidityMs, config.crlUrl);
      const { certificate } = await ca.issueWithNewKey(subject, new Date());
      writeFileSync(path.join(dir, "device.pem"), certificate.pem);
      const { stdout } = await run("openssl", ["verify", "-CAfile", plain.cert, "device.pem"], { cwd: dir });
      expect(stdout.trim()).toBe("device.pem: OK");

      expect(() => loadConfig({ ISSUING_CA_CERT: plain.cert, ISSUING_CA_KEY: key })).toThrow(
        new ConfigError("ISSUING_CA_CERT / ISSUING_CA_KEY: the key is encrypted and no passphrase was given"),
      );
      expect(() => loadConfig({ ISSUING_CA_CERT: plain.cert, ISSUING_CA_KEY: key, ISSUING_CA_KEY_PASSPHRASE: "open sesam" })).toThrow(
        new ConfigError("ISSUING_CA_CERT / ISSUING_CA_KEY / ISSUING_CA_KEY_PASSPHRASE: the passphrase does not decrypt the key"),
      );
    }
    expect(() => loadConfig({ ISSUING_CA_KEY_PASSPHRASE: "open sesame" })).toThrow(new ConfigError("ISSUING_CA_KEY_PASSPHRASE is set without ISSUING_CA_KEY"));
  });

  test("dev mode generates a CA once under the data folder (key 0600) and reuses it", async () => {
    const dataDir = freshDir();
    const first = await loadOrCreateDevCa(dataDir);
    expect(first.created).toBe(true);
    expect(first.certPath).toBe(path.join(dataDir, "ca", "dev-ca-cert.pem"));
    expect(statSync(path.join(dataDir, "ca", "dev-ca.pem")).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.certPath, "utf8")).toBe(first.pem.certPem);
    expect(first.pem.certPem).not.toContain("PRIVATE KEY");

    const second = await loadOrCreateDevCa(dataDir);
    expect(second).toEqual({ ...first, created: false });

    const ca = await IssuingCa.load(second.pem, 86_400_000, "http://crl.test/api/v1/crl");
    const { certificate } = await ca.issueWithNewKey(subject, new Date());
    writeFileSync(path.join(dataDir, "device.pem"), certificate.pem);
    const { stdout } = await run("openssl", ["verify", "-CAfile", first.certPath, "device.pem"], { cwd: dataDir });
    expect(stdout.trim()).toBe("device.pem: OK");
  });

  test("two processes starting at once end up with one dev CA", async () => {
    const dataDir = freshDir();
    const [a, b] = await Promise.all([loadOrCreateDevCa(dataDir), loadOrCreateDevCa(dataDir)]);
    expect(a.pem).toEqual(b.pem);
  });
});
