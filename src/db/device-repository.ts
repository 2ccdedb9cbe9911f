import type { Device, DeviceCursor, DeviceFilter, JsonObject } from "../domain/device.js";
import { AlreadyExistsError, FailedPreconditionError, hardwareIdTaken, InvalidArgumentError, UnavailableError } from "../domain/errors.js";
import { createBatcher } from "./batcher.js";
import type { NewCredential } from "./credential-repository.js";
import type { OutboxEvent } from "./outbox-repository.js";
import { PgError, pgErrorOf } from "./pg-errors.js";
import type { Executor } from "./transaction.js";

/** A device to store, with its credential (none for a gateway's child) and its outbox event. */
export interface NewDevice {
  readonly device: Device;
  readonly credential: NewCredential | null;
  readonly event: OutboxEvent;
}

/** The input columns of INSERT_DEVICES, in parameter order: name, SQL type, and the value of a device. */
const INPUT_COLUMNS: readonly (readonly [name: string, type: string, value: (row: NewDevice) => unknown])[] = [
  ["device_id", "uuid", (r) => r.device.deviceId],
  ["tenant_id", "uuid", (r) => r.device.tenantId],
  ["name", "text", (r) => r.device.name],
  ["hardware_id", "text", (r) => r.device.hardwareId],
  ["status", "text", (r) => r.device.status],
  ["groups", "jsonb", (r) => JSON.stringify(r.device.groups)],
  ["tags", "jsonb", (r) => JSON.stringify(r.device.tags)],
  ["anchor_mode", "smallint", (r) => r.device.anchorMode],
  ["profile_id", "text", (r) => r.device.profileId],
  ["gateway_id", "uuid", (r) => r.device.gatewayId],
  ["firmware", "text", (r) => r.device.firmware],
  ["meta", "jsonb", (r) => JSON.stringify(r.device.meta)],
  ["config", "jsonb", (r) => jsonOrNull(r.device.config)],
  ["sub_model", "text", (r) => r.device.subModel],
  ["is_gateway", "boolean", (r) => r.device.isGateway],
  ["created_at", "timestamptz", (r) => r.device.createdAt],
  ["credential_id", "uuid", (r) => r.credential?.credentialId ?? null],
  ["credential_kind", "text", (r) => r.credential?.kind ?? null],
  ["secret_hash", "bytea", (r) => r.credential?.secretHash ?? null],
  ["event_id", "uuid", (r) => r.event.eventId],
  ["event_type", "text", (r) => r.event.type],
  ["subject", "text", (r) => r.event.subject],
  ["payload", "json", (r) => r.event.payload],
  ["occurred_at", "timestamptz", (r) => r.event.occurredAt],
  ["hub_id", "text", (r) => r.device.hub.id],
  ["hub_url", "text", (r) => r.device.hub.hubUrl],
  ["hub_url_static_cert", "text", (r) => r.device.hub.hubUrlStaticCert],
  ["mqtt_hub_url", "text", (r) => r.device.hub.mqttHubUrl],
  ["certificate_serial", "text", (r) => r.credential?.certificate?.serial ?? null],
  ["not_after", "timestamptz", (r) => r.credential?.certificate?.notAfter ?? null],
];

/** The CTE `input`: one row per element of the array parameters of `columns`, numbered n in their order. */
function inputCte(columns: readonly (readonly [name: string, type: string, ...rest: unknown[]])[]): string {
  return `input AS (
  SELECT * FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")})
    WITH ORDINALITY AS i (${columns.map(([name]) => name).join(", ")}, n)
)`;
}

/** The CTEs `device`, `credential` and `event` that insert the rows of `from` (rows of `input`) in input order. */
function deviceInserts(from: string): string {
  return `device AS (
  INSERT INTO devices (device_id, tenant_id, name, hardware_id, status, groups, tags, anchor_mode, profile_id,
                       gateway_id, firmware, meta, config, sub_model, is_gateway, created_at, updated_at, version,
                       hub_id, hub_url, hub_url_static_cert, mqtt_hub_url)
  SELECT device_id, tenant_id, name, hardware_id, status, ARRAY(SELECT jsonb_array_elements_text(groups)), tags, anchor_mode,
         profile_id, gateway_id, firmware, meta, config, sub_model, is_gateway, created_at, created_at, 1,
         hub_id, hub_url, hub_url_static_cert, mqtt_hub_url
  FROM ${from} ORDER BY n
  ON CONFLICT ON CONSTRAINT devices_tenant_hardware_id_key DO NOTHING
  RETURNING device_id
), credential AS (
  INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after)
  SELECT i.credential_id, i.device_id, i.credential_kind, i.secret_hash, i.created_at, i.certificate_serial, i.not_after
  FROM input i JOIN device USING (device_id) WHERE i.credential_id IS NOT NULL
), event AS (
  INSERT INTO outbox (event_id, event_type, tenant_id, subject, payload, occurred_at)
  SELECT i.event_id, i.event_type, i.tenant_id, i.subject, i.payload, i.occurred_at FROM input i JOIN device USING (device_id) ORDER BY i.n
)`;
}

/**
 * One statement writes devices, their credentials and their outbox events (one array element per
 * device), so each device's rows commit or fail together, and concurrent registrations share one
 * round trip and one commit. A hardware_id already taken in the tenant, or earlier in the same
 * statement, inserts nothing for that device. (Exported for the benchmark's pgbench ceiling,
 * which runs this very statement.)
 */
export const INSERT_DEVICES = `
WITH ${inputCte(INPUT_COLUMNS)}, ${deviceInserts("input")}
SELECT device_id FROM device`;

/** A device a claim creates: the device as registrations store it, and the claim it is linked to. */
export interface ClaimedDevice extends NewDevice {
  readonly claimId: string;
}

const CLAIMED_INPUT_COLUMNS: readonly (readonly [name: string, type: string, value: (row: ClaimedDevice) => unknown])[] = [
  ...INPUT_COLUMNS,
  ["claim_id", "uuid", (r) => r.claimId],
];

/**
 * INSERT_DEVICES for first claims: a device is inserted only if its claim, locked, still has no
 * device and has not expired; the claim is linked to it first, so the pending-claim trigger
 * (migration 0011) sees the insert as the claim's own. Claims are locked in claim_id order, so
 * concurrent batches never deadlock on them. A hardware_id held by another device leaves a claim
 * linked to a device never inserted, which the deferred foreign key refuses at commit.
 */
const INSERT_CLAIMED_DEVICES = `
WITH ${inputCte(CLAIMED_INPUT_COLUMNS)}, claimed AS (
  UPDATE device_claims c SET device_id = i.device_id
  FROM (SELECT claim_id FROM device_claims
        WHERE claim_id IN (SELECT claim_id FROM input) AND device_id IS NULL AND expires_at > statement_timestamp()
        ORDER BY claim_id FOR UPDATE) locked
  JOIN input i USING (claim_id)
  WHERE c.claim_id = locked.claim_id AND c.device_id IS NULL AND c.expires_at > statement_timestamp()
  RETURNING i.device_id
), ${deviceInserts("input WHERE device_id IN (SELECT device_id FROM claimed)")}
SELECT device_id FROM device`;

/**
 * Devices of all tenants; every query is scoped by tenant_id. Changes to an existing device run
 * inside a transaction that first locks the device row, so a device's outbox events are written in
 * the order its changes commit. Every statement is named (prepared once per connection):
 * PostgreSQL parses and plans it once, not on every call.
 */
export class DeviceRepository {
  // On the pool, registrations arriving together share one statement (see createBatcher); in a
  // transaction, which has one connection and its own locks, each insert goes at once.
  private readonly insertBatched: ((row: NewDevice) => Promise<boolean>) | undefined;
  private readonly insertClaimedBatched: ((row: ClaimedDevice) => Promise<boolean>) | undefined;

  constructor(
    private readonly db: Executor,
    { batched = true }: { batched?: boolean } = {},
  ) {
    this.insertBatched = batched ? createBatcher(oneByOneOnError((rows) => this.insertAll(rows))) : undefined;
    this.insertClaimedBatched = batched ? createBatcher(oneByOneOnError((rows) => this.insertAllClaimed(rows))) : undefined;
  }

  /**
   * Inserts a device with its credential (none for a gateway's child) and its outbox event
   * atomically; on the pool, batched with concurrent registrations. Returns false, writing
   * nothing, when the tenant already has a device with that hardware_id.
   */
  insert(device: Device, credential: NewCredential | null, event: OutboxEvent): Promise<boolean> {
    const row = { device, credential, event };
    return this.insertBatched ? this.insertBatched(row) : this.insertOne(row);
  }

  private insertOne(row: NewDevice): Promise<boolean> {
    return insertAlone((rows) => this.insertAll(rows), row);
  }

  /**
   * Inserts the device a first claim creates, with its credential and device.registered, and links
   * the claim to it, in one statement batched with concurrent claims (on the pool only). False,
   * writing nothing, when the claim got a device, expired or went away since it was read;
   * ALREADY_EXISTS when another device holds the hardware_id.
   */
  insertClaimed(row: ClaimedDevice): Promise<boolean> {
    if (!this.insertClaimedBatched) throw new Error("claimed devices are inserted on the pool, batched");
    return this.insertClaimedBatched(row);
  }

  private async insertAllClaimed(rows: readonly ClaimedDevice[]): Promise<boolean[]> {
    const values = CLAIMED_INPUT_COLUMNS.map(([, , value]) => rows.map(value));
    const result = await this.db.query({ name: "insert-claimed-devices", text: INSERT_CLAIMED_DEVICES, values });
    const inserted = new Set(result.rows.map((r: { device_id: string }) => r.device_id));
    return rows.map((r) => inserted.has(r.device.deviceId));
  }

  /** Stores `rows` with one INSERT_DEVICES; for each, whether it was inserted (false: its hardware_id is taken). */
  private async insertAll(rows: readonly NewDevice[]): Promise<boolean[]> {
    const values = INPUT_COLUMNS.map(([, , value]) => rows.map(value));
    const result = await this.db.query({ name: "insert-devices", text: INSERT_DEVICES, values });
    const inserted = new Set(result.rows.map((r: { device_id: string }) => r.device_id));
    return rows.map((r) => inserted.has(r.device.deviceId));
  }

  /** Up to `limit` devices of a tenant matching `filter`, in (created_at, device_id) order, after `cursor`. */
  async list(tenantId: string, filter: DeviceFilter, cursor: DeviceCursor | null, limit: number): Promise<Device[]> {
    const result = await this.db.query({
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
        tenantId,
        filter.group,
        filter.tag && JSON.stringify({ [filter.tag.key]: filter.tag.value }),
        filter.status,
        filter.gatewayId,
        filter.profileId,
        filter.hardwareId,
        cursor?.createdAt ?? null,
        cursor?.deviceId ?? null,
        limit,
      ],
    });
    return result.rows.map((row) => deviceFromRow(row));
  }

  /** The tenant's device with this hardware_id, or undefined. */
  getByHardwareId(tenantId: string, hardwareId: string): Promise<Device | undefined> {
    return this.one("select-device-by-hardware-id", `SELECT * FROM devices WHERE tenant_id = $1::uuid AND hardware_id = $2::text`, [tenantId, hardwareId]);
  }

  /** The device with this id in the tenant, or undefined. */
  get(tenantId: string, deviceId: string): Promise<Device | undefined> {
    return this.one("select-device", `SELECT * FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid`, [tenantId, deviceId]);
  }

  /** Locks and returns the device, or undefined when the tenant has no such device. */
  lock(tenantId: string, deviceId: string): Promise<Device | undefined> {
    return this.one("lock-device", `SELECT * FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid FOR UPDATE`, [tenantId, deviceId]);
  }

  /** Locks and returns the tenant's device with this hardware_id, or undefined. */
  lockByHardwareId(tenantId: string, hardwareId: string): Promise<Device | undefined> {
    return this.one("lock-device-by-hardware-id", `SELECT * FROM devices WHERE tenant_id = $1::uuid AND hardware_id = $2::text FOR UPDATE`, [
      tenantId,
      hardwareId,
    ]);
  }

  private async one(name: string, text: string, values: unknown[]): Promise<Device | undefined> {
    const result = await this.db.query({ name, text, values });
    return result.rows[0] ? deviceFromRow(result.rows[0]) : undefined;
  }

  /**
   * Serialises the tenant's gateway_id changes until the transaction ends. Taken before any device
   * row is locked, it keeps concurrent moves from locking each other's rows in opposite orders (a
   * deadlock) and from closing a cycle neither of them saw (A under B while B goes under A).
   */
  async lockTenantGateways(tenantId: string): Promise<void> {
    await this.db.query({
      name: "lock-tenant-gateways",
      // The two-key form: its key space never meets the single-key locks of migrations and the relay.
      text: `SELECT pg_advisory_xact_lock(1734440037, hashtext($1::text))`,
      values: [tenantId],
    });
  }

  /** Writes every mutable column of a locked device and bumps its version; returns the stored row. */
  async write(device: Device): Promise<Device> {
    const result = await this.db
      .query({
        name: "write-device",
        text: `UPDATE devices SET name = $3::text, status = $4::text, groups = $5::text[], tags = $6::jsonb, anchor_mode = $7::smallint,
       profile_id = $8::text, gateway_id = $9::uuid, firmware = $10::text, meta = $11::jsonb, config = $12::jsonb,
       sub_model = $13::text, updated_at = $14::timestamptz, version = version + 1
     WHERE tenant_id = $1::uuid AND device_id = $2::uuid RETURNING *`,
        values: [
          device.tenantId,
          device.deviceId,
          device.name,
          device.status,
          device.groups,
          JSON.stringify(device.tags),
          device.anchorMode,
          device.profileId,
          device.gatewayId,
          device.firmware,
          JSON.stringify(device.meta),
          jsonOrNull(device.config),
          device.subModel,
          device.updatedAt,
        ],
      })
      .catch((err: unknown) => {
        throw deviceWriteError(err, device);
      });
    return deviceFromRow(result.rows[0]);
  }

  /** Whether `ancestorId` is `deviceId` itself or one of the gateways above it. */
  async isSelfOrAncestor(tenantId: string, deviceId: string, ancestorId: string): Promise<boolean> {
    const result = await this.db.query({
      name: "is-self-or-ancestor",
      text: `WITH RECURSIVE chain(device_id, gateway_id) AS (
       SELECT device_id, gateway_id FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid
       UNION
       SELECT d.device_id, d.gateway_id FROM devices d JOIN chain c ON d.device_id = c.gateway_id WHERE d.tenant_id = $1::uuid)
     SELECT EXISTS (SELECT 1 FROM chain WHERE device_id = $3::uuid) AS found`,
      values: [tenantId, deviceId, ancestorId],
    });
    return result.rows[0].found === true;
  }

  /** Deletes a device and every device below it (children of children too); returns them, the device first. */
  async deleteTree(tenantId: string, deviceId: string): Promise<Device[]> {
    const result = await this.db.query({
      name: "delete-device-tree",
      text: `WITH RECURSIVE tree(device_id, depth) AS (
       SELECT device_id, 0 FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid
       UNION
       SELECT d.device_id, t.depth + 1 FROM devices d JOIN tree t ON d.gateway_id = t.device_id WHERE d.tenant_id = $1::uuid)
     DELETE FROM devices d USING tree t WHERE d.device_id = t.device_id RETURNING d.*, t.depth`,
      values: [tenantId, deviceId],
    });
    return result.rows.sort((a, b) => a.depth - b.depth).map((row) => deviceFromRow(row));
  }
}

/**
 * A batch whose statement failed: one device's failure (a profile or gateway deleted meanwhile, a
 * deadlock) must not fail the others, so each goes again on its own and gets its own answer. A
 * database that is down fails them all.
 */
function oneByOneOnError<R extends NewDevice, V>(insertAll: (rows: readonly R[]) => Promise<V[]>): (rows: readonly R[]) => Promise<(V | Promise<V>)[]> {
  return async (rows) => {
    try {
      return await insertAll(rows);
    } catch (err) {
      if (rows.length === 1 || err instanceof UnavailableError) throw deviceWriteError(err, rows[0]!.device);
      return rows.map((row) => insertAlone(insertAll, row));
    }
  };
}

/** `row` inserted by a statement of its own; its failure as the domain error it means. */
async function insertAlone<R extends NewDevice, V>(insertAll: (rows: readonly R[]) => Promise<V[]>, row: R): Promise<V> {
  try {
    const [answer] = await insertAll([row]);
    return answer!;
  } catch (err) {
    throw deviceWriteError(err, row.device);
  }
}

/**
 * A device write refused by the database as a domain error: a pending claim holding the
 * hardware_id, a profile or gateway deleted meanwhile; other errors as they are.
 */
function deviceWriteError(err: unknown, device: Device): unknown {
  const pgError = pgErrorOf(err);
  if (pgError?.code === PgError.uniqueViolation && pgError.constraint === "device_claims_pending_hardware_id") {
    return new AlreadyExistsError(
      `hardware_id "${device.hardwareId}" belongs to a pending import: its claim key has not been used; revoke it (RevokeClaimKeys) to register the device otherwise`,
    );
  }
  if (pgError?.code !== PgError.foreignKeyViolation) return err;
  // A claim linked to a device whose insert found its hardware_id taken by a concurrent one.
  if (pgError.constraint === "device_claims_device_fkey") return hardwareIdTaken(device.hardwareId);
  if (pgError.constraint === "devices_profile_fkey") {
    return new InvalidArgumentError("profile_id", `profile "${device.profileId}" does not exist in this tenant`);
  }
  if (pgError.constraint === "devices_gateway_fkey") {
    return new FailedPreconditionError(`gateway_id: gateway "${device.gatewayId}" no longer exists`);
  }
  return err;
}

/** The columns of a devices row that deviceFromRow reads. */
export const DEVICE_ROW_COLUMNS = [
  "device_id",
  "tenant_id",
  "name",
  "hardware_id",
  "status",
  "groups",
  "tags",
  "anchor_mode",
  "profile_id",
  "gateway_id",
  "firmware",
  "meta",
  "config",
  "sub_model",
  "is_gateway",
  "created_at",
  "updated_at",
  "version",
  "hub_id",
  "hub_url",
  "hub_url_static_cert",
  "mqtt_hub_url",
] as const;

/** Maps a devices row, its columns named with `prefix`, to the domain type. */
export function deviceFromRow(row: Record<string, unknown>, prefix = ""): Device {
  const col = (name: (typeof DEVICE_ROW_COLUMNS)[number]) => row[prefix + name];
  return {
    deviceId: col("device_id") as string,
    tenantId: col("tenant_id") as string,
    name: col("name") as string,
    hardwareId: col("hardware_id") as string,
    status: col("status") as Device["status"],
    groups: col("groups") as string[],
    tags: col("tags") as Record<string, string>,
    anchorMode: col("anchor_mode") as Device["anchorMode"],
    profileId: col("profile_id") as string | null,
    gatewayId: col("gateway_id") as string | null,
    firmware: col("firmware") as string,
    meta: col("meta") as Record<string, string>,
    config: col("config") as JsonObject | null,
    subModel: col("sub_model") as string,
    isGateway: col("is_gateway") as boolean,
    createdAt: col("created_at") as Date,
    updatedAt: col("updated_at") as Date,
    version: Number(col("version")),
    hub: {
      id: col("hub_id") as string,
      hubUrl: col("hub_url") as string,
      hubUrlStaticCert: col("hub_url_static_cert") as string,
      mqttHubUrl: col("mqtt_hub_url") as string,
    },
  };
}

/** A JSON parameter, or SQL NULL for null. */
export function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}
