import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { CredentialType, Device } from "./device_pb.js";
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/events.proto.
 */
export declare const file_deviceregistry_v1_events: GenFile;
/**
 * Event "device.registered": a device was created. Never carries a credential.
 *
 * @generated from message deviceregistry.v1.DeviceRegisteredEvent
 */
export type DeviceRegisteredEvent = Message<"deviceregistry.v1.DeviceRegisteredEvent"> & {
    /**
     * The device as created; api_key is always empty.
     *
     * @generated from field: deviceregistry.v1.Device device = 1;
     */
    device?: Device | undefined;
    /**
     * Subject (JWT sub, or device_id for device-initiated changes) that caused the change.
     *
     * @generated from field: string actor = 2;
     */
    actor: string;
    /**
     * How the device was registered.
     *
     * @generated from field: deviceregistry.v1.RegistrationMethod method = 3;
     */
    method: RegistrationMethod;
};
/**
 * Describes the message deviceregistry.v1.DeviceRegisteredEvent.
 * Use `create(DeviceRegisteredEventSchema)` to create a new message.
 */
export declare const DeviceRegisteredEventSchema: GenMessage<DeviceRegisteredEvent>;
/**
 * Event "device.updated": fields of a device changed.
 *
 * @generated from message deviceregistry.v1.DeviceUpdatedEvent
 */
export type DeviceUpdatedEvent = Message<"deviceregistry.v1.DeviceUpdatedEvent"> & {
    /**
     * The device after the change.
     *
     * @generated from field: deviceregistry.v1.Device device = 1;
     */
    device?: Device | undefined;
    /**
     * The device before the change.
     *
     * @generated from field: deviceregistry.v1.Device previous = 2;
     */
    previous?: Device | undefined;
    /**
     * The fields that were updated.
     *
     * @generated from field: google.protobuf.FieldMask update_mask = 3;
     */
    updateMask?: FieldMask | undefined;
    /**
     * Subject (JWT sub) that made the change.
     *
     * @generated from field: string actor = 4;
     */
    actor: string;
};
/**
 * Describes the message deviceregistry.v1.DeviceUpdatedEvent.
 * Use `create(DeviceUpdatedEventSchema)` to create a new message.
 */
export declare const DeviceUpdatedEventSchema: GenMessage<DeviceUpdatedEvent>;
/**
 * Event "device.deleted": a device and its credentials are gone.
 *
 * @generated from message deviceregistry.v1.DeviceDeletedEvent
 */
export type DeviceDeletedEvent = Message<"deviceregistry.v1.DeviceDeletedEvent"> & {
    /**
     * The device as it was when deleted.
     *
     * @generated from field: deviceregistry.v1.Device device = 1;
     */
    device?: Device | undefined;
    /**
     * Subject (JWT sub) that deleted it.
     *
     * @generated from field: string actor = 2;
     */
    actor: string;
    /**
     * Set when the device went with its deleted gateway: that gateway's device_id.
     *
     * @generated from field: string deleted_with_gateway_id = 3;
     */
    deletedWithGatewayId: string;
};
/**
 * Describes the message deviceregistry.v1.DeviceDeletedEvent.
 * Use `create(DeviceDeletedEventSchema)` to create a new message.
 */
export declare const DeviceDeletedEventSchema: GenMessage<DeviceDeletedEvent>;
/**
 * Event "device.credential_rotated": a new credential replaced the old one, which no longer works.
 *
 * @generated from message deviceregistry.v1.DeviceCredentialRotatedEvent
 */
export type DeviceCredentialRotatedEvent = Message<"deviceregistry.v1.DeviceCredentialRotatedEvent"> & {
    /**
     * The device, without any credential.
     *
     * @generated from field: deviceregistry.v1.Device device = 1;
     */
    device?: Device | undefined;
    /**
     * Subject (JWT sub) that rotated it.
     *
     * @generated from field: string actor = 2;
     */
    actor: string;
    /**
     * The kind of the new credential.
     *
     * @generated from field: deviceregistry.v1.CredentialType credential_type = 3;
     */
    credentialType: CredentialType;
};
/**
 * Describes the message deviceregistry.v1.DeviceCredentialRotatedEvent.
 * Use `create(DeviceCredentialRotatedEventSchema)` to create a new message.
 */
export declare const DeviceCredentialRotatedEventSchema: GenMessage<DeviceCredentialRotatedEvent>;
/**
 * How a device came to be registered.
 *
 * @generated from enum deviceregistry.v1.RegistrationMethod
 */
export declare enum RegistrationMethod {
    /**
     * Not set.
     *
     * @generated from enum value: REGISTRATION_METHOD_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * An admin called RegisterDevice.
     *
     * @generated from enum value: REGISTRATION_METHOD_MANUAL = 1;
     */
    MANUAL = 1,
    /**
     * The device claimed itself with a claim key.
     *
     * @generated from enum value: REGISTRATION_METHOD_CLAIM = 2;
     */
    CLAIM = 2,
    /**
     * A gateway registered it as a child.
     *
     * @generated from enum value: REGISTRATION_METHOD_GATEWAY = 3;
     */
    GATEWAY = 3,
    /**
     * The device registered itself with a certificate signed by a manufacturer CA of the tenant.
     *
     * @generated from enum value: REGISTRATION_METHOD_CERTIFICATE = 4;
     */
    CERTIFICATE = 4
}
/**
 * Describes the enum deviceregistry.v1.RegistrationMethod.
 */
export declare const RegistrationMethodSchema: GenEnum<RegistrationMethod>;
