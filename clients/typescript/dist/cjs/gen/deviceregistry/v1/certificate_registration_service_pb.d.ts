import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/certificate_registration_service.proto.
 */
export declare const file_deviceregistry_v1_certificate_registration_service: GenFile;
/**
 * Request of RegisterDeviceByCertificate: what the device reports about itself at first boot.
 *
 * @generated from message deviceregistry.v1.RegisterDeviceByCertificateRequest
 */
export type RegisterDeviceByCertificateRequest = Message<"deviceregistry.v1.RegisterDeviceByCertificateRequest"> & {
    /**
     * Firmware version.
     *
     * @generated from field: string firmware = 1;
     */
    firmware: string;
    /**
     * Sub-model.
     *
     * @generated from field: string sub_model = 2;
     */
    subModel: string;
    /**
     * Metadata; wins over the profile's per key.
     *
     * @generated from field: map<string, string> meta = 3;
     */
    meta: {
        [key: string]: string;
    };
    /**
     * When the CA's profile calls for a certificate of ours (CREDENTIAL_TYPE_CLIENT_CERTIFICATE): a
     * PEM CSR for its key; without one the service generates the key pair. Refused otherwise.
     *
     * @generated from field: string csr = 4;
     */
    csr: string;
};
/**
 * Describes the message deviceregistry.v1.RegisterDeviceByCertificateRequest.
 * Use `create(RegisterDeviceByCertificateRequestSchema)` to create a new message.
 */
export declare const RegisterDeviceByCertificateRequestSchema: GenMessage<RegisterDeviceByCertificateRequest>;
/**
 * Response of RegisterDeviceByCertificate.
 *
 * @generated from message deviceregistry.v1.RegisterDeviceByCertificateResponse
 */
export type RegisterDeviceByCertificateResponse = Message<"deviceregistry.v1.RegisterDeviceByCertificateResponse"> & {
    /**
     * The device.
     *
     * @generated from field: string device_id = 1;
     */
    deviceId: string;
    /**
     * Its hardware_id, read from the certificate.
     *
     * @generated from field: string hardware_id = 2;
     */
    hardwareId: string;
    /**
     * Whether this call created the device (false: the same certificate registered it before).
     *
     * @generated from field: bool created = 3;
     */
    created: boolean;
    /**
     * URL of the hub the device talks to.
     *
     * @generated from field: string hub_url = 4;
     */
    hubUrl: string;
    /**
     * URL of the hub that accepts custom SSL certificates.
     *
     * @generated from field: string hub_url_static_cert = 5;
     */
    hubUrlStaticCert: string;
    /**
     * URL of the hub for devices that speak MQTT.
     *
     * @generated from field: string mqtt_hub_url = 6;
     */
    mqttHubUrl: string;
    /**
     * When the CA's profile calls for it, on creation only: a client certificate (PEM) signed by the
     * issuing CA, a second credential beside the factory certificate. Returned only here.
     *
     * @generated from field: string certificate = 7;
     */
    certificate: string;
    /**
     * That certificate's private key (PKCS#8 PEM) when the request carried no csr. Returned only here.
     *
     * @generated from field: string private_key = 8;
     */
    privateKey: string;
};
/**
 * Describes the message deviceregistry.v1.RegisterDeviceByCertificateResponse.
 * Use `create(RegisterDeviceByCertificateResponseSchema)` to create a new message.
 */
export declare const RegisterDeviceByCertificateResponseSchema: GenMessage<RegisterDeviceByCertificateResponse>;
/**
 * Just-in-time registration of devices that carry a certificate from a manufacturer CA: no claim
 * key, no JWT. The device proves it holds the certificate's key in the TLS handshake, with the
 * service itself (mutual TLS) or with a TLS-terminating proxy the service trusts (TRUSTED_PROXIES),
 * which forwards the certificate in X-Forwarded-Client-Cert.
 *
 * @generated from service deviceregistry.v1.CertificateRegistrationService
 */
export declare const CertificateRegistrationService: GenService<{
    /**
     * Creates the device the presented certificate names, in the tenant of the enabled CA that
     * signed it, with the CA's profile, groups and tags; the certificate is its credential. The same
     * certificate again answers the same device. ALREADY_EXISTS when the tenant has a device of that
     * hardware_id with another credential; UNAUTHENTICATED "Not authorized" when no certificate, or
     * no acceptable one, was presented.
     *
     * @generated from rpc deviceregistry.v1.CertificateRegistrationService.RegisterDeviceByCertificate
     */
    registerDeviceByCertificate: {
        methodKind: "unary";
        input: typeof RegisterDeviceByCertificateRequestSchema;
        output: typeof RegisterDeviceByCertificateResponseSchema;
    };
}>;
