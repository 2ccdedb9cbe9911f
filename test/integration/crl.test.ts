import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createOpenssl } from "../support/openssl.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { startTestService, TEST_CRL_URL, type TestService } from "../support/test-service.js";

describe("the issuing CA's CRL", () => {
  let service: TestService;
  let api: RestApi;
  let admin: string;
  const tenant = randomUUID();
  const openssl = createOpenssl("crl");
  let caFile: string;

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    admin = await service.token(tenant);
    caFile = openssl.file(readFileSync(service.issuingCaCertPath));
    await api.call("POST", "/api/v1/profiles", admin, { profile_id: "p_cert", credential_type: "CREDENTIAL_TYPE_CLIENT_CERTIFICATE" });
  });
  afterAll(() => service.stop());

  /** The CRL as PEM, downloaded without a token, written to a file of the openssl folder. */
  async function downloadCrl(): Promise<string> {
    const res = await fetch(`${service.baseUrl}/api/v1/crl`, { headers: { accept: "application/x-pem-file" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-pem-file");
    return openssl.file(await res.text());
  }
  const device = async (hardwareId: string): Promise<Json> => api.register(admin, { name: hardwareId, hardware_id: hardwareId, profile_id: "p_cert" });
  /** `openssl verify -crl_check` of a certificate against the issuing CA and the current CRL: its output, or the error. */
  const verifyWithCrl = async (certificate: string) =>
    openssl.output("verify", "-crl_check", "-CAfile", caFile, "-CRLfile", await downloadCrl(), openssl.file(certificate));
  const serialOf = async (certificate: string) =>
    (await openssl.run("x509", "-in", openssl.file(certificate), "-noout", "-serial")).trim().replace("serial=", "");
  const crlText = async () => openssl.run("crl", "-in", await downloadCrl(), "-noout", "-text");

  test("is signed by the issuing CA, numbered, with a nextUpdate; served as DER by default, PEM on request, without a token", async () => {
    const pem = await downloadCrl();
    expect(await openssl.output("crl", "-in", pem, "-CAfile", caFile, "-noout", "-verify")).toMatch(/^verify OK$/m);
    // And not by any other CA.
    const other = await openssl.createCa("/CN=Device Registry dev issuing CA");
    expect(await openssl.output("crl", "-in", pem, "-CAfile", other.cert, "-noout", "-verify")).toMatch(/verify failure/);
    const text = await openssl.run("crl", "-in", pem, "-noout", "-text");
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*\d+/);
    expect(text).toMatch(/Next Update: /);
    expect(text).toMatch(/X509v3 Authority Key Identifier/);

    const der = await fetch(`${service.baseUrl}/api/v1/crl`);
    expect(der.headers.get("content-type")).toBe("application/pkix-crl");
    const derFile = openssl.file(new Uint8Array(await der.arrayBuffer()), "crl");
    expect(await openssl.output("crl", "-inform", "DER", "-in", derFile, "-CAfile", caFile, "-noout", "-verify", "-nextupdate")).toMatch(
      /^nextUpdate=.*\nverify OK$/m,
    );
    expect((await fetch(`${service.baseUrl}/api/v1/crl`, { method: "POST" })).status).not.toBe(200);
  });

  test("every certificate the service issues names the CRL as its distribution point", async () => {
    const { certificate } = await device("HW-CRL-DP");
    const text = await openssl.run("x509", "-in", openssl.file(certificate), "-noout", "-text");
    expect(text).toContain(`X509v3 CRL Distribution Points:`);
    expect(text).toContain(`URI:${TEST_CRL_URL}`);
  });

  test("rotated, deleted and disabled devices' certificates are listed; openssl verify -crl_check refuses them", async () => {
    const rotated = await device("HW-CRL-ROTATED");
    expect(await verifyWithCrl(rotated["certificate"])).toMatch(/: OK/);
    const numberBefore = /CRL Number:\s*\n\s*(\d+)/.exec(await crlText())![1];
    const rotation = await api.call("POST", `/api/v1/devices/${rotated["device_id"]}:rotateCredential`, admin, {});
    expect(await verifyWithCrl(rotated["certificate"])).toMatch(/certificate revoked/);
    expect(await verifyWithCrl(rotation.body["certificate"])).toMatch(/: OK/);
    expect(Number(/CRL Number:\s*\n\s*(\d+)/.exec(await crlText())![1])).toBeGreaterThan(Number(numberBefore));

    const deleted = await device("HW-CRL-DELETED");
    await api.call("DELETE", `/api/v1/devices/${deleted["device_id"]}`, admin);
    expect(await verifyWithCrl(deleted["certificate"])).toMatch(/certificate revoked/);

    const disabled = await device("HW-CRL-DISABLED");
    await api.call("PATCH", `/api/v1/devices/${disabled["device_id"]}?update_mask=status`, admin, { status: "disabled" });
    expect(await verifyWithCrl(disabled["certificate"])).toMatch(/certificate revoked/);
    const text = await crlText();
    expect(text).toContain(await serialOf(disabled["certificate"]));
    expect(text).toMatch(/Certificate Hold/);
    await api.call("PATCH", `/api/v1/devices/${disabled["device_id"]}?update_mask=status`, admin, { status: "registered" });
    expect(await verifyWithCrl(disabled["certificate"])).toMatch(/: OK/);
    expect(await crlText()).toContain(await serialOf(rotated["certificate"]));
  });
});
