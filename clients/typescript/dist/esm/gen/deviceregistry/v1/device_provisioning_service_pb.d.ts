import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { JsonObject, Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/device_provisioning_service.proto.
 */
export declare const file_deviceregistry_v1_device_provisioning_service: GenFile;
/**
 * Request of ClaimDevice: what a device knows at boot.
 *
 * @generated from message deviceregistry.v1.ClaimDeviceRequest
 */
export type ClaimDeviceRequest = Message<"deviceregistry.v1.ClaimDeviceRequest"> & {
    /**
     * Required. The claim key of the device's import entry.
     *
     * @generated from field: string claim_key = 1;
     */
    claimKey: string;
    /**
     * Required. The device's hardware_id; must be the one the claim key was issued for.
     *
     * @generated from field: string hardware_id = 2;
     */
    hardwareId: string;
    /**
     * The firmware version the device runs.
     *
     * @generated from field: string firmware = 3;
     */
    firmware: string;
    /**
     * The device's sub-model.
     *
     * @generated from field: string sub_model = 4;
     */
    subModel: string;
    /**
     * Metadata the device reports; wins per key over the import entry's.
     *
     * @generated from field: map<string, string> meta = 5;
     */
    meta: {
        [key: string]: string;
    };
    /**
     * A PKCS#10 certificate signing request (PEM), for a device whose credential type is
     * CREDENTIAL_TYPE_CLIENT_CERTIFICATE and which keeps its own private key. Only its public key is
     * used; the service sets the certificate's subject. Without it, the service generates the key.
     *
     * @generated from field: string csr = 6;
     */
    csr: string;
};
/**
 * Describes the message deviceregistry.v1.ClaimDeviceRequest.
 * Use `create(ClaimDeviceRequestSchema)` to create a new message.
 */
export declare const ClaimDeviceRequestSchema: GenMessage<ClaimDeviceRequest>;
/**
 * Response of ClaimDevice: everything the device needs to talk to its hub.
 *
 * @generated from message deviceregistry.v1.ClaimDeviceResponse
 */
export type ClaimDeviceResponse = Message<"deviceregistry.v1.ClaimDeviceResponse"> & {
    /**
     * The device's id.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * The device's api_key (credential type CREDENTIAL_TYPE_API_KEY), returned only here.
     *
     * @generated from field: string api_key = 2;
     */
    apiKey: string;
    /**
     * URL of the hub the device talks to.
     *
     * @generated from field: string hub_url = 3;
     */
    hubUrl: string;
    /**
     * URL of the hub that accepts custom SSL certificates.
     *
     * @generated from field: string hub_url_static_cert = 4;
     */
    hubUrlStaticCert: string;
    /**
     * URL of the hub for devices that speak MQTT.
     *
     * @generated from field: string mqtt_hub_url = 5;
     */
    mqttHubUrl: string;
    /**
     * The device's X.509 client certificate (PEM), for credential type
     * CREDENTIAL_TYPE_CLIENT_CERTIFICATE, returned only here.
     *
     * @generated from field: string certificate = 6;
     */
    certificate: string;
    /**
     * The certificate's private key (PKCS#8 PEM) when the request carried no csr: returned only
     * here and never stored.
     *
     * @generated from field: string private_key = 7;
     */
    privateKey: string;
};
/**
 * Describes the message deviceregistry.v1.ClaimDeviceResponse.
 * Use `create(ClaimDeviceResponseSchema)` to create a new message.
 */
export declare const ClaimDeviceResponseSchema: GenMessage<ClaimDeviceResponse>;
/**
 * Request of RegisterChildDevices.
 *
 * @generated from message deviceregistry.v1.RegisterChildDevicesRequest
 */
export type RegisterChildDevicesRequest = Message<"deviceregistry.v1.RegisterChildDevicesRequest"> & {
    /**
     * Required. The gateway's device_id; the call carries the gateway's api_key.
     *
     * @generated from field: string parent_device_id = 1;
     */
    parentDeviceId: string;
    /**
     * Up to 100 children.
     *
     * @generated from field: repeated deviceregistry.v1.ChildDevice children = 2;
     */
    children: ChildDevice[];
};
/**
 * Describes the message deviceregistry.v1.RegisterChildDevicesRequest.
 * Use `create(RegisterChildDevicesRequestSchema)` to create a new message.
 */
export declare const RegisterChildDevicesRequestSchema: GenMessage<RegisterChildDevicesRequest>;
/**
 * A device behind a gateway.
 *
 * @generated from message deviceregistry.v1.ChildDevice
 */
export type ChildDevice = Message<"deviceregistry.v1.ChildDevice"> & {
    /**
     * Required. Unique within the tenant.
     *
     * @generated from field: string hardware_id = 1;
     */
    hardwareId: string;
    /**
     * Name; the hardware_id when empty.
     *
     * @generated from field: string name = 2;
     */
    name: string;
    /**
     * Firmware version.
     *
     * @generated from field: string firmware = 3;
     */
    firmware: string;
    /**
     * Sub-model.
     *
     * @generated from field: string sub_model = 4;
     */
    subModel: string;
    /**
     * Metadata.
     *
     * @generated from field: map<string, string> meta = 5;
     */
    meta: {
        [key: string]: string;
    };
};
/**
 * Describes the message deviceregistry.v1.ChildDevice.
 * Use `create(ChildDeviceSchema)` to create a new message.
 */
export declare const ChildDeviceSchema: GenMessage<ChildDevice>;
/**
 * Response of RegisterChildDevices: one result per child, in request order.
 *
 * @generated from message deviceregistry.v1.RegisterChildDevicesResponse
 */
export type RegisterChildDevicesResponse = Message<"deviceregistry.v1.RegisterChildDevicesResponse"> & {
    /**
     * The results.
     *
     * @generated from field: repeated deviceregistry.v1.ChildDeviceResult results = 1;
     */
    results: ChildDeviceResult[];
};
/**
 * Describes the message deviceregistry.v1.RegisterChildDevicesResponse.
 * Use `create(RegisterChildDevicesResponseSchema)` to create a new message.
 */
export declare const RegisterChildDevicesResponseSchema: GenMessage<RegisterChildDevicesResponse>;
/**
 * The outcome for one child: its device_id, or an error.
 *
 * @generated from message deviceregistry.v1.ChildDeviceResult
 */
export type ChildDeviceResult = Message<"deviceregistry.v1.ChildDeviceResult"> & {
    /**
     * The child's hardware_id.
     *
     * @generated from field: string hardware_id = 1;
     */
    hardwareId: string;
    /**
     * The child's device_id; empty when it failed.
     *
     * @generated from field: string device_id = 2;
     */
    deviceId: string;
    /**
     * Why the child failed; unset on success.
     *
     * @generated from field: deviceregistry.v1.ChildDeviceError error = 3;
     */
    error?: ChildDeviceError | undefined;
};
/**
 * Describes the message deviceregistry.v1.ChildDeviceResult.
 * Use `create(ChildDeviceResultSchema)` to create a new message.
 */
export declare const ChildDeviceResultSchema: GenMessage<ChildDeviceResult>;
/**
 * Why one child failed.
 *
 * @generated from message deviceregistry.v1.ChildDeviceError
 */
export type ChildDeviceError = Message<"deviceregistry.v1.ChildDeviceError"> & {
    /**
     * The error code name, e.g. "ALREADY_EXISTS".
     *
     * @generated from field: string code = 1;
     */
    code: string;
    /**
     * What is wrong.
     *
     * @generated from field: string message = 2;
     */
    message: string;
};
/**
 * Describes the message deviceregistry.v1.ChildDeviceError.
 * Use `create(ChildDeviceErrorSchema)` to create a new message.
 */
export declare const ChildDeviceErrorSchema: GenMessage<ChildDeviceError>;
/**
 * Request of GetDeviceConfig.
 *
 * @generated from message deviceregistry.v1.GetDeviceConfigRequest
 */
export type GetDeviceConfigRequest = Message<"deviceregistry.v1.GetDeviceConfigRequest"> & {
    /**
     * Required. The calling device's own device_id.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
};
/**
 * Describes the message deviceregistry.v1.GetDeviceConfigRequest.
 * Use `create(GetDeviceConfigRequestSchema)` to create a new message.
 */
export declare const GetDeviceConfigRequestSchema: GenMessage<GetDeviceConfigRequest>;
/**
 * A device's desired configuration.
 *
 * @generated from message deviceregistry.v1.DeviceConfig
 */
export type DeviceConfig = Message<"deviceregistry.v1.DeviceConfig"> & {
    /**
     * The device.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * Desired-state configuration.
     *
     * @generated from field: google.protobuf.Struct config = 2;
     */
    config?: JsonObject | undefined;
    /**
     * Changes whenever the device record changes.
     *
     * @generated from field: string etag = 3;
     */
    etag: string;
};
/**
 * Describes the message deviceregistry.v1.DeviceConfig.
 * Use `create(DeviceConfigSchema)` to create a new message.
 */
export declare const DeviceConfigSchema: GenMessage<DeviceConfig>;
/**
 * Calls made by devices themselves. ClaimDevice is authenticated by the claim key in the request;
 * the others by the device's api_key in the Authorization header ("<key>" or "Bearer <key>").
 *
 * @generated from service deviceregistry.v1.DeviceProvisioningService
 */
export declare const DeviceProvisioningService: GenService<{
    /**
     * A device registers itself on first boot with the claim key of its import entry. Claiming again
     * with the same key and hardware_id is an idempotent re-claim: the same device_id and a fresh
     * credential (the previous one stops working).
     *
     * @generated from rpc deviceregistry.v1.DeviceProvisioningService.ClaimDevice
     */
    claimDevice: {
        methodKind: "unary";
        input: typeof ClaimDeviceRequestSchema;
        output: typeof ClaimDeviceResponseSchema;
    };
    /**
     * A gateway registers the devices behind it (up to 100 per call). A child already under this
     * gateway is returned as it is; children hold no credential of their own.
     *
     * @generated from rpc deviceregistry.v1.DeviceProvisioningService.RegisterChildDevices
     */
    registerChildDevices: {
        methodKind: "unary";
        input: typeof RegisterChildDevicesRequestSchema;
        output: typeof RegisterChildDevicesResponseSchema;
    };
    /**
     * A device reads its own desired configuration.
     *
     * @generated from rpc deviceregistry.v1.DeviceProvisioningService.GetDeviceConfig
     */
    getDeviceConfig: {
        methodKind: "unary";
        input: typeof GetDeviceConfigRequestSchema;
        output: typeof DeviceConfigSchema;
    };
}>;
