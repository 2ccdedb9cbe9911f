import { randomUUID } from "node:crypto";
import { createOpenssl } from "../support/openssl.js";
import { createRestApi, type Json, type RestApi } from "../support/rest-api.js";
import { createTestCa, issueTestCertificate, type TestCa } from "../support/test-certificates.js";
import { startTestService, type TestService } from "../support/test-service.js";

const DAY = 86_400_000;

describe("manufacturer CAs", () => {
  let service: TestService;
  let api: RestApi;
  let admin: string;
  let otherAdmin: string;
  const tenant = randomUUID();
  const openssl = createOpenssl("manufacturer-cas");

  beforeAll(async () => {
    service = await startTestService();
    api = createRestApi(service.baseUrl);
    admin = await service.token(tenant);
    otherAdmin = await service.token(randomUUID());
  });
  afterAll(() => service.stop());

  const code = async (token: string) => {
    const reply = await api.call("GET", "/api/v1/manufacturerCas:registrationCode", token);
    expect(reply.status).toBe(200);
    return reply.body["registration_code"] as string;
  };
  /** A verification certificate for `token`'s tenant signed by `ca`'s key. */
  const verification = async (ca: TestCa, token: string) => (await issueTestCertificate(ca, await code(token))).certificatePem;
  const register = (token: string, body: Json) => api.call("POST", "/api/v1/manufacturerCas", token, body);
  async function registered(ca: TestCa, settings: Json = {}, token = admin): Promise<Json> {
    const reply = await register(token, {
      ca: { certificate_pem: ca.certificatePem, ...settings },
      verification_certificate_pem: await verification(ca, token),
    });
    expect(reply).toMatchObject({ status: 200 });
    return reply.body;
  }

  test("the registration code is the tenant's: stable, and another tenant's differs", async () => {
    const first = await code(admin);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(await code(admin)).toBe(first);
    expect(await code(otherAdmin)).not.toBe(first);
  });

  test("a CA made and proven with openssl registers, enabled by default, with what its certificate says", async () => {
    const ca = await openssl.createCa("/CN=Acme devices CA/O=Acme");
    const proof = await openssl.issue(ca, `/CN=${await code(admin)}`, "keyUsage=critical,digitalSignature\n");
    const fingerprint = (await openssl.run("x509", "-in", ca.cert, "-noout", "-fingerprint", "-sha256"))
      .trim()
      .replace(/^.*=/, "")
      .replaceAll(":", "")
      .toLowerCase();
    const reply = await register(admin, {
      ca: {
        certificate_pem: openssl.read(ca.cert),
        profile_id: "",
        groups: ["factory"],
        tags: { line: "7" },
        hardware_id_source: "HARDWARE_ID_SOURCE_SAN_DNS",
      },
      verification_certificate_pem: openssl.read(proof.cert),
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      ca_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenant_id: tenant,
      subject: "CN=Acme devices CA\nO=Acme",
      fingerprint,
      enabled: true,
      groups: ["factory"],
      tags: { line: "7" },
      hardware_id_source: "HARDWARE_ID_SOURCE_SAN_DNS",
      etag: '"1"',
    });
    expect(reply.body["certificate_pem"].trim()).toBe(openssl.read(ca.cert).trim());
    expect(new Date(reply.body["not_after"]).getTime()).toBeGreaterThan(Date.now() + 3000 * DAY);
    expect(await api.call("GET", `/api/v1/manufacturerCas/${reply.body["ca_id"]}`, admin)).toMatchObject({ status: 200, body: reply.body });
  });

  test("the same CA twice is ALREADY_EXISTS, in this tenant and in another", async () => {
    const ca = await createTestCa("Twice CA");
    await registered(ca);
    const again = await register(admin, { ca: { certificate_pem: ca.certificatePem }, verification_certificate_pem: await verification(ca, admin) });
    expect(again).toEqual({ status: 409, body: { code: "ALREADY_EXISTS", message: "this CA certificate is registered already" } });
    const elsewhere = await register(otherAdmin, {
      ca: { certificate_pem: ca.certificatePem },
      verification_certificate_pem: await verification(ca, otherAdmin),
    });
    expect(elsewhere.status).toBe(409);
  });

  test("without proof of possession nothing is registered", async () => {
    const ca = await createTestCa("Unproven CA");
    const impostor = await createTestCa("Unproven CA");
    const cases: [string, Promise<string>][] = [
      ["verification_certificate_pem: is not a PEM X.509 certificate", Promise.resolve("")],
      ["verification_certificate_pem: is not signed by the CA's key", verification(impostor, admin)],
      ["verification_certificate_pem: its subject CN must be the tenant's registration code (GetCaRegistrationCode)", verification(ca, otherAdmin)],
    ];
    for (const [message, proof] of cases) {
      const reply = await register(admin, { ca: { certificate_pem: ca.certificatePem }, verification_certificate_pem: await proof });
      expect(reply).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message } });
    }
    expect((await api.call("GET", "/api/v1/manufacturerCas?page_size=1000", admin)).body["cas"].map((c: Json) => c["subject"])).not.toContain(
      "CN=Unproven CA\nO=Test manufacturer",
    );
  });

  test("a certificate that is no CA, lacks keyCertSign, has expired or is not valid yet is refused", async () => {
    const cases: [string, TestCa][] = [
      ["ca.certificate_pem: is not a CA certificate (basicConstraints CA:TRUE)", await createTestCa("Leaf", { ca: false })],
      ["ca.certificate_pem: lacks the keyCertSign key usage", await createTestCa("No signing", { keyCertSign: false })],
      ["ca.certificate_pem: has expired", await createTestCa("Old", { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) })],
      [
        "ca.certificate_pem: is not valid yet",
        await createTestCa("Future", { notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 10 * DAY) }),
      ],
    ];
    for (const [message, ca] of cases) {
      const reply = await register(admin, { ca: { certificate_pem: ca.certificatePem }, verification_certificate_pem: await verification(ca, admin) });
      expect(reply).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message } });
    }
    const garbage = await register(admin, {
      ca: { certificate_pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
      verification_certificate_pem: "",
    });
    expect(garbage).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: "ca.certificate_pem: is not a PEM X.509 certificate" } });
  });

  test("a profile of another tenant, or none, is INVALID_ARGUMENT", async () => {
    const ca = await createTestCa("Profiled CA");
    const reply = await register(admin, {
      ca: { certificate_pem: ca.certificatePem, profile_id: "p_missing" },
      verification_certificate_pem: await verification(ca, admin),
    });
    expect(reply).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: 'ca.profile_id: profile "p_missing" does not exist in this tenant' } });
  });

  test("list pages through the tenant's CAs only; update and delete; another tenant's CA is NOT_FOUND", async () => {
    const listTenant = randomUUID();
    const token = await service.token(listTenant);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await registered(await createTestCa(`Listed CA ${i}`), {}, token))["ca_id"]);
    const first = await api.call("GET", "/api/v1/manufacturerCas?page_size=2", token);
    expect(first.body["cas"].map((c: Json) => c["ca_id"])).toEqual(ids.slice(0, 2));
    const second = await api.call("GET", `/api/v1/manufacturerCas?page_size=2&page_token=${first.body["next_page_token"]}`, token);
    expect(second.body["cas"].map((c: Json) => c["ca_id"])).toEqual([ids[2]]);
    expect(second.body["next_page_token"]).toBeUndefined();

    const id = ids[0]!;
    const updated = await api.call("PATCH", `/api/v1/manufacturerCas/${id}?update_mask=enabled,groups`, token, { enabled: false, groups: ["b"] });
    expect(updated).toMatchObject({ status: 200, body: { ca_id: id, enabled: false, groups: ["b"], etag: '"2"' } });
    const stale = await api.call("PATCH", `/api/v1/manufacturerCas/${id}?update_mask=groups&etag=%221%22`, token, { groups: ["c"] });
    expect(stale.status).toBe(409);
    const immutable = await api.call("PATCH", `/api/v1/manufacturerCas/${id}?update_mask=certificate_pem`, token, { certificate_pem: "x" });
    expect(immutable).toEqual({ status: 400, body: { code: "INVALID_ARGUMENT", message: 'update_mask: field "certificate_pem" cannot be updated' } });

    const notFound = { status: 404, body: { code: "NOT_FOUND", message: `manufacturer CA "${id}" not found` } };
    expect(await api.call("GET", `/api/v1/manufacturerCas/${id}`, admin)).toEqual(notFound);
    expect(await api.call("PATCH", `/api/v1/manufacturerCas/${id}?update_mask=groups`, admin, { groups: [] })).toEqual(notFound);
    expect(await api.call("DELETE", `/api/v1/manufacturerCas/${id}`, admin)).toEqual(notFound);
    expect(await api.call("DELETE", `/api/v1/manufacturerCas/${id}`, token)).toEqual({ status: 200, body: {} });
    expect(await api.call("GET", `/api/v1/manufacturerCas/${id}`, token)).toEqual(notFound);
    expect(await api.call("GET", "/api/v1/manufacturerCas/not-a-uuid", token)).toEqual({
      status: 400,
      body: { code: "INVALID_ARGUMENT", message: "ca_id: must be a ca_id (UUID)" },
    });
  });
});
