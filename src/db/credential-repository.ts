import type { Executor } from "./transaction.js";

/**
 * A credential row to store: only the hash of the secret (for a certificate, the SHA-256 of its
 * DER) and, for a certificate, its serial and expiry.
 */
export interface NewCredential {
  readonly credentialId: string;
  readonly kind: "api_key" | "client_certificate";
  readonly secretHash: Buffer;
  readonly certificate: { readonly serial: string; readonly notAfter: Date } | null;
}

/** A manufacturer certificate to store as a device's credential: its fingerprint, serial, expiry and CA. */
export interface ManufacturerCredential {
  readonly credentialId: string;
  readonly fingerprint: Buffer;
  readonly serial: string;
  readonly notAfter: Date;
  readonly caId: string;
}

/** Who a device is, as a hub needs to know it. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly tenantId: string;
  readonly gatewayId: string | null;
  readonly status: string;
  readonly hubId: string;
  readonly hubUrl: string;
  readonly isGateway: boolean;
}

/** A credential presented for a device: its kind and the hash of its secret (or certificate). */
export interface CredentialLookup {
  readonly deviceId: string;
  readonly kind: NewCredential["kind"];
  readonly secretHash: Buffer;
}

/** Device credentials: only hashes and certificate fingerprints, never a secret. */
export class CredentialRepository {
  constructor(private readonly db: Executor) {}

  /**
   * For each lookup, the identity of the registered device `deviceId` whose live (not revoked, not
   * expired, of an enabled manufacturer CA if one vouched for it) credential of this kind has this
   * hash, or undefined; one query for all of them. Read from the database on every call, never
   * cached, so a deletion, a rotation or a disabling takes effect at once on every replica. The
   * kind matters: a certificate fingerprint is public, an api_key hash must never be accepted as one.
   */
  async identities(lookups: readonly CredentialLookup[]): Promise<(DeviceIdentity | undefined)[]> {
    const result = await this.db.query({
      name: "identities-by-credentials",
      text: `SELECT k.i, d.device_id, d.tenant_id, d.gateway_id, d.status, d.hub_id, d.hub_url, d.is_gateway
           FROM unnest($1::uuid[], $2::text[], $3::bytea[]) WITH ORDINALITY AS k (device_id, kind, secret_hash, i)
           JOIN device_credentials c ON c.secret_hash = k.secret_hash AND c.device_id = k.device_id AND c.kind = k.kind
           JOIN devices d ON d.device_id = c.device_id
           WHERE c.revoked_at IS NULL AND (c.not_after IS NULL OR c.not_after > now()) AND d.status = 'registered'
             AND (c.ca_id IS NULL OR EXISTS (SELECT 1 FROM manufacturer_cas m WHERE m.ca_id = c.ca_id AND m.enabled))`,
      values: [lookups.map((l) => l.deviceId), lookups.map((l) => l.kind), lookups.map((l) => l.secretHash)],
    });
    const identities = new Array<DeviceIdentity | undefined>(lookups.length).fill(undefined);
    for (const row of result.rows) {
      identities[Number(row.i) - 1] = {
        deviceId: row.device_id,
        tenantId: row.tenant_id,
        gatewayId: row.gateway_id,
        status: row.status,
        hubId: row.hub_id,
        hubUrl: row.hub_url,
        isGateway: row.is_gateway,
      };
    }
    return identities;
  }

  /** Whether the device was ever given a credential (children registered by their gateway never are). */
  hasHadCredential(deviceId: string): Promise<boolean> {
    return this.flag("has-had-credential", `SELECT EXISTS (SELECT 1 FROM device_credentials WHERE device_id = $1::uuid) AS had`, [deviceId]);
  }

  /** Revokes the device's live credentials and stores a new one. */
  async replace(deviceId: string, credential: NewCredential, now: Date): Promise<void> {
    await this.db.query({
      name: "revoke-credentials",
      text: `UPDATE device_credentials SET revoked_at = $2::timestamptz WHERE device_id = $1::uuid AND revoked_at IS NULL`,
      values: [deviceId, now],
    });
    await this.db.query({
      name: "insert-credential",
      text: `INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after)
     VALUES ($1::uuid, $2::uuid, $3::text, $4::bytea, $5::timestamptz, $6::text, $7::timestamptz)`,
      values: [
        credential.credentialId,
        deviceId,
        credential.kind,
        credential.secretHash,
        now,
        credential.certificate?.serial ?? null,
        credential.certificate?.notAfter ?? null,
      ],
    });
  }

  /** Whether a certificate with this fingerprint was ever revoked or deleted as a credential. */
  isRevokedCertificate(fingerprint: Buffer): Promise<boolean> {
    return this.flag("is-revoked-certificate", `SELECT EXISTS (SELECT 1 FROM revoked_certificates WHERE fingerprint = $1::bytea) AS revoked`, [fingerprint]);
  }

  /** Whether the device's live credential is the certificate with this fingerprint. */
  holdsCertificate(deviceId: string, fingerprint: Buffer): Promise<boolean> {
    return this.flag(
      "holds-certificate",
      `SELECT EXISTS (SELECT 1 FROM device_credentials WHERE device_id = $1::uuid AND kind = 'client_certificate'
             AND secret_hash = $2::bytea AND revoked_at IS NULL) AS holds`,
      [deviceId, fingerprint],
    );
  }

  /** Stores a manufacturer certificate as the credential of a device created in the same transaction. */
  async insertManufacturerCredential(deviceId: string, credential: ManufacturerCredential, now: Date): Promise<void> {
    await this.db.query({
      name: "insert-manufacturer-credential",
      text: `INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after, ca_id)
           VALUES ($1::uuid, $2::uuid, 'client_certificate', $3::bytea, $4::timestamptz, $5::text, $6::timestamptz, $7::uuid)`,
      values: [credential.credentialId, deviceId, credential.fingerprint, now, credential.serial, credential.notAfter, credential.caId],
    });
  }

  /** The value of the one boolean column of the one row `text` returns. */
  private async flag(name: string, text: string, values: unknown[]): Promise<boolean> {
    const result = await this.db.query({ name, text, values });
    return Object.values(result.rows[0] as Record<string, unknown>)[0] === true;
  }
}
