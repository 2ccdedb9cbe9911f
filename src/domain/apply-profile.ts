import { AnchorMode } from "../../gen/deviceregistry/v1/device_pb.js";
import type { DeviceProfile, DeviceSpec } from "./device.js";

/**
 * Fills what the request left unset from the profile: empty groups, firmware, config and an
 * unspecified anchor mode take the profile's; tags and meta are merged with the request winning
 * per key. The anchor mode falls back to MERKLE_BATCH.
 */
export function applyProfile(spec: DeviceSpec, profile: DeviceProfile | undefined): DeviceSpec {
  const anchorMode = spec.anchorMode || profile?.anchorMode || AnchorMode.MERKLE_BATCH;
  if (!profile) return { ...spec, anchorMode };
  return {
    ...spec,
    anchorMode,
    groups: spec.groups.length > 0 ? spec.groups : profile.groups,
    tags: { ...profile.tags, ...spec.tags },
    meta: { ...profile.meta, ...spec.meta },
    firmware: spec.firmware || profile.firmware,
    config: spec.config ?? profile.config,
  };
}
