import type { Json, RestApi } from "./rest-api.js";
import { issueTestCertificate, type TestCa } from "./test-certificates.js";

/** Registers `ca` for `token`'s tenant through the REST API, with the proof of possession; insists on 200, returns the CA. */
export async function registerTestCa(api: RestApi, token: string, ca: TestCa, settings: Json = {}): Promise<Json> {
  const code = await api.call("GET", "/api/v1/manufacturerCas:registrationCode", token);
  const verification = await issueTestCertificate(ca, code.body["registration_code"]);
  const reply = await api.call("POST", "/api/v1/manufacturerCas", token, {
    ca: { certificate_pem: ca.certificatePem, ...settings },
    verification_certificate_pem: verification.certificatePem,
  });
  if (reply.status !== 200) throw new Error(`CA registration failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}
