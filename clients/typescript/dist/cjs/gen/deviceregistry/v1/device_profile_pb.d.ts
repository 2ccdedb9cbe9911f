import type { GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { AnchorMode, CredentialType } from "./device_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/device_profile.proto.
 */
export declare const file_deviceregistry_v1_device_profile: GenFile;
/**
 * Defaults that devices registered with this profile inherit where their request leaves a field
 * unset. Scoped to one tenant.
 *
 * @generated from message deviceregistry.v1.DeviceProfile
 */
export type DeviceProfile = Message<"deviceregistry.v1.DeviceProfile"> & {
    /**
     * Tenant-chosen identifier, e.g. "p_temp_sensor_v2". Immutable.
     *
     * @generated from field: string profile_id = 1;
     */
    profileId: string;
    /**
     * Output only.
     *
     * @generated from field: string tenant_id = 2;
     */
    tenantId: string;
    /**
     * Human-readable name.
     *
     * @generated from field: string display_name = 3;
     */
    displayName: string;
    /**
     * Default groups.
     *
     * @generated from field: repeated string groups = 4;
     */
    groups: string[];
    /**
     * Default tags; a device's own tags win per key.
     *
     * @generated from field: map<string, string> tags = 5;
     */
    tags: {
        [key: string]: string;
    };
    /**
     * Default anchoring mode.
     *
     * @generated from field: deviceregistry.v1.AnchorMode anchor_mode = 6;
     */
    anchorMode: AnchorMode;
    /**
     * Default firmware version.
     *
     * @generated from field: string firmware = 7;
     */
    firmware: string;
    /**
     * Default metadata; a device's own entries win per key.
     *
     * @generated from field: map<string, string> meta = 8;
     */
    meta: {
        [key: string]: string;
    };
    /**
     * Default desired-state configuration.
     *
     * @generated from field: google.protobuf.Struct config = 9;
     */
    config?: JsonObject | undefined;
    /**
     * Credentials policy for devices of this profile: the credential they receive when they are
     * registered, claim themselves or are rotated. Unset means CREDENTIAL_TYPE_API_KEY, as for
     * devices without a profile.
     *
     * @generated from field: deviceregistry.v1.CredentialType credential_type = 10;
     */
    credentialType: CredentialType;
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp created_at = 11;
     */
    createdAt?: Timestamp | undefined;
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp updated_at = 12;
     */
    updatedAt?: Timestamp | undefined;
    /**
     * Set by the service and changed by every update; send it back to update conditionally.
     *
     * @generated from field: string etag = 13;
     */
    etag: string;
};
/**
 * Describes the message deviceregistry.v1.DeviceProfile.
 * Use `create(DeviceProfileSchema)` to create a new message.
 */
export declare const DeviceProfileSchema: GenMessage<DeviceProfile>;
