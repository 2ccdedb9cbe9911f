import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import type { DeviceFilter, DeviceFilterInput, DeviceSpec, DeviceStatus } from "./device.js";
import { InvalidArgumentError } from "./errors.js";
import * as v from "./validate.js";

const anchorModes = Object.values(AnchorMode).filter((m) => typeof m === "number");
const statuses: readonly DeviceStatus[] = ["registered", "disabled"];

/** Checks every field of a device, naming the first bad one (with `prefix`, e.g. "device."). */
export function validateSpec(spec: DeviceSpec, prefix = ""): DeviceSpec {
  return {
    name: v.requireText(`${prefix}name`, spec.name, v.limits.nameLength),
    hardwareId: v.hardwareId(`${prefix}hardware_id`, spec.hardwareId),
    groups: v.groups(`${prefix}groups`, spec.groups),
    tags: v.stringMap(`${prefix}tags`, spec.tags),
    anchorMode: v.enumValue(`${prefix}anchor_mode`, spec.anchorMode, anchorModes),
    profileId: spec.profileId === null ? null : v.profileId(`${prefix}profile_id`, spec.profileId),
    gatewayId: spec.gatewayId === null ? null : v.optionalUuid(`${prefix}gateway_id`, spec.gatewayId),
    firmware: v.optionalText(`${prefix}firmware`, spec.firmware, v.limits.versionLength),
    meta: v.stringMap(`${prefix}meta`, spec.meta),
    config: v.config(`${prefix}config`, spec.config),
    subModel: v.optionalText(`${prefix}sub_model`, spec.subModel, v.limits.versionLength),
    isGateway: spec.isGateway,
  };
}

/** A device status: "registered" or "disabled". */
export function deviceStatus(field: string, value: string): DeviceStatus {
  if (!(statuses as readonly string[]).includes(value)) throw new InvalidArgumentError(field, 'must be "registered" or "disabled"');
  return value as DeviceStatus;
}

/** A device_id that must be present. */
export function deviceId(field: string, value: string): string {
  const id = v.optionalUuid(field, value);
  if (id === null) throw new InvalidArgumentError(field, "is required");
  return id;
}

/** Checks ListDevices filters; "" means no filter. */
export function deviceFilter(input: DeviceFilterInput): DeviceFilter {
  const set = <T>(value: string, check: (value: string) => T): T | null => (value === "" ? null : check(value));
  return {
    group: set(input.group, (g) => v.requireText("group", g, v.limits.groupLength)),
    tag: set(input.tag, (t) => {
      const at = t.indexOf("=");
      if (at <= 0) throw new InvalidArgumentError("tag", 'must be written "key=value"');
      // The bounds of a device's tags: a key or value no device can hold is refused, not looked up.
      const key = v.optionalText("tag", t.slice(0, at), v.limits.mapKeyLength);
      return { key, value: v.optionalText("tag", t.slice(at + 1), v.limits.mapValueLength) };
    }),
    status: set(input.status, (s) => deviceStatus("status", s)),
    gatewayId: set(input.gatewayId, (g) => deviceId("gateway_id", g)),
    profileId: set(input.profileId, (p) => v.profileId("profile_id", p)),
    hardwareId: set(input.hardwareId, (h) => v.hardwareId("hardware_id", h)),
  };
}

/** What a device reports about itself when it brings itself online (claim or certificate). */
export interface ReportedFields {
  readonly firmware: string;
  readonly subModel: string;
  readonly meta: Readonly<Record<string, string>>;
}

/** The reported fields, checked; INVALID_ARGUMENT names the field that is not. */
export function reportedFields(reported: ReportedFields): { firmware: string; subModel: string; meta: Record<string, string> } {
  return {
    firmware: v.optionalText("firmware", reported.firmware, v.limits.versionLength),
    subModel: v.optionalText("sub_model", reported.subModel, v.limits.versionLength),
    meta: v.stringMap("meta", reported.meta),
  };
}
