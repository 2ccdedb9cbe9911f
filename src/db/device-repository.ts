import type pg from "pg";
import type { Device, JsonObject } from "../domain/device.js";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, UnavailableError } from "../domain/errors.js";
import type { OutboxEvent } from "../events/outbox-event.js";
import { createBatcher } from "./batcher.js";
import { PgError, pgErrorOf } from "./pg-errors.js";
import { withTransaction } from "./transaction.js";

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

/** A device to store, with its credential (none for a gateway's child) and its outbox event. */
export interface NewDevice {
  readonly device: Device;
  readonly credential: NewCredential | null;
  readonly event: OutboxEvent;
}

/**
 * One statement writes devices, their credentials and their outbox events (one array element per
 * device), so each device's rows commit or fail together, and concurrent registrations share one
 * round trip and one commit. A hardware_id already taken in the tenant, or earlier in the same
 * statement, inserts nothing for that device. (Exported for the benchmark's pgbench ceiling,
 * which runs this very statement.)
 */
export const INSERT_DEVICES = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::smallint[],
                       $9::text[], $10::uuid[], $11::text[], $12::jsonb[], $13::jsonb[], $14::text[], $15::boolean[],
                       $16::timestamptz[], $17::uuid[], $18::text[], $19::bytea[], $20::uuid[], $21::text[], $22::text[],
                       $23::json[], $24::timestamptz[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[],
                       $30::timestamptz[])
    WITH ORDINALITY AS i (device_id, tenant_id, name, hardware_id, status, groups, tags, anchor_mode,
                          profile_id, gateway_id, firmware, meta, config, sub_model, is_gateway,
                          created_at, credential_id, credential_kind, secret_hash, event_id, event_type, subject,
                          payload, occurred_at, hub_id, hub_url, hub_url_static_cert, mqtt_hub_url, certificate_serial,
                          not_after, n)
), device AS (
  INSERT INTO devices (device_id, tenant_id, name, hardware_id, status, groups, tags, anchor_mode, profile_id,
                       gateway_id, firmware, meta, config, sub_model, is_gateway, created_at, updated_at, version,
                       hub_id, hub_url, hub_url_static_cert, mqtt_hub_url)
  SELECT device_id, tenant_id, name, hardware_id, status, ARRAY(SELECT jsonb_array_elements_text(groups)), tags, anchor_mode,
         profile_id, gateway_id, firmware, meta, config, sub_model, is_gateway, created_at, created_at, 1,
         hub_id, hub_url, hub_url_static_cert, mqtt_hub_url
  FROM input ORDER BY n
  ON CONFLICT ON CONSTRAINT devices_tenant_hardware_id_key DO NOTHING
  RETURNING device_id
), credential AS (
  INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after)
  SELECT i.credential_id, i.device_id, i.credential_kind, i.secret_hash, i.created_at, i.certificate_serial, i.not_after
  FROM input i JOIN device USING (device_id) WHERE i.credential_id IS NOT NULL
), event AS (
  INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at)
  SELECT i.event_id, i.event_type, i.tenant_id, i.subject, i.payload, i.occurred_at FROM input i JOIN device USING (device_id) ORDER BY i.n
)
SELECT device_id FROM device`;

/** The parameters of INSERT_DEVICES: one array per column, one element per device. */
function insertParameters(rows: readonly NewDevice[]): unknown[][] {
  const column = (value: (row: NewDevice) => unknown) => rows.map(value);
  return [
    column((r) => r.device.deviceId), column((r) => r.device.tenantId), column((r) => r.device.name), column((r) => r.device.hardwareId),
    column((r) => r.device.status), column((r) => JSON.stringify(r.device.groups)), column((r) => JSON.stringify(r.device.tags)),
    column((r) => r.device.anchorMode), column((r) => r.device.profileId), column((r) => r.device.gatewayId), column((r) => r.device.firmware),
    column((r) => JSON.stringify(r.device.meta)), column((r) => jsonOrNull(r.device.config)), column((r) => r.device.subModel),
    column((r) => r.device.isGateway), column((r) => r.device.createdAt), column((r) => r.credential?.credentialId ?? null),
    column((r) => r.credential?.kind ?? null), column((r) => r.credential?.secretHash ?? null), column((r) => r.event.eventId),
    column((r) => r.event.type), column((r) => r.event.subject), column((r) => r.event.payload), column((r) => r.event.occurredAt),
    column((r) => r.device.hub.id), column((r) => r.device.hub.hubUrl), column((r) => r.device.hub.hubUrlStaticCert),
    column((r) => r.device.hub.mqttHubUrl), column((r) => r.credential?.certificate?.serial ?? null),
    column((r) => r.credential?.certificate?.notAfter ?? null),
  ];
}

/** Stores `rows` with one INSERT_DEVICES on `db`; for each, whether it was inserted (false: its hardware_id is taken). */
async function insertDevices(db: pg.ClientBase | pg.Pool, rows: readonly NewDevice[]): Promise<boolean[]> {
  const result = await db.query({ name: "insert-devices", text: INSERT_DEVICES, values: insertParameters(rows) });
  const inserted = new Set(result.rows.map((r: { device_id: string }) => r.device_id));
  return rows.map((r) => inserted.has(r.device.deviceId));
}

const SELECT_DEVICE = `SELECT * FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid`;

/** Devices of all tenants; every query is scoped by tenant_id. */
export class DeviceRepository {
  // Registrations arriving together share one statement (see createBatcher).
  private readonly insertBatched: (row: NewDevice) => Promise<boolean>;

  constructor(private readonly pool: pg.Pool) {
    this.insertBatched = createBatcher(async (rows) => {
      try {
        return await insertDevices(pool, rows);
      } catch (err) {
        // One device's failure (a profile or gateway deleted meanwhile) must not fail the others:
        // each goes again on its own and gets its own answer. A database that is down fails them all.
        if (rows.length === 1 || err instanceof UnavailableError) throw deviceWriteError(err, rows[0]!.device);
        return rows.map((row) => this.insertOne(row, pool));
      }
    });
  }

  /**
   * Inserts a device with its credential (none for a gateway's child) and its outbox event atomically, on `db` (a client
   * inside a transaction) or else batched with concurrent registrations on the pool.
   * Returns false, writing nothing, when the tenant already has a device with that hardware_id.
   */
  insert(device: Device, credential: NewCredential | null, event: OutboxEvent, db?: pg.ClientBase): Promise<boolean> {
    return db === undefined ? this.insertBatched({ device, credential, event }) : this.insertOne({ device, credential, event }, db);
  }

  private async insertOne(row: NewDevice, db: pg.ClientBase | pg.Pool): Promise<boolean> {
    try {
      const [inserted] = await insertDevices(db, [row]);
      return inserted === true;
    } catch (err) {
      throw deviceWriteError(err, row.device);
    }
  }

  /** Up to `limit` devices of a tenant matching `filter`, in (created_at, device_id) order, after `cursor`. */
  async list(
    tenantId: string,
    filter: DeviceFilter,
    cursor: DeviceCursor | null,
    limit: number,
  ): Promise<Device[]> {
    const result = await this.pool.query({
      name: "list-devices",
      text: `SELECT * FROM devices
             WHERE tenant_id = $1::uuid
               AND ($2::text IS NULL OR $2::text = ANY (groups))
               AND ($3::jsonb IS NULL OR tags @> $3::jsonb)
               AND ($4::text IS NULL OR status = $4::text)
               AND ($5::uuid IS NULL OR gateway_id = $5::uuid)
               AND ($6::text IS NULL OR profile_id = $6::text)
               AND ($7::text IS NULL OR hardware_id = $7::text)
               AND ($8::timestamptz IS NULL OR (created_at, device_id) > ($8::timestamptz, $9::uuid))
             ORDER BY created_at, device_id
             LIMIT $10::int`,
      values: [
        tenantId, filter.group, filter.tag && JSON.stringify({ [filter.tag.key]: filter.tag.value }), filter.status,
        filter.gatewayId, filter.profileId, filter.hardwareId, cursor?.createdAt ?? null, cursor?.deviceId ?? null, limit,
      ],
    });
    return result.rows.map(deviceFromRow);
  }

  /** Runs `work` in one transaction (see device-writes.ts for what runs inside). */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, work);
  }

  /** The tenant's device with this hardware_id, or undefined. */
  async getByHardwareId(tenantId: string, hardwareId: string): Promise<Device | undefined> {
    const result = await this.pool.query({
      name: "select-device-by-hardware-id",
      text: `SELECT * FROM devices WHERE tenant_id = $1::uuid AND hardware_id = $2::text`,
      values: [tenantId, hardwareId],
    });
    return result.rows[0] ? deviceFromRow(result.rows[0]) : undefined;
  }

  /** The device with this id in the tenant, or undefined. */
  async get(tenantId: string, deviceId: string): Promise<Device | undefined> {
    const result = await this.pool.query({ name: "select-device", text: SELECT_DEVICE, values: [tenantId, deviceId] });
    return result.rows[0] ? deviceFromRow(result.rows[0]) : undefined;
  }
}

/** Filters of a device listing; null matches everything. */
export interface DeviceFilter {
  readonly group: string | null;
  readonly tag: { readonly key: string; readonly value: string } | null;
  readonly status: string | null;
  readonly gatewayId: string | null;
  readonly profileId: string | null;
  readonly hardwareId: string | null;
}

/** A position in the listing order (created_at, device_id); null starts from the beginning. */
export interface DeviceCursor {
  readonly createdAt: Date;
  readonly deviceId: string;
}

/**
 * A device write refused by the database as a domain error: a pending claim holding the
 * hardware_id, a profile or gateway deleted meanwhile; other errors as they are.
 */
export function deviceWriteError(err: unknown, device: Device): unknown {
  const pgError = pgErrorOf(err);
  if (pgError?.code === PgError.uniqueViolation && pgError.constraint === "device_claims_pending_hardware_id") {
    return new AlreadyExistsError(
      `hardware_id "${device.hardwareId}" belongs to a pending import: its claim key has not been used; revoke it (RevokeClaimKeys) to register the device otherwise`,
    );
  }
  if (pgError?.code !== PgError.foreignKeyViolation) return err;
  if (pgError.constraint === "devices_profile_fkey") {
    return new InvalidArgumentError("profile_id", `profile "${device.profileId}" does not exist in this tenant`);
  }
  if (pgError.constraint === "devices_gateway_fkey") {
    return new FailedPreconditionError(`gateway_id: gateway "${device.gatewayId}" no longer exists`);
  }
  return err;
}

/** Maps a devices row to the domain type. */
export function deviceFromRow(row: Record<string, unknown>): Device {
  return {
    deviceId: row["device_id"] as string,
    tenantId: row["tenant_id"] as string,
    name: row["name"] as string,
    hardwareId: row["hardware_id"] as string,
    status: row["status"] as Device["status"],
    groups: row["groups"] as string[],
    tags: row["tags"] as Record<string, string>,
    anchorMode: row["anchor_mode"] as Device["anchorMode"],
    profileId: row["profile_id"] as string | null,
    gatewayId: row["gateway_id"] as string | null,
    firmware: row["firmware"] as string,
    meta: row["meta"] as Record<string, string>,
    config: row["config"] as JsonObject | null,
    subModel: row["sub_model"] as string,
    isGateway: row["is_gateway"] as boolean,
    createdAt: row["created_at"] as Date,
    updatedAt: row["updated_at"] as Date,
    version: Number(row["version"]),
    hub: {
      id: row["hub_id"] as string,
      hubUrl: row["hub_url"] as string,
      hubUrlStaticCert: row["hub_url_static_cert"] as string,
      mqttHubUrl: row["mqtt_hub_url"] as string,
    },
  };
}

/** A JSON parameter, or SQL NULL for null. */
export function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}
