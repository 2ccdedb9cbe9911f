import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../support/free-port.js";
import { registerTestCa } from "../support/manufacturer-ca-api.js";
import { mtlsPost } from "../support/mtls.js";
import { createOpenssl } from "../support/openssl.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { createTestCa, issueTestCertificate, type TestCa } from "../support/test-certificates.js";
import { startTestService, type TestService } from "../support/test-service.js";
import { x509 } from "../../src/pki/x509.js";

const run = promisify(execFile);

/** Resolves once something accepts TCP connections on the port. */
async function listening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(socket.end() !== undefined)).on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/**
 * End to end with a real MQTT broker: Mosquitto terminates the devices' mutual TLS, trusting the
 * issuing CA and a tenant's manufacturer CA, and refusing what the CRLs list.
 */
describe("devices on a real Mosquitto broker", () => {
  let service: TestService;
  let plain: TestService;
  let api: RestApi;
  let admin: string;
  let broker: ChildProcess;
  let brokerPort: number;
  let serverCa: TestCa;
  let factory: TestCa;
  let subscriber: { cert: string; key: string };
  const openssl = createOpenssl("mosquitto");
  const file = (name: string) => path.join(openssl.dir, name);
  const tenant = randomUUID();

  /** Writes the broker's crlfile: the issuing CA's CRL as the service serves it, and the manufacturer's own. */
  async function writeCrls(): Promise<void> {
    const res = await fetch(`${plain.baseUrl}/api/v1/crl`, { headers: { accept: "application/x-pem-file" } });
    expect(res.status).toBe(200);
    const manufacturerCrl = await x509.X509CrlGenerator.create({
      issuer: factory.certificate.subjectName,
      nextUpdate: new Date(Date.now() + 86_400_000),
      signingKey: factory.keys.privateKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    writeFileSync(file("crl.pem"), `${await res.text()}${x509.PemConverter.encode(manufacturerCrl.rawData, "X509 CRL")}\n`);
  }
  /** mosquitto_pub to the URL the device was given; the exit code and output. */
  async function publish(mqttUrl: string, topic: string, message: string, cert: string, key: string): Promise<{ code: number; output: string }> {
    return run("mosquitto_pub", ["-L", `${mqttUrl}/${topic}`, "--cafile", file("broker-ca.pem"), "--cert", cert, "--key", key, "-m", message, "-q", "1"]).then(
      ({ stdout, stderr }) => ({ code: 0, output: `${stdout}${stderr}` }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: `${err.stdout}${err.stderr}` }),
    );
  }
  /** Starts a subscriber for one message of `topic`; resolves to what it printed. */
  async function receiveOne(topic: string): Promise<() => Promise<string>> {
    const sub = run("mosquitto_sub", [
      "-h",
      "localhost",
      "-p",
      String(brokerPort),
      "-t",
      topic,
      "-C",
      "1",
      "-W",
      "20",
      "-v",
      "--cafile",
      file("broker-ca.pem"),
      "--cert",
      subscriber.cert,
      "--key",
      subscriber.key,
    ]);
    await new Promise((r) => setTimeout(r, 500)); // subscribed before anyone publishes
    return async () => (await sub).stdout.trim();
  }
  async function claimWithCsr(hardwareId: string): Promise<Json> {
    const imported = await api.call("POST", "/api/v1/devices:import", admin, { devices: [{ hardware_id: hardwareId, profile_id: "p_cert" }] });
    const key = `${hardwareId}.key`;
    await openssl.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
    await openssl.run("req", "-new", "-key", key, "-subj", `/CN=${hardwareId}`, "-out", `${hardwareId}.csr`);
    const claim = await api.call("POST", "/api/v1/devices:claim", "", {
      claim_key: imported.body["results"][0]["claim_key"],
      hardware_id: hardwareId,
      csr: openssl.read(`${hardwareId}.csr`),
    });
    expect(claim.status).toBe(200);
    writeFileSync(file(`${hardwareId}.pem`), claim.body["certificate"]);
    return { ...claim.body, certFile: file(`${hardwareId}.pem`), keyFile: file(key) };
  }

  beforeAll(async () => {
    brokerPort = await freePort();
    const hubs = [{ id: "mqtt-1", hubUrl: "https://hub.test", hubUrlStaticCert: "", mqttHubUrl: `mqtts://localhost:${brokerPort}`, region: null, weight: 1 }];
    serverCa = await createTestCa("Test TLS CA");
    const serverCert = await issueTestCertificate(serverCa, "localhost", { clientAuth: false, dnsName: "localhost" });
    service = await startTestService({ tls: { cert: Buffer.from(serverCert.certificatePem), key: Buffer.from(serverCert.keyPem) }, hubs });
    plain = await startTestService({ replicaOf: service, hubs });
    api = createRestApi(plain.baseUrl);
    admin = await service.token(tenant);
    await api.call("POST", "/api/v1/profiles", admin, { profile_id: "p_cert", credential_type: "CREDENTIAL_TYPE_CLIENT_CERTIFICATE" });
    factory = await createTestCa("Acme factory CA");
    await registerTestCa(api, admin, factory);

    // The broker: its own certificate, the issuing CA (of the replica that signs the claims) and the manufacturer CA.
    writeFileSync(file("broker-ca.pem"), serverCa.certificatePem);
    writeFileSync(file("broker.pem"), serverCert.certificatePem);
    writeFileSync(file("broker.key"), serverCert.keyPem);
    writeFileSync(file("trusted.pem"), `${readFileSync(plain.issuingCaCertPath, "utf8")}${factory.certificatePem}`);
    await writeCrls();
    writeFileSync(
      file("mosquitto.conf"),
      [
        `listener ${brokerPort} 127.0.0.1`,
        `cafile ${file("trusted.pem")}`,
        `certfile ${file("broker.pem")}`,
        `keyfile ${file("broker.key")}`,
        `crlfile ${file("crl.pem")}`,
        "require_certificate true",
        "use_identity_as_username true",
        "allow_anonymous false",
        "persistence false",
        // As root, Mosquitto would switch to its own user, who cannot read this private folder.
        ...(process.getuid?.() === 0 ? ["user root"] : []),
        `log_dest file ${file("mosquitto.log")}`,
        "log_type all",
        "",
      ].join("\n"),
    );
    broker = spawn("mosquitto", ["-c", file("mosquitto.conf")], { stdio: "ignore" });
    await listening(brokerPort);
    const sub = await claimWithCsr("HW-MQTT-SUBSCRIBER");
    subscriber = { cert: sub["certFile"], key: sub["keyFile"] };
  }, 60_000);
  afterAll(async () => {
    broker?.kill();
    await plain?.stop();
    await service?.stop();
  });

  test("a device claimed with a CSR publishes over mutual TLS to its mqtt_hub_url; once deleted, the reloaded CRL refuses its handshake", async () => {
    const device = await claimWithCsr("HW-MQTT-1");
    expect(device["mqtt_hub_url"]).toBe(`mqtts://localhost:${brokerPort}`);
    const received = await receiveOne("devices/1");
    expect(await publish(device["mqtt_hub_url"], "devices/1", "hello", device["certFile"], device["keyFile"])).toMatchObject({ code: 0 });
    expect(await received()).toBe("devices/1 hello");

    expect((await api.call("DELETE", `/api/v1/devices/${device["device_id"]}`, admin)).status).toBe(200);
    await writeCrls();
    broker.kill("SIGHUP");
    await new Promise((r) => setTimeout(r, 1000));
    const refused = await publish(device["mqtt_hub_url"], "devices/1", "after delete", device["certFile"], device["keyFile"]);
    expect(refused.code).not.toBe(0);
    // Why: openssl s_client gets the broker's certificate_revoked alert for the same handshake.
    const handshake = await openssl.output(
      "s_client",
      "-connect",
      `127.0.0.1:${brokerPort}`,
      "-servername",
      "localhost",
      "-CAfile",
      file("broker-ca.pem"),
      "-cert",
      device["certFile"],
      "-key",
      device["keyFile"],
      "-ign_eof",
      "-brief",
    );
    expect(handshake).toMatch(/alert certificate revoked/);
    expect(readFileSync(file("mosquitto.log"), "utf8")).toMatch(/Reloading config\.[\s\S]*certificate verify failed/);
    // The subscriber, whose certificate is not revoked, still gets in under the reloaded CRL.
    const stillReceived = await receiveOne("devices/still");
    expect(await publish(device["mqtt_hub_url"], "devices/still", "ok", subscriber.cert, subscriber.key)).toMatchObject({ code: 0 });
    expect(await stillReceived()).toBe("devices/still ok");
  }, 60_000);

  test("a device with a factory certificate registers itself just in time over mutual TLS, then connects to the broker with it", async () => {
    const factoryCert = await issueTestCertificate(factory, "SN-MQTT-FACTORY");
    writeFileSync(file("factory.pem"), factoryCert.certificatePem);
    writeFileSync(file("factory.key"), factoryCert.keyPem);
    const registered = await mtlsPost(
      `${service.baseUrl}/api/v1/devices:registerByCertificate`,
      {},
      { ca: serverCa.certificatePem, cert: factoryCert.certificatePem, key: factoryCert.keyPem },
    );
    expect(registered).toMatchObject({ status: 200, body: { hardware_id: "SN-MQTT-FACTORY", created: true, mqtt_hub_url: `mqtts://localhost:${brokerPort}` } });
    const received = await receiveOne("devices/factory");
    expect(await publish(registered.body["mqtt_hub_url"], "devices/factory", "first boot", file("factory.pem"), file("factory.key"))).toMatchObject({
      code: 0,
    });
    expect(await received()).toBe("devices/factory first boot");
  }, 60_000);
});
