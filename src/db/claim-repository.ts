import type { Device, JsonObject } from "../domain/device.js";
import { createBatcher } from "./batcher.js";
import type { NewCredential } from "./credential-repository.js";
import type { OutboxEvent } from "./outbox-repository.js";
import type { Executor } from "./transaction.js";

/** An import entry to store, with the hash of its claim key. */
export interface NewClaim {
  readonly claimId: string;
  readonly hardwareId: string;
  readonly keyHash: Buffer;
  readonly name: string;
  readonly groups: readonly string[];
  readonly tags: Record<string, string>;
  readonly profileId: string | null;
  readonly subModel: string;
  readonly meta: Record<string, string>;
  readonly config: JsonObject | null;
  readonly isGateway: boolean;
}

/** Why an entry was not stored. */
export type ClaimConflict = "registered" | "pending";

/** What an imported device's claim key can do now (see DeviceClaim.State in proto/). */
export type ClaimState = "pending" | "claimed" | "expired";

/** An import entry as listed: no key, and the device its claim created if that device exists. */
export interface ListedClaim {
  readonly hardwareId: string;
  readonly name: string;
  readonly profileId: string | null;
  readonly isGateway: boolean;
  readonly state: ClaimState;
  readonly deviceId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A stored import entry. */
export interface StoredClaim extends Omit<NewClaim, "keyHash"> {
  readonly tenantId: string;
  readonly expiresAt: Date;
  readonly deviceId: string | null;
}

/** A re-claim to write: the claim, its device as read, the new credential and its device.credential_rotated event. */
export interface Reclaim {
  readonly claimId: string;
  readonly device: Device;
  readonly credential: NewCredential;
  readonly event: OutboxEvent;
}

/** Claims of imported devices, by tenant and hardware_id. */
export class ClaimRepository {
  // On the pool, re-claims arriving together share one call (see createBatcher).
  private readonly reclaimBatched: ((row: Reclaim) => Promise<boolean>) | undefined;

  constructor(
    private readonly db: Executor,
    { batched = true }: { batched?: boolean } = {},
  ) {
    this.reclaimBatched = batched ? createBatcher((rows) => this.reclaimAll(rows)) : undefined;
  }

  /**
   * Stores claims and returns, for each entry not stored, why: its hardware_id already has a
   * device, or a pending claim. Expired entries that never created a device make way for the new
   * ones. Call it inside a transaction: it holds the tenant's hardware_id lock until the end, so no
   * device of these hardware_ids is inserted meanwhile (see migration 0011).
   */
  async insert(tenantId: string, claims: readonly NewClaim[], createdAt: Date, expiresAt: Date): Promise<Map<string, ClaimConflict>> {
    const hardwareIds = claims.map((c) => c.hardwareId);
    await this.db.query(`SELECT lock_tenant_hardware_ids($1::uuid, true)`, [tenantId]);
    await this.db.query(
      `DELETE FROM device_claims c WHERE c.tenant_id = $1::uuid AND c.hardware_id = ANY ($2::text[])
         AND c.device_id IS NULL AND c.expires_at <= $3::timestamptz`,
      [tenantId, hardwareIds, createdAt],
    );
    const inserted = await this.db.query<{ hardware_id: string }>(
      `INSERT INTO device_claims (claim_id, tenant_id, hardware_id, key_hash, name, groups, tags, profile_id, sub_model, meta, config,
                                  is_gateway, created_at, expires_at)
       SELECT u.claim_id, $1::uuid, u.hardware_id, u.key_hash, u.name, ARRAY(SELECT jsonb_array_elements_text(u.groups)), u.tags,
              u.profile_id, u.sub_model, u.meta, u.config, u.is_gateway, $12::timestamptz, $13::timestamptz
       FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::text[], $6::jsonb[], $7::jsonb[], $8::text[], $9::text[], $10::jsonb[], $11::jsonb[],
                   $14::boolean[])
              AS u (claim_id, hardware_id, key_hash, name, groups, tags, profile_id, sub_model, meta, config, is_gateway)
       WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.tenant_id = $1::uuid AND d.hardware_id = u.hardware_id)
       ON CONFLICT ON CONSTRAINT device_claims_tenant_hardware_id_key DO NOTHING
       RETURNING hardware_id`,
      [
        tenantId,
        claims.map((c) => c.claimId),
        hardwareIds,
        claims.map((c) => c.keyHash),
        claims.map((c) => c.name),
        claims.map((c) => JSON.stringify(c.groups)),
        claims.map((c) => JSON.stringify(c.tags)),
        claims.map((c) => c.profileId),
        claims.map((c) => c.subModel),
        claims.map((c) => JSON.stringify(c.meta)),
        claims.map((c) => (c.config === null ? null : JSON.stringify(c.config))),
        createdAt,
        expiresAt,
        claims.map((c) => c.isGateway),
      ],
    );
    const stored = new Set(inserted.rows.map((r) => r.hardware_id));
    const missing = hardwareIds.filter((h) => !stored.has(h));
    const registered = await this.db.query<{ hardware_id: string }>(
      `SELECT hardware_id FROM devices WHERE tenant_id = $1::uuid AND hardware_id = ANY ($2::text[])`,
      [tenantId, missing],
    );
    const isRegistered = new Set(registered.rows.map((r) => r.hardware_id));
    return new Map(missing.map((h) => [h, isRegistered.has(h) ? "registered" : "pending"]));
  }

  /** Deletes the claims of these hardware_ids, pending or claimed, and returns the hardware_ids that had one. */
  async delete(tenantId: string, hardwareIds: readonly string[]): Promise<Set<string>> {
    const deleted = await this.db.query<{ hardware_id: string }>(
      `DELETE FROM device_claims WHERE tenant_id = $1::uuid AND hardware_id = ANY ($2::text[]) RETURNING hardware_id`,
      [tenantId, hardwareIds],
    );
    return new Set(deleted.rows.map((r) => r.hardware_id));
  }

  /** Up to `limit` claims of the tenant after hardware_id `after`, by hardware_id, in `state` if given. */
  async list(tenantId: string, state: ClaimState | undefined, after: string, limit: number, now: Date): Promise<ListedClaim[]> {
    // Claimed means the claim's own device exists, never another device holding the hardware_id.
    const result = await this.db.query(
      `SELECT * FROM (
       SELECT c.hardware_id, c.name, c.profile_id, c.is_gateway, c.created_at, c.expires_at, c.device_id,
              CASE WHEN c.expires_at <= $5::timestamptz THEN 'expired' WHEN c.device_id IS NOT NULL THEN 'claimed' ELSE 'pending' END AS state
       FROM device_claims c
       WHERE c.tenant_id = $1::uuid AND c.hardware_id > $2::text) claims
     WHERE $3::text IS NULL OR state = $3::text
     ORDER BY hardware_id LIMIT $4::int`,
      [tenantId, after, state ?? null, limit, now],
    );
    return result.rows.map((r) => ({
      hardwareId: r.hardware_id,
      name: r.name,
      profileId: r.profile_id,
      isGateway: r.is_gateway,
      state: r.state,
      deviceId: r.device_id,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    }));
  }

  /**
   * Re-claims a claim's device: a new credential, the live ones revoked, device.credential_rotated
   * in the outbox, in one call of reclaim_devices (migration 0012) batched with concurrent
   * re-claims (on the pool only). False, writing nothing, when the claim no longer names the
   * device, has expired, or the device changed since `device` was read.
   */
  reclaim(row: Reclaim): Promise<boolean> {
    if (!this.reclaimBatched) throw new Error("re-claims go through the pool, batched");
    return this.reclaimBatched(row);
  }

  /** One re-claim per claim in a call: a claim's next re-claim goes in the next call, after this one. */
  private async reclaimAll(batch: readonly Reclaim[]): Promise<(boolean | Promise<boolean>)[]> {
    const firsts = new Map<string, Reclaim>();
    for (const row of batch) if (!firsts.has(row.claimId)) firsts.set(row.claimId, row);
    const rows = [...firsts.values()];
    const result = await this.db.query({
      name: "reclaim-devices",
      text: `SELECT reclaim_devices($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::bytea[], $7::text[], $8::timestamptz[],
                                    $9::timestamptz[], $10::uuid[], $11::text[], $12::uuid[], $13::json[]) AS n`,
      values: [
        rows.map((r) => r.claimId),
        rows.map((r) => r.device.deviceId),
        rows.map((r) => r.device.version),
        rows.map((r) => r.credential.credentialId),
        rows.map((r) => r.credential.kind),
        rows.map((r) => r.credential.secretHash),
        rows.map((r) => r.credential.certificate?.serial ?? null),
        rows.map((r) => r.credential.certificate?.notAfter ?? null),
        rows.map((r) => r.event.occurredAt),
        rows.map((r) => r.event.eventId),
        rows.map((r) => r.event.type),
        rows.map((r) => r.event.tenantId),
        rows.map((r) => r.event.payload),
      ],
    });
    const reclaimed = new Set(result.rows.map((r: { n: string }) => rows[Number(r.n) - 1]));
    return batch.map((row) => (firsts.get(row.claimId) === row ? reclaimed.has(row) : this.reclaim(row)));
  }
}

/** A stored import entry from its device_claims row. */
export function claimFromRow(r: Record<string, any>): StoredClaim {
  return {
    claimId: r["claim_id"],
    tenantId: r["tenant_id"],
    hardwareId: r["hardware_id"],
    name: r["name"],
    groups: r["groups"],
    tags: r["tags"],
    profileId: r["profile_id"],
    subModel: r["sub_model"],
    meta: r["meta"],
    config: r["config"],
    isGateway: r["is_gateway"],
    expiresAt: r["expires_at"],
    deviceId: r["device_id"],
  };
}
