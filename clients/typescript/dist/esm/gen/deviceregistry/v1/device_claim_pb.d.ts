import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/device_claim.proto.
 */
export declare const file_deviceregistry_v1_device_claim: GenFile;
/**
 * An imported device and the state of its claim key (never the key itself). Scoped to one tenant.
 *
 * @generated from message deviceregistry.v1.DeviceClaim
 */
export type DeviceClaim = Message<"deviceregistry.v1.DeviceClaim"> & {
    /**
     * The hardware_id the claim key is bound to.
     *
     * @generated from field: string hardware_id = 1;
     */
    hardwareId: string;
    /**
     * The name the device gets when it claims itself.
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * The profile it inherits defaults from.
     *
     * @generated from field: string profile_id = 3;
     */
    profileId: string;
    /**
     * It claims itself as a gateway.
     *
     * @generated from field: bool is_gateway = 4;
     */
    isGateway: boolean;
    /**
     * The state of its claim key.
     *
     * @generated from field: deviceregistry.v1.DeviceClaim.State state = 5;
     */
    state: DeviceClaim_State;
    /**
     * The device of this hardware_id, while one exists.
     *
     * @generated from field: string device_id = 6;
     */
    deviceId: string;
    /**
     * When it was imported.
     *
     * @generated from field: google.protobuf.Timestamp created_at = 7;
     */
    createdAt?: Timestamp | undefined;
    /**
     * When its claim key stops working.
     *
     * @generated from field: google.protobuf.Timestamp expires_at = 8;
     */
    expiresAt?: Timestamp | undefined;
};
/**
 * Describes the message deviceregistry.v1.DeviceClaim.
 * Use `create(DeviceClaimSchema)` to create a new message.
 */
export declare const DeviceClaimSchema: GenMessage<DeviceClaim>;
/**
 * What the claim key can still do.
 *
 * @generated from enum deviceregistry.v1.DeviceClaim.State
 */
export declare enum DeviceClaim_State {
    /**
     * Unset: in a ListDeviceClaims filter, every state.
     *
     * @generated from enum value: STATE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * The key works and no device of this hardware_id exists: the device has not claimed itself
     * yet (or its device was deleted and it may claim again).
     *
     * @generated from enum value: STATE_PENDING = 1;
     */
    PENDING = 1,
    /**
     * A device of this hardware_id exists (the key created it, or it was registered since): the
     * key re-claims it until it expires.
     *
     * @generated from enum value: STATE_CLAIMED = 2;
     */
    CLAIMED = 2,
    /**
     * The key no longer works.
     *
     * @generated from enum value: STATE_EXPIRED = 3;
     */
    EXPIRED = 3
}
/**
 * Describes the enum deviceregistry.v1.DeviceClaim.State.
 */
export declare const DeviceClaim_StateSchema: GenEnum<DeviceClaim_State>;
