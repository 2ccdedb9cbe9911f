import type pg from "pg";
import type { NewCredential } from "./device-repository.js";

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

/**
 * For each lookup, the identity of the registered device `deviceId` whose live (not revoked, not
 * expired, of an enabled manufacturer CA if one vouched for it) credential of this kind has this hash,
 * or undefined; one query for all of them. Read
 * from the database on every call, never cached, so a deletion, a rotation or a disabling takes
 * effect at once on every replica. The kind matters: a certificate fingerprint is public, an
 * api_key hash must never be accepted as one.
 */
export async function identitiesByCredentials(pool: pg.Pool, lookups: readonly CredentialLookup[]): Promise<(DeviceIdentity | undefined)[]> {
  const result = await pool.query({
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
      deviceId: row.device_id, tenantId: row.tenant_id, gatewayId: row.gateway_id, status: row.status, hubId: row.hub_id, hubUrl: row.hub_url, isGateway: row.is_gateway,
    };
  }
  return identities;
}
