import { X509Certificate } from "node:crypto";
import { forwardedClientCertificate } from "../../src/server/forwarded-client-cert.js";
import { createTestCa } from "../support/test-certificates.js";

describe("X-Forwarded-Client-Cert", () => {
  let pem: string;
  let der: Buffer;
  beforeAll(async () => {
    pem = (await createTestCa("XFCC")).certificatePem;
    der = new X509Certificate(pem).raw;
  });

  test("reads the URL-encoded Cert of the last element, quoted or not, among other keys", () => {
    const cert = encodeURIComponent(pem);
    expect(forwardedClientCertificate(`Hash=abc;Cert="${cert}";Subject="CN=a, O=b; c"`)).toEqual(der);
    expect(forwardedClientCertificate(`By=x;Subject="CN=first, O=with, commas";URI=u,Cert=${cert};By=y`)).toEqual(der);
    expect(forwardedClientCertificate(`Cert="${cert}",By=spiffe://nearest;Hash=abc`)).toBeUndefined();
  });

  test("no header, no Cert or a Cert that is not a certificate is none", () => {
    expect(forwardedClientCertificate(null)).toBeUndefined();
    expect(forwardedClientCertificate("By=x;Hash=y")).toBeUndefined();
    expect(forwardedClientCertificate('Cert="not%20a%20cert"')).toBeUndefined();
    expect(forwardedClientCertificate(`Cert="${"%41".repeat(30_000)}"`)).toBeUndefined();
  });
});
