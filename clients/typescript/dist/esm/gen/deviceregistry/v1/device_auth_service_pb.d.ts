import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/device_auth_service.proto.
 */
export declare const file_deviceregistry_v1_device_auth_service: GenFile;
/**
 * Request of AuthenticateDevice.
 *
 * @generated from message deviceregistry.v1.AuthenticateDeviceRequest
 */
export type AuthenticateDeviceRequest = Message<"deviceregistry.v1.AuthenticateDeviceRequest"> & {
    /**
     * Required. The device_id the device claims.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * The api_key the device presented.
     *
     * @generated from field: string api_key = 2;
     */
    apiKey: string;
    /**
     * The X.509 client certificate (PEM) the device presented in its TLS handshake, which the
     * hub verified.
     *
     * @generated from field: string certificate = 3;
     */
    certificate: string;
    /**
     * The SHA-256 fingerprint of that certificate's DER, in hex (colons allowed), instead of the
     * certificate itself.
     *
     * @generated from field: string certificate_fingerprint = 4;
     */
    certificateFingerprint: string;
};
/**
 * Describes the message deviceregistry.v1.AuthenticateDeviceRequest.
 * Use `create(AuthenticateDeviceRequestSchema)` to create a new message.
 */
export declare const AuthenticateDeviceRequestSchema: GenMessage<AuthenticateDeviceRequest>;
/**
 * Response of AuthenticateDevice: the device's identity.
 *
 * @generated from message deviceregistry.v1.AuthenticateDeviceResponse
 */
export type AuthenticateDeviceResponse = Message<"deviceregistry.v1.AuthenticateDeviceResponse"> & {
    /**
     * The device.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * Its tenant.
     *
     * @generated from field: string tenant_id = 2;
     */
    tenantId: string;
    /**
     * Its gateway, for a child device.
     *
     * @generated from field: string gateway_id = 3;
     */
    gatewayId: string;
    /**
     * Always "registered": disabled devices do not authenticate.
     *
     * @generated from field: string status = 4;
     */
    status: string;
    /**
     * The hub the device is assigned to.
     *
     * @generated from field: string hub_id = 5;
     */
    hubId: string;
    /**
     * URL of that hub.
     *
     * @generated from field: string hub_url = 6;
     */
    hubUrl: string;
};
/**
 * Describes the message deviceregistry.v1.AuthenticateDeviceResponse.
 * Use `create(AuthenticateDeviceResponseSchema)` to create a new message.
 */
export declare const AuthenticateDeviceResponseSchema: GenMessage<AuthenticateDeviceResponse>;
/**
 * Lets hubs check a device's credential. Callers are services (JWT role "service").
 *
 * @generated from service deviceregistry.v1.DeviceAuthService
 */
export declare const DeviceAuthService: GenService<{
    /**
     * Answers who the device is when its credential is good; UNAUTHENTICATED "Not authorized"
     * otherwise (unknown device, wrong, rotated or revoked key or certificate, expired certificate,
     * disabled or deleted device). The request carries exactly one of api_key, certificate and
     * certificate_fingerprint.
     *
     * @generated from rpc deviceregistry.v1.DeviceAuthService.AuthenticateDevice
     */
    authenticateDevice: {
        methodKind: "unary";
        input: typeof AuthenticateDeviceRequestSchema;
        output: typeof AuthenticateDeviceResponseSchema;
    };
}>;
