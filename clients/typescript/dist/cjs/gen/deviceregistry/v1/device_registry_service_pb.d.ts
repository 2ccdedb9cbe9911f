import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { AnchorMode, Device, DeviceSchema } from "./device_pb.js";
import type { DeviceClaim, DeviceClaim_State } from "./device_claim_pb.js";
import type { DeviceProfile, DeviceProfileSchema } from "./device_profile_pb.js";
import type { EmptySchema, FieldMask, Timestamp } from "@bufbuild/protobuf/wkt";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/device_registry_service.proto.
 */
export declare const file_deviceregistry_v1_device_registry_service: GenFile;
/**
 * Request of RegisterDevice: the fields an admin sets on a new device.
 *
 * @generated from message deviceregistry.v1.RegisterDeviceRequest
 */
export type RegisterDeviceRequest = Message<"deviceregistry.v1.RegisterDeviceRequest"> & {
    /**
     * Required. Human-readable name, 1-200 characters.
     *
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * Required. Stable hardware identifier, unique within the tenant.
     *
     * @generated from field: string hardware_id = 2;
     */
    hardwareId: string;
    /**
     * Group names the device joins.
     *
     * @generated from field: repeated string groups = 3;
     */
    groups: string[];
    /**
     * Key/value tags.
     *
     * @generated from field: map<string, string> tags = 4;
     */
    tags: {
        [key: string]: string;
    };
    /**
     * Anchoring mode; the profile's, else ANCHOR_MODE_MERKLE_BATCH, when unset.
     *
     * @generated from field: deviceregistry.v1.AnchorMode anchor_mode = 5;
     */
    anchorMode: AnchorMode;
    /**
     * Device profile to inherit defaults from.
     *
     * @generated from field: string profile_id = 6;
     */
    profileId: string;
    /**
     * device_id of the parent gateway, for a child device.
     *
     * @generated from field: string gateway_id = 7;
     */
    gatewayId: string;
    /**
     * Initial firmware version.
     *
     * @generated from field: string firmware = 8;
     */
    firmware: string;
    /**
     * Free-form key/value metadata.
     *
     * @generated from field: map<string, string> meta = 9;
     */
    meta: {
        [key: string]: string;
    };
    /**
     * Desired-state configuration delivered to the device.
     *
     * @generated from field: google.protobuf.Struct config = 10;
     */
    config?: JsonObject | undefined;
    /**
     * Sub-model of the device.
     *
     * @generated from field: string sub_model = 11;
     */
    subModel: string;
    /**
     * Marks the device as a gateway that child devices may name in gateway_id.
     *
     * @generated from field: bool is_gateway = 12;
     */
    isGateway: boolean;
    /**
     * A PKCS#10 certificate signing request (PEM) when the profile's credential type is
     * CREDENTIAL_TYPE_CLIENT_CERTIFICATE; without it the service generates the key pair.
     *
     * @generated from field: string csr = 13;
     */
    csr: string;
};
/**
 * Describes the message deviceregistry.v1.RegisterDeviceRequest.
 * Use `create(RegisterDeviceRequestSchema)` to create a new message.
 */
export declare const RegisterDeviceRequestSchema: GenMessage<RegisterDeviceRequest>;
/**
 * Request of CreateDeviceProfile.
 *
 * @generated from message deviceregistry.v1.CreateDeviceProfileRequest
 */
export type CreateDeviceProfileRequest = Message<"deviceregistry.v1.CreateDeviceProfileRequest"> & {
    /**
     * Required. The profile; profile_id is chosen by the caller.
     *
     * @generated from field: deviceregistry.v1.DeviceProfile profile = 1;
     */
    profile?: DeviceProfile | undefined;
};
/**
 * Describes the message deviceregistry.v1.CreateDeviceProfileRequest.
 * Use `create(CreateDeviceProfileRequestSchema)` to create a new message.
 */
export declare const CreateDeviceProfileRequestSchema: GenMessage<CreateDeviceProfileRequest>;
/**
 * Request of GetDeviceProfile.
 *
 * @generated from message deviceregistry.v1.GetDeviceProfileRequest
 */
export type GetDeviceProfileRequest = Message<"deviceregistry.v1.GetDeviceProfileRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string profile_id = 1;
     */
    profileId: string;
};
/**
 * Describes the message deviceregistry.v1.GetDeviceProfileRequest.
 * Use `create(GetDeviceProfileRequestSchema)` to create a new message.
 */
export declare const GetDeviceProfileRequestSchema: GenMessage<GetDeviceProfileRequest>;
/**
 * Request of ListDeviceProfiles.
 *
 * @generated from message deviceregistry.v1.ListDeviceProfilesRequest
 */
export type ListDeviceProfilesRequest = Message<"deviceregistry.v1.ListDeviceProfilesRequest"> & {
    /**
     * At most this many profiles (default 50, at most 1000).
     *
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * next_page_token of the previous page.
     *
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
};
/**
 * Describes the message deviceregistry.v1.ListDeviceProfilesRequest.
 * Use `create(ListDeviceProfilesRequestSchema)` to create a new message.
 */
export declare const ListDeviceProfilesRequestSchema: GenMessage<ListDeviceProfilesRequest>;
/**
 * Response of ListDeviceProfiles.
 *
 * @generated from message deviceregistry.v1.ListDeviceProfilesResponse
 */
export type ListDeviceProfilesResponse = Message<"deviceregistry.v1.ListDeviceProfilesResponse"> & {
    /**
     * The page of profiles.
     *
     * @generated from field: repeated deviceregistry.v1.DeviceProfile profiles = 1;
     */
    profiles: DeviceProfile[];
    /**
     * Token of the next page; empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message deviceregistry.v1.ListDeviceProfilesResponse.
 * Use `create(ListDeviceProfilesResponseSchema)` to create a new message.
 */
export declare const ListDeviceProfilesResponseSchema: GenMessage<ListDeviceProfilesResponse>;
/**
 * Request of UpdateDeviceProfile.
 *
 * @generated from message deviceregistry.v1.UpdateDeviceProfileRequest
 */
export type UpdateDeviceProfileRequest = Message<"deviceregistry.v1.UpdateDeviceProfileRequest"> & {
    /**
     * Required. The profile with profile_id set and the new values of the fields in update_mask.
     *
     * @generated from field: deviceregistry.v1.DeviceProfile profile = 1;
     */
    profile?: DeviceProfile | undefined;
    /**
     * Required. Fields to change: display_name, groups, tags, anchor_mode, firmware, meta, config,
     * credential_type.
     *
     * @generated from field: google.protobuf.FieldMask update_mask = 2;
     */
    updateMask?: FieldMask | undefined;
    /**
     * When set, the update applies only if the profile's etag still equals it.
     *
     * @generated from field: string etag = 3;
     */
    etag: string;
};
/**
 * Describes the message deviceregistry.v1.UpdateDeviceProfileRequest.
 * Use `create(UpdateDeviceProfileRequestSchema)` to create a new message.
 */
export declare const UpdateDeviceProfileRequestSchema: GenMessage<UpdateDeviceProfileRequest>;
/**
 * Request of DeleteDeviceProfile.
 *
 * @generated from message deviceregistry.v1.DeleteDeviceProfileRequest
 */
export type DeleteDeviceProfileRequest = Message<"deviceregistry.v1.DeleteDeviceProfileRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string profile_id = 1;
     */
    profileId: string;
};
/**
 * Describes the message deviceregistry.v1.DeleteDeviceProfileRequest.
 * Use `create(DeleteDeviceProfileRequestSchema)` to create a new message.
 */
export declare const DeleteDeviceProfileRequestSchema: GenMessage<DeleteDeviceProfileRequest>;
/**
 * Request of GetDevice.
 *
 * @generated from message deviceregistry.v1.GetDeviceRequest
 */
export type GetDeviceRequest = Message<"deviceregistry.v1.GetDeviceRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
};
/**
 * Describes the message deviceregistry.v1.GetDeviceRequest.
 * Use `create(GetDeviceRequestSchema)` to create a new message.
 */
export declare const GetDeviceRequestSchema: GenMessage<GetDeviceRequest>;
/**
 * Request of ListDevices. Filters combine with AND; empty filters match everything.
 *
 * @generated from message deviceregistry.v1.ListDevicesRequest
 */
export type ListDevicesRequest = Message<"deviceregistry.v1.ListDevicesRequest"> & {
    /**
     * At most this many devices (default 50, at most 1000).
     *
     * @generated from field: int32 page_size = 1;
     */
    pageSize: number;
    /**
     * next_page_token of the previous page, sent with the same filters.
     *
     * @generated from field: string page_token = 2;
     */
    pageToken: string;
    /**
     * Only devices in this group.
     *
     * @generated from field: string group = 3;
     */
    group: string;
    /**
     * Only devices with this tag, written "key=value".
     *
     * @generated from field: string tag = 4;
     */
    tag: string;
    /**
     * Only devices with this status ("registered" or "disabled").
     *
     * @generated from field: string status = 5;
     */
    status: string;
    /**
     * Only children of this gateway.
     *
     * @generated from field: string gateway_id = 6;
     */
    gatewayId: string;
    /**
     * Only devices of this profile.
     *
     * @generated from field: string profile_id = 7;
     */
    profileId: string;
    /**
     * Only the device with this hardware_id.
     *
     * @generated from field: string hardware_id = 8;
     */
    hardwareId: string;
};
/**
 * Describes the message deviceregistry.v1.ListDevicesRequest.
 * Use `create(ListDevicesRequestSchema)` to create a new message.
 */
export declare const ListDevicesRequestSchema: GenMessage<ListDevicesRequest>;
/**
 * Response of ListDevices.
 *
 * @generated from message deviceregistry.v1.ListDevicesResponse
 */
export type ListDevicesResponse = Message<"deviceregistry.v1.ListDevicesResponse"> & {
    /**
     * The page of devices, oldest first.
     *
     * @generated from field: repeated deviceregistry.v1.Device devices = 1;
     */
    devices: Device[];
    /**
     * Token of the next page; empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message deviceregistry.v1.ListDevicesResponse.
 * Use `create(ListDevicesResponseSchema)` to create a new message.
 */
export declare const ListDevicesResponseSchema: GenMessage<ListDevicesResponse>;
/**
 * Request of UpdateDevice.
 *
 * @generated from message deviceregistry.v1.UpdateDeviceRequest
 */
export type UpdateDeviceRequest = Message<"deviceregistry.v1.UpdateDeviceRequest"> & {
    /**
     * Required. The device with device_id set and the new values of the fields in update_mask.
     *
     * @generated from field: deviceregistry.v1.Device device = 1;
     */
    device?: Device | undefined;
    /**
     * Required. Fields to change: name, groups, tags, anchor_mode, profile_id, gateway_id, firmware,
     * meta, config, sub_model, status.
     *
     * @generated from field: google.protobuf.FieldMask update_mask = 2;
     */
    updateMask?: FieldMask | undefined;
    /**
     * When set, the update applies only if the device's etag still equals it (else ABORTED).
     *
     * @generated from field: string etag = 3;
     */
    etag: string;
};
/**
 * Describes the message deviceregistry.v1.UpdateDeviceRequest.
 * Use `create(UpdateDeviceRequestSchema)` to create a new message.
 */
export declare const UpdateDeviceRequestSchema: GenMessage<UpdateDeviceRequest>;
/**
 * Request of DeleteDevice.
 *
 * @generated from message deviceregistry.v1.DeleteDeviceRequest
 */
export type DeleteDeviceRequest = Message<"deviceregistry.v1.DeleteDeviceRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * Also revokes the claim keys of the deleted devices' hardware_ids, in the same transaction.
     * Without it an imported device's claim key stays usable (unless expired) and claims a new
     * device: what a device reset to factory state needs, and what a stolen device must not get.
     *
     * @generated from field: bool revoke_claim_key = 2;
     */
    revokeClaimKey: boolean;
};
/**
 * Describes the message deviceregistry.v1.DeleteDeviceRequest.
 * Use `create(DeleteDeviceRequestSchema)` to create a new message.
 */
export declare const DeleteDeviceRequestSchema: GenMessage<DeleteDeviceRequest>;
/**
 * Request of RotateDeviceCredential.
 *
 * @generated from message deviceregistry.v1.RotateDeviceCredentialRequest
 */
export type RotateDeviceCredentialRequest = Message<"deviceregistry.v1.RotateDeviceCredentialRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * A PKCS#10 certificate signing request (PEM) for a device whose credential type is
     * CREDENTIAL_TYPE_CLIENT_CERTIFICATE; without it the service generates the key pair.
     *
     * @generated from field: string csr = 2;
     */
    csr: string;
};
/**
 * Describes the message deviceregistry.v1.RotateDeviceCredentialRequest.
 * Use `create(RotateDeviceCredentialRequestSchema)` to create a new message.
 */
export declare const RotateDeviceCredentialRequestSchema: GenMessage<RotateDeviceCredentialRequest>;
/**
 * Response of RotateDeviceCredential: the new credential, returned only here.
 *
 * @generated from message deviceregistry.v1.RotateDeviceCredentialResponse
 */
export type RotateDeviceCredentialResponse = Message<"deviceregistry.v1.RotateDeviceCredentialResponse"> & {
    /**
     * The device whose credential was rotated.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * The new api_key (credential type CREDENTIAL_TYPE_API_KEY); the previous credential no
     * longer works.
     *
     * @generated from field: string api_key = 2;
     */
    apiKey: string;
    /**
     * The new X.509 client certificate (PEM), for credential type
     * CREDENTIAL_TYPE_CLIENT_CERTIFICATE; the previous credential no longer works.
     *
     * @generated from field: string certificate = 3;
     */
    certificate: string;
    /**
     * The new certificate's private key (PKCS#8 PEM) when the request carried no csr.
     *
     * @generated from field: string private_key = 4;
     */
    privateKey: string;
};
/**
 * Describes the message deviceregistry.v1.RotateDeviceCredentialResponse.
 * Use `create(RotateDeviceCredentialResponseSchema)` to create a new message.
 */
export declare const RotateDeviceCredentialResponseSchema: GenMessage<RotateDeviceCredentialResponse>;
/**
 * Request of ImportDevices.
 *
 * @generated from message deviceregistry.v1.ImportDevicesRequest
 */
export type ImportDevicesRequest = Message<"deviceregistry.v1.ImportDevicesRequest"> & {
    /**
     * Up to 10,000 entries.
     *
     * @generated from field: repeated deviceregistry.v1.ImportDeviceEntry devices = 1;
     */
    devices: ImportDeviceEntry[];
};
/**
 * Describes the message deviceregistry.v1.ImportDevicesRequest.
 * Use `create(ImportDevicesRequestSchema)` to create a new message.
 */
export declare const ImportDevicesRequestSchema: GenMessage<ImportDevicesRequest>;
/**
 * One device to import: what the device will be created with when it claims itself.
 *
 * @generated from message deviceregistry.v1.ImportDeviceEntry
 */
export type ImportDeviceEntry = Message<"deviceregistry.v1.ImportDeviceEntry"> & {
    /**
     * Required. The hardware_id the claim key is bound to.
     *
     * @generated from field: string hardware_id = 1;
     */
    hardwareId: string;
    /**
     * Name of the device; the hardware_id when empty.
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * Group names.
     *
     * @generated from field: repeated string groups = 3;
     */
    groups: string[];
    /**
     * Key/value tags.
     *
     * @generated from field: map<string, string> tags = 4;
     */
    tags: {
        [key: string]: string;
    };
    /**
     * Device profile to inherit defaults from.
     *
     * @generated from field: string profile_id = 5;
     */
    profileId: string;
    /**
     * Sub-model of the device.
     *
     * @generated from field: string sub_model = 6;
     */
    subModel: string;
    /**
     * Free-form key/value metadata.
     *
     * @generated from field: map<string, string> meta = 7;
     */
    meta: {
        [key: string]: string;
    };
    /**
     * Desired-state configuration.
     *
     * @generated from field: google.protobuf.Struct config = 8;
     */
    config?: JsonObject | undefined;
    /**
     * The device is a gateway: once claimed, it may register the child devices behind it.
     *
     * @generated from field: bool is_gateway = 9;
     */
    isGateway: boolean;
};
/**
 * Describes the message deviceregistry.v1.ImportDeviceEntry.
 * Use `create(ImportDeviceEntrySchema)` to create a new message.
 */
export declare const ImportDeviceEntrySchema: GenMessage<ImportDeviceEntry>;
/**
 * Response of ImportDevices: one result per entry, in request order.
 *
 * @generated from message deviceregistry.v1.ImportDevicesResponse
 */
export type ImportDevicesResponse = Message<"deviceregistry.v1.ImportDevicesResponse"> & {
    /**
     * The results.
     *
     * @generated from field: repeated deviceregistry.v1.ImportDeviceResult results = 1;
     */
    results: ImportDeviceResult[];
};
/**
 * Describes the message deviceregistry.v1.ImportDevicesResponse.
 * Use `create(ImportDevicesResponseSchema)` to create a new message.
 */
export declare const ImportDevicesResponseSchema: GenMessage<ImportDevicesResponse>;
/**
 * The outcome of one ImportDevices entry: a claim key, or an error.
 *
 * @generated from message deviceregistry.v1.ImportDeviceResult
 */
export type ImportDeviceResult = Message<"deviceregistry.v1.ImportDeviceResult"> & {
    /**
     * The entry's hardware_id.
     *
     * @generated from field: string hardware_id = 1;
     */
    hardwareId: string;
    /**
     * The claim key, returned only here; empty when the entry failed.
     *
     * @generated from field: string claim_key = 2;
     */
    claimKey: string;
    /**
     * When the claim key stops working.
     *
     * @generated from field: google.protobuf.Timestamp expires_at = 3;
     */
    expiresAt?: Timestamp | undefined;
    /**
     * Why the entry failed; unset on success.
     *
     * @generated from field: deviceregistry.v1.ImportError error = 4;
     */
    error?: ImportError | undefined;
};
/**
 * Describes the message deviceregistry.v1.ImportDeviceResult.
 * Use `create(ImportDeviceResultSchema)` to create a new message.
 */
export declare const ImportDeviceResultSchema: GenMessage<ImportDeviceResult>;
/**
 * Request of ListDeviceClaims.
 *
 * @generated from message deviceregistry.v1.ListDeviceClaimsRequest
 */
export type ListDeviceClaimsRequest = Message<"deviceregistry.v1.ListDeviceClaimsRequest"> & {
    /**
     * Only claims in this state; unset lists every state.
     *
     * @generated from field: deviceregistry.v1.DeviceClaim.State state = 1;
     */
    state: DeviceClaim_State;
    /**
     * At most this many claims (default 50, at most 1000).
     *
     * @generated from field: int32 page_size = 2;
     */
    pageSize: number;
    /**
     * The next_page_token of the previous page, with the same state filter.
     *
     * @generated from field: string page_token = 3;
     */
    pageToken: string;
};
/**
 * Describes the message deviceregistry.v1.ListDeviceClaimsRequest.
 * Use `create(ListDeviceClaimsRequestSchema)` to create a new message.
 */
export declare const ListDeviceClaimsRequestSchema: GenMessage<ListDeviceClaimsRequest>;
/**
 * Response of ListDeviceClaims.
 *
 * @generated from message deviceregistry.v1.ListDeviceClaimsResponse
 */
export type ListDeviceClaimsResponse = Message<"deviceregistry.v1.ListDeviceClaimsResponse"> & {
    /**
     * The claims, ordered by hardware_id.
     *
     * @generated from field: repeated deviceregistry.v1.DeviceClaim claims = 1;
     */
    claims: DeviceClaim[];
    /**
     * The token of the next page; empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message deviceregistry.v1.ListDeviceClaimsResponse.
 * Use `create(ListDeviceClaimsResponseSchema)` to create a new message.
 */
export declare const ListDeviceClaimsResponseSchema: GenMessage<ListDeviceClaimsResponse>;
/**
 * Request of RevokeClaimKeys.
 *
 * @generated from message deviceregistry.v1.RevokeClaimKeysRequest
 */
export type RevokeClaimKeysRequest = Message<"deviceregistry.v1.RevokeClaimKeysRequest"> & {
    /**
     * The hardware_ids whose claim keys to revoke, up to 10,000.
     *
     * @generated from field: repeated string hardware_ids = 1;
     */
    hardwareIds: string[];
};
/**
 * Describes the message deviceregistry.v1.RevokeClaimKeysRequest.
 * Use `create(RevokeClaimKeysRequestSchema)` to create a new message.
 */
export declare const RevokeClaimKeysRequestSchema: GenMessage<RevokeClaimKeysRequest>;
/**
 * Response of RevokeClaimKeys: one result per hardware_id, in request order.
 *
 * @generated from message deviceregistry.v1.RevokeClaimKeysResponse
 */
export type RevokeClaimKeysResponse = Message<"deviceregistry.v1.RevokeClaimKeysResponse"> & {
    /**
     * The results.
     *
     * @generated from field: repeated deviceregistry.v1.RevokeClaimKeyResult results = 1;
     */
    results: RevokeClaimKeyResult[];
};
/**
 * Describes the message deviceregistry.v1.RevokeClaimKeysResponse.
 * Use `create(RevokeClaimKeysResponseSchema)` to create a new message.
 */
export declare const RevokeClaimKeysResponseSchema: GenMessage<RevokeClaimKeysResponse>;
/**
 * The outcome of revoking one hardware_id's claim key.
 *
 * @generated from message deviceregistry.v1.RevokeClaimKeyResult
 */
export type RevokeClaimKeyResult = Message<"deviceregistry.v1.RevokeClaimKeyResult"> & {
    /**
     * The hardware_id.
     *
     * @generated from field: string hardware_id = 1;
     */
    hardwareId: string;
    /**
     * Why it failed (NOT_FOUND: no claim key for it in this tenant); unset when the key was revoked.
     *
     * @generated from field: deviceregistry.v1.ImportError error = 2;
     */
    error?: ImportError | undefined;
};
/**
 * Describes the message deviceregistry.v1.RevokeClaimKeyResult.
 * Use `create(RevokeClaimKeyResultSchema)` to create a new message.
 */
export declare const RevokeClaimKeyResultSchema: GenMessage<RevokeClaimKeyResult>;
/**
 * Why one entry of a batch failed.
 *
 * @generated from message deviceregistry.v1.ImportError
 */
export type ImportError = Message<"deviceregistry.v1.ImportError"> & {
    /**
     * The error code name, e.g. "ALREADY_EXISTS" or "INVALID_ARGUMENT".
     *
     * @generated from field: string code = 1;
     */
    code: string;
    /**
     * What is wrong, naming the field.
     *
     * @generated from field: string message = 2;
     */
    message: string;
};
/**
 * Describes the message deviceregistry.v1.ImportError.
 * Use `create(ImportErrorSchema)` to create a new message.
 */
export declare const ImportErrorSchema: GenMessage<ImportError>;
/**
 * Devices and device profiles of the caller's tenant, for dashboards and internal services.
 * Every call carries an Ed25519 JWT; the tenant is always the token's.
 *
 * @generated from service deviceregistry.v1.DeviceRegistryService
 */
export declare const DeviceRegistryService: GenService<{
    /**
     * Registers one device by hand and returns it with its credential (returned only here).
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.RegisterDevice
     */
    registerDevice: {
        methodKind: "unary";
        input: typeof RegisterDeviceRequestSchema;
        output: typeof DeviceSchema;
    };
    /**
     * Returns one device of the caller's tenant.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.GetDevice
     */
    getDevice: {
        methodKind: "unary";
        input: typeof GetDeviceRequestSchema;
        output: typeof DeviceSchema;
    };
    /**
     * Lists devices oldest first, optionally filtered; keyset-paginated.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.ListDevices
     */
    listDevices: {
        methodKind: "unary";
        input: typeof ListDevicesRequestSchema;
        output: typeof ListDevicesResponseSchema;
    };
    /**
     * Updates the fields of a device named in update_mask; hardware_id is immutable.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.UpdateDevice
     */
    updateDevice: {
        methodKind: "unary";
        input: typeof UpdateDeviceRequestSchema;
        output: typeof DeviceSchema;
    };
    /**
     * Deletes a device, its credentials and, for a gateway, its child devices. An imported device's
     * claim key keeps working unless revoke_claim_key is set (or RevokeClaimKeys is called).
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.DeleteDevice
     */
    deleteDevice: {
        methodKind: "unary";
        input: typeof DeleteDeviceRequestSchema;
        output: typeof EmptySchema;
    };
    /**
     * Issues a new api_key (returned only here) and revokes the old one at once. A child its gateway
     * registered holds no credential while under a gateway: FAILED_PRECONDITION.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.RotateDeviceCredential
     */
    rotateDeviceCredential: {
        methodKind: "unary";
        input: typeof RotateDeviceCredentialRequestSchema;
        output: typeof RotateDeviceCredentialResponseSchema;
    };
    /**
     * Imports a batch of devices that will claim themselves: one claim key per entry, returned only
     * here, or a per-entry error. One bad entry never sinks the others.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.ImportDevices
     */
    importDevices: {
        methodKind: "unary";
        input: typeof ImportDevicesRequestSchema;
        output: typeof ImportDevicesResponseSchema;
    };
    /**
     * Lists the imported devices of the tenant by hardware_id with the state of their claim keys:
     * which devices of a batch have claimed themselves, which are pending, whose keys expired.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.ListDeviceClaims
     */
    listDeviceClaims: {
        methodKind: "unary";
        input: typeof ListDeviceClaimsRequestSchema;
        output: typeof ListDeviceClaimsResponseSchema;
    };
    /**
     * Revokes the claim keys of imported devices, by hardware_id (a lost or leaked batch of keys):
     * a revoked key answers like a wrong one, and the hardware_id may be imported again. A device
     * its claim already created keeps its credential, but can no longer re-claim with that key.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.RevokeClaimKeys
     */
    revokeClaimKeys: {
        methodKind: "unary";
        input: typeof RevokeClaimKeysRequestSchema;
        output: typeof RevokeClaimKeysResponseSchema;
    };
    /**
     * Creates a device profile.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.CreateDeviceProfile
     */
    createDeviceProfile: {
        methodKind: "unary";
        input: typeof CreateDeviceProfileRequestSchema;
        output: typeof DeviceProfileSchema;
    };
    /**
     * Returns one device profile.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.GetDeviceProfile
     */
    getDeviceProfile: {
        methodKind: "unary";
        input: typeof GetDeviceProfileRequestSchema;
        output: typeof DeviceProfileSchema;
    };
    /**
     * Lists device profiles ordered by profile_id.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.ListDeviceProfiles
     */
    listDeviceProfiles: {
        methodKind: "unary";
        input: typeof ListDeviceProfilesRequestSchema;
        output: typeof ListDeviceProfilesResponseSchema;
    };
    /**
     * Updates the fields of a profile named in update_mask.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.UpdateDeviceProfile
     */
    updateDeviceProfile: {
        methodKind: "unary";
        input: typeof UpdateDeviceProfileRequestSchema;
        output: typeof DeviceProfileSchema;
    };
    /**
     * Deletes a profile that no device uses.
     *
     * @generated from rpc deviceregistry.v1.DeviceRegistryService.DeleteDeviceProfile
     */
    deleteDeviceProfile: {
        methodKind: "unary";
        input: typeof DeleteDeviceProfileRequestSchema;
        output: typeof EmptySchema;
    };
}>;
