import type { AnchorMode, CredentialType } from "../../gen/deviceregistry/v1/device_pb.js";

/** A JSON object, as stored for desired-state config. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** Lifecycle state of a device. */
export type DeviceStatus = "registered" | "disabled";

/** The fields a caller chooses when a device is created. */
export interface DeviceSpec {
  name: string;
  hardwareId: string;
  groups: string[];
  tags: Record<string, string>;
  anchorMode: AnchorMode;
  profileId: string | null;
  gatewayId: string | null;
  firmware: string;
  meta: Record<string, string>;
  config: JsonObject | null;
  subModel: string;
  isGateway: boolean;
}

/** A stored device. */
export interface Device extends DeviceSpec {
  deviceId: string;
  tenantId: string;
  status: DeviceStatus;
  createdAt: Date;
  updatedAt: Date;
  /** Incremented by every update; the etag is derived from it. */
  version: number;
  /** The hub assigned at creation (empty strings when the pool was empty). */
  hub: DeviceHub;
}

/** The hub of a device, as stored with it. */
interface DeviceHub {
  id: string;
  hubUrl: string;
  hubUrlStaticCert: string;
  mqttHubUrl: string;
}

/** Who is acting, as far as the domain cares: the tenant and the subject recorded in events. */
export interface Actor {
  readonly tenantId: string;
  readonly subject: string;
}

/** The new values of an UpdateDevice request; only the fields in its mask are used. */
export type DeviceChanges = DeviceSpec & { readonly deviceId: string; readonly status: string };

/** The filters of ListDevices as the request gives them ("" = not set). */
export interface DeviceFilterInput {
  readonly group: string;
  readonly tag: string;
  readonly status: string;
  readonly gatewayId: string;
  readonly profileId: string;
  readonly hardwareId: string;
}

/** Filters of a device listing, checked; null matches everything. */
export interface DeviceFilter {
  readonly group: string | null;
  readonly tag: { readonly key: string; readonly value: string } | null;
  readonly status: string | null;
  readonly gatewayId: string | null;
  readonly profileId: string | null;
  readonly hardwareId: string | null;
}

/** A position in the device listing order (created_at, device_id). */
export interface DeviceCursor {
  readonly createdAt: Date;
  readonly deviceId: string;
}

/** A stored device profile. */
export interface DeviceProfile {
  profileId: string;
  tenantId: string;
  displayName: string;
  groups: string[];
  tags: Record<string, string>;
  anchorMode: AnchorMode;
  firmware: string;
  meta: Record<string, string>;
  config: JsonObject | null;
  credentialType: CredentialType;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** The etag of a stored resource version. */
export function etagOf(resource: { version: number }): string {
  return `"${resource.version}"`;
}

/**
 * Whether a caller's etag names the resource's current version. The quotes are optional, so that
 * `?etag=7` needs no URL-encoding of `"7"`.
 */
export function isCurrentEtag(etag: string, resource: { version: number }): boolean {
  const given = etag.startsWith('"') ? etag : `"${etag}"`;
  return given === etagOf(resource);
}
