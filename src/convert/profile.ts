import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeviceProfileSchema, type DeviceProfile as DeviceProfileMessage } from "../../gen/deviceregistry/v1/device_profile_pb.js";
import { etagOf, type DeviceProfile } from "../domain/device.js";
import type { ProfileFields } from "../domain/profile-service.js";

/** The editable fields of a profile message, not yet validated. */
export function profileMessageToFields(message: DeviceProfileMessage): ProfileFields {
  return {
    displayName: message.displayName,
    groups: message.groups,
    tags: message.tags,
    anchorMode: message.anchorMode,
    firmware: message.firmware,
    meta: message.meta,
    config: message.config ?? null,
    credentialType: message.credentialType,
  };
}

/** A stored profile as the API message. */
export function profileToMessage(profile: DeviceProfile): DeviceProfileMessage {
  return create(DeviceProfileSchema, {
    profileId: profile.profileId,
    tenantId: profile.tenantId,
    displayName: profile.displayName,
    groups: profile.groups,
    tags: profile.tags,
    anchorMode: profile.anchorMode,
    firmware: profile.firmware,
    meta: profile.meta,
    ...(profile.config === null ? {} : { config: profile.config }),
    credentialType: profile.credentialType,
    createdAt: timestampFromDate(profile.createdAt),
    updatedAt: timestampFromDate(profile.updatedAt),
    etag: etagOf(profile),
  });
}

/** A profile message with every field unset, for requests that omit the profile. */
export const emptyProfile: DeviceProfileMessage = create(DeviceProfileSchema);
