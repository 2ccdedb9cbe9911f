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

/**
 * The identity of the registered device `deviceId` whose live (not revoked, not expired) credential
 * of this kind has this hash, or undefined. Read from the database on every call, never cached, so
 * a deletion, a rotation or a disabling takes effect at once on every replica. The kind matters: a
 * certificate fingerprint is public, an api_key hash must never be accepted as one.
 */
export async function identityByCredential(
  pool: pg.Pool,
  deviceId: string,
  kind: NewCredential["kind"],
  secretHash: Buffer,
): Promise<DeviceIdentity | undefined> {
  const result = await pool.query({
    name: "identity-by-credential",
    text: `SELECT d.device_id, d.tenant_id, d.gateway_id, d.status, d.hub_id, d.hub_url, d.is_gateway
           FROM device_credentials c JOIN devices d ON d.device_id = c.device_id
           WHERE c.secret_hash = $1::bytea AND c.device_id = $2::uuid AND c.kind = $3::text AND c.revoked_at IS NULL
             AND (c.not_after IS NULL OR c.not_after > now()) AND d.status = 'registered'`,
    values: [secretHash, deviceId, kind],
  });
  const row = result.rows[0];
  return row
    ? { deviceId: row.device_id, tenantId: row.tenant_id, gatewayId: row.gateway_id, status: row.status, hubId: row.hub_id, hubUrl: row.hub_url, isGateway: row.is_gateway }
    : undefined;
}
