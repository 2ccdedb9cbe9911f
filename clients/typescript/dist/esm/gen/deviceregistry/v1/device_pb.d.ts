import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/device.proto.
 */
export declare const file_deviceregistry_v1_device: GenFile;
/**
 * A device known to the registry, scoped to one tenant.
 *
 * @generated from message deviceregistry.v1.Device
 */
export type Device = Message<"deviceregistry.v1.Device"> & {
    /**
     * Output only. Generated UUID.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * Output only. The tenant of the caller that registered the device.
     *
     * @generated from field: string tenant_id = 2;
     */
    tenantId: string;
    /**
     * Human-readable name, 1-200 characters.
     *
     * @generated from field: string name = 3;
     */
    name: string;
    /**
     * Stable hardware identifier, unique within the tenant. Immutable.
     *
     * @generated from field: string hardware_id = 4;
     */
    hardwareId: string;
    /**
     * Output only on registration: "registered" or "disabled".
     *
     * @generated from field: string status = 5;
     */
    status: string;
    /**
     * Group names the device belongs to.
     *
     * @generated from field: repeated string groups = 6;
     */
    groups: string[];
    /**
     * Key/value tags for filtering and organisation.
     *
     * @generated from field: map<string, string> tags = 7;
     */
    tags: {
        [key: string]: string;
    };
    /**
     * Ledger anchoring mode.
     *
     * @generated from field: deviceregistry.v1.AnchorMode anchor_mode = 8;
     */
    anchorMode: AnchorMode;
    /**
     * Device profile the device inherited its defaults from.
     *
     * @generated from field: string profile_id = 9;
     */
    profileId: string;
    /**
     * device_id of the parent gateway, for a child device.
     *
     * @generated from field: string gateway_id = 10;
     */
    gatewayId: string;
    /**
     * Firmware version string.
     *
     * @generated from field: string firmware = 11;
     */
    firmware: string;
    /**
     * Free-form key/value metadata.
     *
     * @generated from field: map<string, string> meta = 12;
     */
    meta: {
        [key: string]: string;
    };
    /**
     * Desired-state configuration delivered to the device.
     *
     * @generated from field: google.protobuf.Struct config = 13;
     */
    config?: JsonObject | undefined;
    /**
     * Sub-model, to tell apart very similar models of one product.
     *
     * @generated from field: string sub_model = 14;
     */
    subModel: string;
    /**
     * True when the device is a gateway that other devices may name in gateway_id.
     *
     * @generated from field: bool is_gateway = 15;
     */
    isGateway: boolean;
    /**
     * Output only. The issued api_key, for a device whose credential type is
     * CREDENTIAL_TYPE_API_KEY: set only in the response that issues it, never stored in clear and
     * never returned again.
     *
     * @generated from field: string api_key = 16;
     */
    apiKey: string;
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp created_at = 17;
     */
    createdAt?: Timestamp | undefined;
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp updated_at = 18;
     */
    updatedAt?: Timestamp | undefined;
    /**
     * Set by the service and changed by every update; send it back to update conditionally.
     *
     * @generated from field: string etag = 19;
     */
    etag: string;
    /**
     * Output only. The hub the device was assigned.
     *
     * @generated from field: string hub_id = 20;
     */
    hubId: string;
    /**
     * Output only. URL of the hub the device talks to.
     *
     * @generated from field: string hub_url = 21;
     */
    hubUrl: string;
    /**
     * Output only. URL of the hub that accepts custom SSL certificates.
     *
     * @generated from field: string hub_url_static_cert = 22;
     */
    hubUrlStaticCert: string;
    /**
     * Output only. URL of the hub for devices that speak MQTT.
     *
     * @generated from field: string mqtt_hub_url = 23;
     */
    mqttHubUrl: string;
    /**
     * Output only. The issued X.509 client certificate (PEM), for a device whose credential type is
     * CREDENTIAL_TYPE_CLIENT_CERTIFICATE: set only in the response that issues it.
     *
     * @generated from field: string certificate = 24;
     */
    certificate: string;
    /**
     * Output only. The certificate's private key (PKCS#8 PEM) when the service generated the key
     * pair (no csr in the request): returned this once, never stored.
     *
     * @generated from field: string private_key = 25;
     */
    privateKey: string;
};
/**
 * Describes the message deviceregistry.v1.Device.
 * Use `create(DeviceSchema)` to create a new message.
 */
export declare const DeviceSchema: GenMessage<Device>;
/**
 * How a device's data is anchored on the ledger.
 *
 * @generated from enum deviceregistry.v1.AnchorMode
 */
export declare enum AnchorMode {
    /**
     * Not set: the profile's mode applies, else ANCHOR_MODE_MERKLE_BATCH.
     *
     * @generated from enum value: ANCHOR_MODE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * Events are batched into a Merkle tree and the root is anchored (default).
     *
     * @generated from enum value: ANCHOR_MODE_MERKLE_BATCH = 1;
     */
    MERKLE_BATCH = 1,
    /**
     * Every event is anchored on its own.
     *
     * @generated from enum value: ANCHOR_MODE_PER_EVENT = 2;
     */
    PER_EVENT = 2,
    /**
     * Events are chained by hash; the chain head is anchored.
     *
     * @generated from enum value: ANCHOR_MODE_HASH_CHAIN = 3;
     */
    HASH_CHAIN = 3
}
/**
 * Describes the enum deviceregistry.v1.AnchorMode.
 */
export declare const AnchorModeSchema: GenEnum<AnchorMode>;
/**
 * Which credential a device receives when it is registered or claims itself.
 *
 * @generated from enum deviceregistry.v1.CredentialType
 */
export declare enum CredentialType {
    /**
     * Not set: the profile's type applies, else CREDENTIAL_TYPE_API_KEY.
     *
     * @generated from enum value: CREDENTIAL_TYPE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * A bearer api_key ("sk_live_...").
     *
     * @generated from enum value: CREDENTIAL_TYPE_API_KEY = 1;
     */
    API_KEY = 1,
    /**
     * An X.509 client certificate signed by the issuing CA: subject CN=<device_id>,
     * O=<tenant_id>, URI SAN "urn:device-registry:tenant:<tenant_id>:device:<device_id>",
     * extended key usage clientAuth.
     *
     * @generated from enum value: CREDENTIAL_TYPE_CLIENT_CERTIFICATE = 2;
     */
    CLIENT_CERTIFICATE = 2
}
/**
 * Describes the enum deviceregistry.v1.CredentialType.
 */
export declare const CredentialTypeSchema: GenEnum<CredentialType>;
