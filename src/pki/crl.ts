import { AsnConvert } from "@peculiar/asn1-schema";
import { CRLNumber, id_ce_cRLNumber } from "@peculiar/asn1-x509";
import type { webcrypto } from "node:crypto";
import { x509 } from "./x509.js";

/** A certificate the CRL lists: revoked for good, or on hold (its device is disabled). */
export interface CrlEntry {
  /** Hex serial number. */
  readonly serial: string;
  readonly revokedAt: Date;
  readonly onHold: boolean;
}

/** The CA that signs a CRL. */
export interface CrlSigner {
  readonly certificate: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
  readonly algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

/**
 * A v2 CRL signed by `signer`: issuer = the CA's subject, the authority key identifier, the CRL
 * number, thisUpdate/nextUpdate, one entry per certificate with its revocation date and reason
 * (certificateHold for a hold, otherwise unspecified, as RFC 5280 5.3.1 allows by omission).
 */
export async function signCrl(signer: CrlSigner, entries: readonly CrlEntry[], number: number, thisUpdate: Date, nextUpdate: Date): Promise<x509.X509Crl> {
  const crlNumber = new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(number)));
  return x509.X509CrlGenerator.create({
    issuer: signer.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(signer.certificate), crlNumber],
    entries: entries.map((e) => ({
      serialNumber: e.serial,
      revocationDate: e.revokedAt,
      ...(e.onHold ? { reason: x509.X509CrlReason.certificateHold } : {}),
    })),
  });
}
