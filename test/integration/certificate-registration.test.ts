import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import { CertificateRegistrationService } from "../../gen/deviceregistry/v1/certificate_registration_service_pb.js";
import { registerTestCa } from "../support/manufacturer-ca-api.js";
import { mtlsPost, type ClientTls } from "../support/mtls.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from "../support/test-certificates.js";
import { startTestService, type TestService } from "../support/test-service.js";

const DAY = 86_400_000;
const NOT_AUTHORIZED = { status: 401, body: { code: "UNAUTHENTICATED", message: "Not authorized" } };
const HUB = {
  id: "hub-1",
  hubUrl: "https://hub-1.example",
  hubUrlStaticCert: "https://hub-1-static.example",
  mqttHubUrl: "mqtts://hub-1.example:8883",
  region: "",
  weight: 1,
};

/** The XFCC header Envoy writes for a client certificate: its hash and its URL-encoded PEM. */
function xfcc(certificate: TestCertificate): string {
  const der = new X509Certificate(certificate.certificatePem).raw;
  return `By=spiffe://proxy;Hash=${createHash("sha256").update(der).digest("hex")};Cert="${encodeURIComponent(certificate.certificatePem)}";Subject="CN=x"`;
}

describe("just-in-time registration with manufacturer certificates", () => {
  let service: TestService;
  let proxied: TestService;
  let api: RestApi;
  let admin: string;
  let hub: string;
  let serverCa: TestCa;
  let factory: TestCa;
  const tenant = randomUUID();

  const register = (device: TestCertificate | undefined, body: Json = {}) =>
    mtlsPost(`${service.baseUrl}/api/v1/devices:registerByCertificate`, body, {
      ca: serverCa.certificatePem,
      cert: device?.certificatePem,
      key: device?.keyPem,
    } satisfies ClientTls);
  const authenticate = (deviceId: string, certificate: string) => api.call("POST", "/api/v1/devices:authenticate", hub, { device_id: deviceId, certificate });
  const registeredEvents = async (deviceId: string) =>
    (await service.db.pool.query("SELECT payload FROM outbox WHERE subject = $1 AND event_type = 'device.registered'", [deviceId])).rows.map((r) => r.payload);

  beforeAll(async () => {
    serverCa = await createTestCa("Test server CA");
    const server = await issueTestCertificate(serverCa, "localhost", { clientAuth: false, dnsName: "localhost" });
    service = await startTestService({ tls: { cert: Buffer.from(server.certificatePem), key: Buffer.from(server.keyPem) }, hubs: [HUB] });
    // A second replica without TLS that trusts 127.0.0.1 as its TLS-terminating proxy; the admin calls go there too.
    proxied = await startTestService({
      replicaOf: service,
      trustedProxies: (() => {
        const l = new net.BlockList();
        l.addAddress("127.0.0.1");
        return l;
      })(),
      hubs: [HUB],
    });
    api = createRestApi(proxied.baseUrl);
    admin = await service.token(tenant);
    hub = await service.token(randomUUID(), "platform_service");
    await api.call("POST", "/api/v1/profiles", admin, { profile_id: "p_factory", tags: { model: "m1" }, firmware: "0.9" });
    factory = await createTestCa("Acme factory CA");
    await registerTestCa(api, admin, factory, { profile_id: "p_factory", groups: ["fleet"], tags: { site: "lyon" } });
  });
  afterAll(async () => {
    await proxied.stop();
    await service.stop();
  });

  test("a device with a factory certificate registers itself over mutual TLS, once; the same certificate again is the same device", async () => {
    const device = await issueTestCertificate(factory, "SN-JIT-1");
    const first = await register(device, { firmware: "1.2.0", meta: { boot: "1" } });
    expect(first).toMatchObject({
      status: 200,
      body: { hardware_id: "SN-JIT-1", created: true, hub_url: HUB.hubUrl, hub_url_static_cert: HUB.hubUrlStaticCert, mqtt_hub_url: HUB.mqttHubUrl },
    });
    const deviceId = first.body["device_id"];
    const stored = await api.call("GET", `/api/v1/devices/${deviceId}`, admin);
    expect(stored.body).toMatchObject({
      hardware_id: "SN-JIT-1",
      profile_id: "p_factory",
      groups: ["fleet"],
      tags: { site: "lyon", model: "m1" },
      firmware: "1.2.0",
      meta: { boot: "1" },
    });
    expect(await registeredEvents(deviceId)).toEqual([expect.objectContaining({ method: "REGISTRATION_METHOD_CERTIFICATE", actor: deviceId })]);

    const again = await register(device);
    expect(again).toMatchObject({ status: 200, body: { device_id: deviceId, hardware_id: "SN-JIT-1", mqtt_hub_url: HUB.mqttHubUrl } });
    expect(again.body["created"]).toBeUndefined();
    expect(await registeredEvents(deviceId)).toHaveLength(1);

    // AuthenticateDevice accepts it as it accepts ours, by PEM or fingerprint.
    const fingerprint = createHash("sha256").update(new X509Certificate(device.certificatePem).raw).digest("hex");
    expect(await authenticate(deviceId, device.certificatePem)).toMatchObject({ status: 200, body: { device_id: deviceId, tenant_id: tenant } });
    expect(await api.call("POST", "/api/v1/devices:authenticate", hub, { device_id: deviceId, certificate_fingerprint: fingerprint })).toMatchObject({
      status: 200,
    });
  });

  test("over HTTP/2 with a Connect client presenting the certificate", async () => {
    const device = await issueTestCertificate(factory, "SN-JIT-H2");
    const transport = createConnectTransport({
      baseUrl: service.baseUrl,
      httpVersion: "2",
      nodeOptions: { ca: serverCa.certificatePem, cert: device.certificatePem, key: device.keyPem, servername: "localhost" },
    });
    const response = await createClient(CertificateRegistrationService, transport).registerDeviceByCertificate({ firmware: "2" });
    expect(response).toMatchObject({ hardwareId: "SN-JIT-H2", created: true, mqttHubUrl: HUB.mqttHubUrl });
  });

  test("when the CA's profile calls for client certificates, the device gets one of ours too, on creation only", async () => {
    await api.call("POST", "/api/v1/profiles", admin, { profile_id: "p_ours", credential_type: "CREDENTIAL_TYPE_CLIENT_CERTIFICATE" });
    const ca = await createTestCa("Migrating CA");
    await registerTestCa(api, admin, ca, { profile_id: "p_ours" });
    const device = await issueTestCertificate(ca, "SN-OURS-1");
    const first = await register(device);
    expect(first).toMatchObject({
      status: 200,
      body: { created: true, certificate: expect.stringContaining("BEGIN CERTIFICATE"), private_key: expect.stringContaining("BEGIN PRIVATE KEY") },
    });
    const deviceId = first.body["device_id"];
    const ours = new X509Certificate(first.body["certificate"]);
    expect(ours.verify(new X509Certificate(readFileSync(service.issuingCaCertPath)).publicKey)).toBe(true);
    expect(ours.subject).toContain(`CN=${deviceId}`);
    // Both are its credentials: the factory certificate and ours.
    expect(await authenticate(deviceId, first.body["certificate"])).toMatchObject({ status: 200 });
    expect(await authenticate(deviceId, device.certificatePem)).toMatchObject({ status: 200 });
    const again = await register(device);
    expect(again).toMatchObject({ status: 200, body: { device_id: deviceId } });
    expect(again.body["certificate"]).toBeUndefined();
    expect(again.body["private_key"]).toBeUndefined();

    const csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
    const refused = await register(await issueTestCertificate(factory, "SN-CSR-REFUSED"), { csr });
    expect(refused).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "csr: the CA's profile issues no certificate; a CSR does not apply" } });
    const bad = await register(await issueTestCertificate(ca, "SN-OURS-BAD-CSR"), { csr });
    expect(bad).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "csr: is not a PEM PKCS#10 certificate request" } });
    const { rows } = await service.db.pool.query("SELECT count(*)::int AS n FROM devices WHERE hardware_id IN ('SN-CSR-REFUSED', 'SN-OURS-BAD-CSR')");
    expect(rows[0].n).toBe(0);
  });

  test("another certificate for a hardware_id that exists is ALREADY_EXISTS", async () => {
    expect((await register(await issueTestCertificate(factory, "SN-JIT-DUP"))).status).toBe(200);
    const other = await register(await issueTestCertificate(factory, "SN-JIT-DUP"));
    expect(other).toEqual({ status: 409, body: { code: "ALREADY_EXISTS", message: 'device with hardware_id "SN-JIT-DUP" already exists in this tenant' } });
  });

  test("no certificate, an unknown CA, an expired, not yet valid or non-clientAuth certificate: the same Not authorized", async () => {
    const stranger = await createTestCa("Acme factory CA"); // same name, other key
    const cases = [
      undefined,
      await issueTestCertificate(stranger, "SN-JIT-STRANGER"),
      await issueTestCertificate(factory, "SN-JIT-OLD", { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) }),
      await issueTestCertificate(factory, "SN-JIT-FUTURE", { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) }),
      await issueTestCertificate(factory, "SN-JIT-SERVER", { clientAuth: false }),
    ];
    for (const device of cases) expect(await register(device)).toEqual(NOT_AUTHORIZED);
    const { rows } = await service.db.pool.query(
      "SELECT count(*)::int AS n FROM devices WHERE hardware_id IN ('SN-JIT-STRANGER', 'SN-JIT-OLD', 'SN-JIT-FUTURE', 'SN-JIT-SERVER')",
    );
    expect(rows[0].n).toBe(0);
  });

  test("a disabled CA registers and authenticates no one until enabled again; a deleted one never", async () => {
    const ca = await createTestCa("Toggled CA");
    const id = (await registerTestCa(api, admin, ca))["ca_id"];
    const early = await issueTestCertificate(ca, "SN-TOGGLE-1");
    const deviceId = (await register(early)).body["device_id"];
    expect(deviceId).toBeDefined();
    expect((await api.call("PATCH", `/api/v1/manufacturerCas/${id}?update_mask=enabled`, admin, { enabled: false })).status).toBe(200);
    expect(await register(await issueTestCertificate(ca, "SN-TOGGLE-2"))).toEqual(NOT_AUTHORIZED);
    expect(await authenticate(deviceId, early.certificatePem)).toEqual(NOT_AUTHORIZED);
    expect((await api.call("PATCH", `/api/v1/manufacturerCas/${id}?update_mask=enabled`, admin, { enabled: true })).status).toBe(200);
    expect(await authenticate(deviceId, early.certificatePem)).toMatchObject({ status: 200 });
    expect((await api.call("DELETE", `/api/v1/manufacturerCas/${id}`, admin)).status).toBe(200);
    expect(await register(await issueTestCertificate(ca, "SN-TOGGLE-3"))).toEqual(NOT_AUTHORIZED);
    expect(await register(early)).toEqual(NOT_AUTHORIZED);
    expect(await authenticate(deviceId, early.certificatePem)).toEqual(NOT_AUTHORIZED);
  });

  test("the hardware_id comes from the SAN the CA names", async () => {
    const ca = await createTestCa("SAN CA");
    await registerTestCa(api, admin, ca, { hardware_id_source: "HARDWARE_ID_SOURCE_SAN_URI" });
    const device = await issueTestCertificate(ca, "ignored-cn", { uri: "urn:acme:sn:42", dnsName: "sn42.acme.example" });
    expect(await register(device)).toMatchObject({ status: 200, body: { hardware_id: "urn:acme:sn:42" } });
    expect(await register(await issueTestCertificate(ca, "no-san"))).toEqual(NOT_AUTHORIZED);
  });

  test("a rotated or deleted device's factory certificate is revoked: it neither authenticates nor registers again", async () => {
    const rotated = await issueTestCertificate(factory, "SN-JIT-ROTATED");
    const rotatedId = (await register(rotated)).body["device_id"];
    expect((await api.call("POST", `/api/v1/devices/${rotatedId}:rotateCredential`, admin, {})).status).toBe(200);
    expect(await authenticate(rotatedId, rotated.certificatePem)).toEqual(NOT_AUTHORIZED);
    expect(await register(rotated)).toEqual(NOT_AUTHORIZED);

    const deleted = await issueTestCertificate(factory, "SN-JIT-DELETED");
    const deletedId = (await register(deleted)).body["device_id"];
    expect((await api.call("DELETE", `/api/v1/devices/${deletedId}`, admin)).status).toBe(200);
    expect(await register(deleted)).toEqual(NOT_AUTHORIZED);
  });

  test("behind a trusted proxy the X-Forwarded-Client-Cert certificate counts; from anyone else it is ignored", async () => {
    const device = await issueTestCertificate(factory, "SN-JIT-XFCC");
    const viaProxy = await fetch(`${proxied.baseUrl}/api/v1/devices:registerByCertificate`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-client-cert": `By=spiffe://edge;URI=spiffe://x,${xfcc(device)}` },
      body: "{}",
    });
    expect(viaProxy.status).toBe(200);
    expect(await viaProxy.json()).toMatchObject({ hardware_id: "SN-JIT-XFCC", created: true });

    const spoofed = await issueTestCertificate(factory, "SN-JIT-SPOOF");
    // The TLS listener trusts no proxy: the header of a client without a certificate is not believed.
    expect(
      await mtlsPost(
        `${service.baseUrl}/api/v1/devices:registerByCertificate`,
        {},
        { ca: serverCa.certificatePem },
        { "x-forwarded-client-cert": xfcc(spoofed) },
      ),
    ).toEqual(NOT_AUTHORIZED);
  });
});
