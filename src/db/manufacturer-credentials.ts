import type pg from "pg";

/** A manufacturer certificate to store as a device's credential: its fingerprint, serial, expiry and CA. */
export interface ManufacturerCredential {
  readonly credentialId: string;
  readonly fingerprint: Buffer;
  readonly serial: string;
  readonly notAfter: Date;
  readonly caId: string;
}

/** Whether a certificate with this fingerprint was ever revoked or deleted as a credential. */
export async function isRevokedCertificate(db: pg.Pool | pg.ClientBase, fingerprint: Buffer): Promise<boolean> {
  const result = await db.query({
    name: "is-revoked-certificate",
    text: `SELECT EXISTS (SELECT 1 FROM revoked_certificates WHERE fingerprint = $1::bytea) AS revoked`,
    values: [fingerprint],
  });
  return result.rows[0].revoked === true;
}

/** Whether the device's live credential is the certificate with this fingerprint. */
export async function holdsCertificate(client: pg.ClientBase, deviceId: string, fingerprint: Buffer): Promise<boolean> {
  const result = await client.query({
    name: "holds-certificate",
    text: `SELECT EXISTS (SELECT 1 FROM device_credentials WHERE device_id = $1::uuid AND kind = 'client_certificate'
             AND secret_hash = $2::bytea AND revoked_at IS NULL) AS holds`,
    values: [deviceId, fingerprint],
  });
  return result.rows[0].holds === true;
}

/** Stores a manufacturer certificate as the credential of a device created in the same transaction. */
export async function insertManufacturerCredential(client: pg.ClientBase, deviceId: string, credential: ManufacturerCredential, now: Date): Promise<void> {
  await client.query({
    name: "insert-manufacturer-credential",
    text: `INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after, ca_id)
           VALUES ($1::uuid, $2::uuid, 'client_certificate', $3::bytea, $4::timestamptz, $5::text, $6::timestamptz, $7::uuid)`,
    values: [credential.credentialId, deviceId, credential.fingerprint, now, credential.serial, credential.notAfter, credential.caId],
  });
}
