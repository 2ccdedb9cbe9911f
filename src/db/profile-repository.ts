import type { DeviceProfile, JsonObject } from "../domain/device.js";
import { FailedPreconditionError } from "../domain/errors.js";
import { jsonOrNull } from "./device-repository.js";
import { PgError, pgErrorOf } from "./pg-errors.js";
import type { Executor } from "./transaction.js";

const COLUMNS = `display_name, groups, tags, anchor_mode, firmware, meta, config, credential_type`;

/** Device profiles of all tenants; every query is scoped by tenant_id. */
export class ProfileRepository {
  constructor(private readonly db: Executor) {}

  /** Inserts a profile; returns false when the tenant already has one with that id. */
  async insert(profile: DeviceProfile): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO device_profiles (tenant_id, profile_id, ${COLUMNS}, created_at, updated_at, version)
       VALUES ($1::uuid, $2::text, $3::text, $4::text[], $5::jsonb, $6::smallint, $7::text, $8::jsonb, $9::jsonb,
               $10::smallint, $11::timestamptz, $11::timestamptz, 1)
       ON CONFLICT (tenant_id, profile_id) DO NOTHING`,
      [profile.tenantId, profile.profileId, ...editableValues(profile), profile.createdAt],
    );
    return result.rowCount === 1;
  }

  /** The profile, or undefined. */
  async get(tenantId: string, profileId: string): Promise<DeviceProfile | undefined> {
    const result = await this.db.query({
      name: "select-profile",
      text: `SELECT * FROM device_profiles WHERE tenant_id = $1::uuid AND profile_id = $2::text`,
      values: [tenantId, profileId],
    });
    return result.rows[0] ? profileFromRow(result.rows[0]) : undefined;
  }

  /** Which of `profileIds` exist in the tenant. */
  async existing(tenantId: string, profileIds: readonly string[]): Promise<Set<string>> {
    const result = await this.db.query<{ profile_id: string }>(
      `SELECT profile_id FROM device_profiles WHERE tenant_id = $1::uuid AND profile_id = ANY ($2::text[])`,
      [tenantId, profileIds],
    );
    return new Set(result.rows.map((r) => r.profile_id));
  }

  /** Up to `limit` profiles ordered by profile_id, starting after `after`. */
  async list(tenantId: string, after: string, limit: number): Promise<DeviceProfile[]> {
    const result = await this.db.query(
      `SELECT * FROM device_profiles WHERE tenant_id = $1::uuid AND profile_id > $2::text
       ORDER BY profile_id LIMIT $3::int`,
      [tenantId, after, limit],
    );
    return result.rows.map((row) => profileFromRow(row));
  }

  /**
   * Writes the editable fields of `profile` if the stored version is still `expectedVersion`.
   * Returns the stored profile, or undefined when the version moved on (or the profile is gone).
   */
  async update(profile: DeviceProfile, expectedVersion: number): Promise<DeviceProfile | undefined> {
    const result = await this.db.query(
      `UPDATE device_profiles SET (${COLUMNS}, updated_at, version) =
         ($3::text, $4::text[], $5::jsonb, $6::smallint, $7::text, $8::jsonb, $9::jsonb, $10::smallint,
          $11::timestamptz, version + 1)
       WHERE tenant_id = $1::uuid AND profile_id = $2::text AND version = $12::bigint
       RETURNING *`,
      [profile.tenantId, profile.profileId, ...editableValues(profile), profile.updatedAt, expectedVersion],
    );
    return result.rows[0] ? profileFromRow(result.rows[0]) : undefined;
  }

  /** Deletes the profile; false when it did not exist. Refused while devices still use it. */
  async delete(tenantId: string, profileId: string): Promise<boolean> {
    try {
      const result = await this.db.query(`DELETE FROM device_profiles WHERE tenant_id = $1::uuid AND profile_id = $2::text`, [tenantId, profileId]);
      return result.rowCount === 1;
    } catch (err) {
      const code = pgErrorOf(err)?.code;
      if (code === PgError.restrictViolation || code === PgError.foreignKeyViolation) {
        throw new FailedPreconditionError(`profile "${profileId}" is still used by devices`);
      }
      throw err;
    }
  }
}

function editableValues(p: DeviceProfile): unknown[] {
  return [p.displayName, p.groups, JSON.stringify(p.tags), p.anchorMode, p.firmware, JSON.stringify(p.meta), jsonOrNull(p.config), p.credentialType];
}

/** The columns of a device_profiles row that profileFromRow reads. */
export const PROFILE_ROW_COLUMNS = [
  "profile_id",
  "tenant_id",
  "display_name",
  "groups",
  "tags",
  "anchor_mode",
  "firmware",
  "meta",
  "config",
  "credential_type",
  "created_at",
  "updated_at",
  "version",
] as const;

/** Maps a device_profiles row, its columns named with `prefix`, to the domain type. */
export function profileFromRow(row: Record<string, unknown>, prefix = ""): DeviceProfile {
  const col = (name: (typeof PROFILE_ROW_COLUMNS)[number]) => row[prefix + name];
  return {
    profileId: col("profile_id") as string,
    tenantId: col("tenant_id") as string,
    displayName: col("display_name") as string,
    groups: col("groups") as string[],
    tags: col("tags") as Record<string, string>,
    anchorMode: col("anchor_mode") as DeviceProfile["anchorMode"],
    firmware: col("firmware") as string,
    meta: col("meta") as Record<string, string>,
    config: col("config") as JsonObject | null,
    credentialType: col("credential_type") as DeviceProfile["credentialType"],
    createdAt: col("created_at") as Date,
    updatedAt: col("updated_at") as Date,
    version: Number(col("version")),
  };
}
