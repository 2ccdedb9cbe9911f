import type pg from "pg";
import type { Device } from "../domain/device.js";
import { deviceFromRow, deviceWriteError, jsonOrNull, type NewCredential } from "./device-repository.js";

// Changes to an existing device run inside a transaction that first locks the device row, so a
// device's outbox events are written in the order its changes commit. Every statement is named
// (prepared once per connection): PostgreSQL parses and plans it once, not on every call.

/** Locks and returns the device, or undefined when the tenant has no such device. */
export async function lockDevice(client: pg.ClientBase, tenantId: string, deviceId: string): Promise<Device | undefined> {
  const result = await client.query({
    name: "lock-device",
    text: `SELECT * FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid FOR UPDATE`,
    values: [tenantId, deviceId],
  });
  return result.rows[0] ? deviceFromRow(result.rows[0]) : undefined;
}

/** Locks and returns the tenant's device with this hardware_id, or undefined. */
export async function lockDeviceByHardwareId(client: pg.ClientBase, tenantId: string, hardwareId: string): Promise<Device | undefined> {
  const result = await client.query({
    name: "lock-device-by-hardware-id",
    text: `SELECT * FROM devices WHERE tenant_id = $1::uuid AND hardware_id = $2::text FOR UPDATE`,
    values: [tenantId, hardwareId],
  });
  return result.rows[0] ? deviceFromRow(result.rows[0]) : undefined;
}

/**
 * Serialises the tenant's gateway_id changes until the transaction ends. Taken before any device
 * row is locked, it keeps concurrent moves from locking each other's rows in opposite orders (a
 * deadlock) and from closing a cycle neither of them saw (A under B while B goes under A).
 */
export async function lockTenantGateways(client: pg.ClientBase, tenantId: string): Promise<void> {
  await client.query({
    name: "lock-tenant-gateways",
    // The two-key form: its key space never meets the single-key locks of migrations and the relay.
    text: `SELECT pg_advisory_xact_lock(1734440037, hashtext($1::text))`,
    values: [tenantId],
  });
}

/** Writes every mutable column of a locked device and bumps its version; returns the stored row. */
export async function writeDevice(client: pg.ClientBase, device: Device): Promise<Device> {
  const result = await client.query({
    name: "write-device",
    text: `UPDATE devices SET name = $3::text, status = $4::text, groups = $5::text[], tags = $6::jsonb, anchor_mode = $7::smallint,
       profile_id = $8::text, gateway_id = $9::uuid, firmware = $10::text, meta = $11::jsonb, config = $12::jsonb,
       sub_model = $13::text, updated_at = $14::timestamptz, version = version + 1
     WHERE tenant_id = $1::uuid AND device_id = $2::uuid RETURNING *`,
    values: [
      device.tenantId, device.deviceId, device.name, device.status, device.groups, JSON.stringify(device.tags), device.anchorMode,
      device.profileId, device.gatewayId, device.firmware, JSON.stringify(device.meta), jsonOrNull(device.config), device.subModel,
      device.updatedAt,
    ],
  }).catch((err: unknown) => {
    throw deviceWriteError(err, device);
  });
  return deviceFromRow(result.rows[0]);
}

/** Whether `ancestorId` is `deviceId` itself or one of the gateways above it. */
export async function isSelfOrAncestor(client: pg.ClientBase, tenantId: string, deviceId: string, ancestorId: string): Promise<boolean> {
  const result = await client.query({
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
export async function deleteDeviceTree(client: pg.ClientBase, tenantId: string, deviceId: string): Promise<Device[]> {
  const result = await client.query({
    name: "delete-device-tree",
    text: `WITH RECURSIVE tree(device_id, depth) AS (
       SELECT device_id, 0 FROM devices WHERE tenant_id = $1::uuid AND device_id = $2::uuid
       UNION
       SELECT d.device_id, t.depth + 1 FROM devices d JOIN tree t ON d.gateway_id = t.device_id WHERE d.tenant_id = $1::uuid)
     DELETE FROM devices d USING tree t WHERE d.device_id = t.device_id RETURNING d.*, t.depth`,
    values: [tenantId, deviceId],
  });
  return result.rows.sort((a, b) => a.depth - b.depth).map(deviceFromRow);
}

/** Whether the device was ever given a credential (children registered by their gateway never are). */
export async function hasHadCredential(client: pg.ClientBase, deviceId: string): Promise<boolean> {
  const result = await client.query({
    name: "has-had-credential",
    text: `SELECT EXISTS (SELECT 1 FROM device_credentials WHERE device_id = $1::uuid) AS had`,
    values: [deviceId],
  });
  return result.rows[0].had === true;
}

/** Revokes the device's live credentials and stores a new one. */
export async function replaceCredential(client: pg.ClientBase, deviceId: string, credential: NewCredential, now: Date): Promise<void> {
  await client.query({
    name: "revoke-credentials",
    text: `UPDATE device_credentials SET revoked_at = $2::timestamptz WHERE device_id = $1::uuid AND revoked_at IS NULL`,
    values: [deviceId, now],
  });
  await client.query({
    name: "insert-credential",
    text: `INSERT INTO device_credentials (credential_id, device_id, kind, secret_hash, created_at, certificate_serial, not_after)
     VALUES ($1::uuid, $2::uuid, $3::text, $4::bytea, $5::timestamptz, $6::text, $7::timestamptz)`,
    values: [credential.credentialId, deviceId, credential.kind, credential.secretHash, now, credential.certificate?.serial ?? null, credential.certificate?.notAfter ?? null],
  });
}
