import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/manufacturer_ca.proto.
 */
export declare const file_deviceregistry_v1_manufacturer_ca: GenFile;
/**
 * A certificate authority a tenant trusts to vouch for its devices: a device presenting a
 * certificate this CA signed registers itself (see CertificateRegistrationService). A CA belongs to
 * one tenant. Scoped to one tenant.
 *
 * @generated from message deviceregistry.v1.ManufacturerCa
 */
export type ManufacturerCa = Message<"deviceregistry.v1.ManufacturerCa"> & {
    /**
     * Output only. Assigned by the service.
     *
     * @generated from field: string ca_id = 1;
     */
    caId: string;
    /**
     * Output only.
     *
     * @generated from field: string tenant_id = 2;
     */
    tenantId: string;
    /**
     * Required on registration, immutable. The CA certificate, PEM: basicConstraints CA:TRUE, the
     * keyCertSign key usage, valid now.
     *
     * @generated from field: string certificate_pem = 3;
     */
    certificatePem: string;
    /**
     * Output only. The CA's subject, e.g. "CN=Acme devices CA\nO=Acme".
     *
     * @generated from field: string subject = 4;
     */
    subject: string;
    /**
     * Output only. SHA-256 of the certificate's DER, lowercase hex.
     *
     * @generated from field: string fingerprint = 5;
     */
    fingerprint: string;
    /**
     * Output only. The CA certificate's validity.
     *
     * @generated from field: google.protobuf.Timestamp not_before = 6;
     */
    notBefore?: Timestamp | undefined;
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp not_after = 7;
     */
    notAfter?: Timestamp | undefined;
    /**
     * Whether devices of this CA may register and authenticate; unset on registration means true.
     *
     * @generated from field: optional bool enabled = 8;
     */
    enabled?: boolean | undefined;
    /**
     * Where device certificates of this CA carry the hardware_id.
     *
     * @generated from field: deviceregistry.v1.ManufacturerCa.HardwareIdSource hardware_id_source = 9;
     */
    hardwareIdSource: ManufacturerCa_HardwareIdSource;
    /**
     * Profile whose defaults devices registered through this CA get.
     *
     * @generated from field: string profile_id = 10;
     */
    profileId: string;
    /**
     * Groups devices registered through this CA are put in.
     *
     * @generated from field: repeated string groups = 11;
     */
    groups: string[];
    /**
     * Tags devices registered through this CA get; the profile's tags are the defaults.
     *
     * @generated from field: map<string, string> tags = 12;
     */
    tags: {
        [key: string]: string;
    };
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp created_at = 13;
     */
    createdAt?: Timestamp | undefined;
    /**
     * Output only.
     *
     * @generated from field: google.protobuf.Timestamp updated_at = 14;
     */
    updatedAt?: Timestamp | undefined;
    /**
     * Set by the service and changed by every update; send it back to update conditionally.
     *
     * @generated from field: string etag = 15;
     */
    etag: string;
};
/**
 * Describes the message deviceregistry.v1.ManufacturerCa.
 * Use `create(ManufacturerCaSchema)` to create a new message.
 */
export declare const ManufacturerCaSchema: GenMessage<ManufacturerCa>;
/**
 * Which field of a device certificate becomes the device's hardware_id.
 *
 * @generated from enum deviceregistry.v1.ManufacturerCa.HardwareIdSource
 */
export declare enum ManufacturerCa_HardwareIdSource {
    /**
     * Unset: the subject's common name.
     *
     * @generated from enum value: HARDWARE_ID_SOURCE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * The subject's common name (CN).
     *
     * @generated from enum value: HARDWARE_ID_SOURCE_SUBJECT_CN = 1;
     */
    SUBJECT_CN = 1,
    /**
     * The first DNS name of the subjectAltName extension.
     *
     * @generated from enum value: HARDWARE_ID_SOURCE_SAN_DNS = 2;
     */
    SAN_DNS = 2,
    /**
     * The first URI of the subjectAltName extension.
     *
     * @generated from enum value: HARDWARE_ID_SOURCE_SAN_URI = 3;
     */
    SAN_URI = 3
}
/**
 * Describes the enum deviceregistry.v1.ManufacturerCa.HardwareIdSource.
 */
export declare const ManufacturerCa_HardwareIdSourceSchema: GenEnum<ManufacturerCa_HardwareIdSource>;
