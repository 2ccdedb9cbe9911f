import type { ManufacturerCa } from "../domain/manufacturer-ca.js";
import { FailedPreconditionError, InvalidArgumentError } from "../domain/errors.js";
import { PgError, pgErrorOf } from "./pg-errors.js";
import type { Executor } from "./transaction.js";

/** Manufacturer CAs of all tenants; every tenant-facing query is scoped by tenant_id. */
export class ManufacturerCaRepository {
  constructor(private readonly db: Executor) {}

  /** Inserts a CA; false when that CA certificate is registered already (in any tenant). */
  async insert(ca: ManufacturerCa): Promise<boolean> {
    try {
      const result = await this.db.query(
        `INSERT INTO manufacturer_cas (ca_id, tenant_id, certificate_pem, fingerprint, subject, not_before, not_after, enabled,
           hardware_id_source, profile_id, groups, tags, created_at, updated_at, version)
         VALUES ($1::uuid, $2::uuid, $3::text, $4::bytea, $5::text, $6::timestamptz, $7::timestamptz, $8::boolean,
           $9::smallint, $10::text, $11::text[], $12::jsonb, $13::timestamptz, $13::timestamptz, 1)
         ON CONFLICT ON CONSTRAINT manufacturer_cas_fingerprint_key DO NOTHING`,
        [
          ca.caId,
          ca.tenantId,
          ca.certificatePem,
          ca.fingerprint,
          ca.subject,
          ca.notBefore,
          ca.notAfter,
          ca.enabled,
          ca.hardwareIdSource,
          ca.profileId,
          ca.groups,
          JSON.stringify(ca.tags),
          ca.createdAt,
        ],
      );
      return result.rowCount === 1;
    } catch (err) {
      throw profileError(err, ca);
    }
  }

  /** The tenant's CA, or undefined. */
  async get(tenantId: string, caId: string): Promise<ManufacturerCa | undefined> {
    const result = await this.db.query(`SELECT * FROM manufacturer_cas WHERE tenant_id = $1::uuid AND ca_id = $2::uuid`, [tenantId, caId]);
    return result.rows[0] ? caFromRow(result.rows[0]) : undefined;
  }

  /** Up to `limit` CAs of the tenant in (created_at, ca_id) order, after `after` when given. */
  async list(tenantId: string, after: { createdAt: Date; caId: string } | undefined, limit: number): Promise<ManufacturerCa[]> {
    const result = await this.db.query(
      `SELECT * FROM manufacturer_cas
       WHERE tenant_id = $1::uuid AND ($2::timestamptz IS NULL OR (created_at, ca_id) > ($2::timestamptz, $3::uuid))
       ORDER BY created_at, ca_id LIMIT $4::int`,
      [tenantId, after?.createdAt ?? null, after?.caId ?? null, limit],
    );
    return result.rows.map(caFromRow);
  }

  /** Writes the settings of `ca` if the stored version is still `expectedVersion`; the stored CA, or undefined. */
  async update(ca: ManufacturerCa, expectedVersion: number): Promise<ManufacturerCa | undefined> {
    try {
      const result = await this.db.query(
        `UPDATE manufacturer_cas SET enabled = $3::boolean, hardware_id_source = $4::smallint, profile_id = $5::text,
           groups = $6::text[], tags = $7::jsonb, updated_at = $8::timestamptz, version = version + 1
         WHERE tenant_id = $1::uuid AND ca_id = $2::uuid AND version = $9::bigint RETURNING *`,
        [ca.tenantId, ca.caId, ca.enabled, ca.hardwareIdSource, ca.profileId, ca.groups, JSON.stringify(ca.tags), ca.updatedAt, expectedVersion],
      );
      return result.rows[0] ? caFromRow(result.rows[0]) : undefined;
    } catch (err) {
      throw profileError(err, ca);
    }
  }

  /** Deletes the tenant's CA (and, by cascade, the certificate credentials registered through it); false when there was none. */
  async delete(tenantId: string, caId: string): Promise<boolean> {
    const result = await this.db.query(`DELETE FROM manufacturer_cas WHERE tenant_id = $1::uuid AND ca_id = $2::uuid`, [tenantId, caId]);
    return result.rowCount === 1;
  }

  /** The enabled CAs, of any tenant, whose subject is `subject`: the candidates to have signed a certificate of that issuer. */
  async enabledBySubject(subject: string): Promise<ManufacturerCa[]> {
    const result = await this.db.query({
      name: "enabled-manufacturer-cas-by-subject",
      text: `SELECT * FROM manufacturer_cas WHERE subject = $1::text AND enabled`,
      values: [subject],
    });
    return result.rows.map(caFromRow);
  }

  /** The tenant's registration code, storing `candidate` as it when the tenant has none yet. */
  async registrationCode(tenantId: string, candidate: string, now: Date): Promise<string> {
    const result = await this.db.query(
      `WITH inserted AS (
         INSERT INTO ca_registration_codes (tenant_id, code, created_at) VALUES ($1::uuid, $2::text, $3::timestamptz)
         ON CONFLICT (tenant_id) DO NOTHING RETURNING code)
       SELECT code FROM inserted UNION ALL SELECT code FROM ca_registration_codes WHERE tenant_id = $1::uuid`,
      [tenantId, candidate, now],
    );
    return result.rows[0].code as string;
  }
}

function profileError(err: unknown, ca: ManufacturerCa): unknown {
  const code = pgErrorOf(err)?.code;
  if (code === PgError.foreignKeyViolation) return new InvalidArgumentError("ca.profile_id", `profile "${ca.profileId}" does not exist in this tenant`);
  if (code === PgError.restrictViolation) return new FailedPreconditionError("the CA is in use");
  return err;
}

function caFromRow(row: Record<string, unknown>): ManufacturerCa {
  return {
    caId: row["ca_id"] as string,
    tenantId: row["tenant_id"] as string,
    certificatePem: row["certificate_pem"] as string,
    fingerprint: row["fingerprint"] as Buffer,
    subject: row["subject"] as string,
    notBefore: row["not_before"] as Date,
    notAfter: row["not_after"] as Date,
    enabled: row["enabled"] as boolean,
    hardwareIdSource: row["hardware_id_source"] as ManufacturerCa["hardwareIdSource"],
    profileId: row["profile_id"] as string | null,
    groups: row["groups"] as string[],
    tags: row["tags"] as Record<string, string>,
    createdAt: row["created_at"] as Date,
    updatedAt: row["updated_at"] as Date,
    version: Number(row["version"]),
  };
}
