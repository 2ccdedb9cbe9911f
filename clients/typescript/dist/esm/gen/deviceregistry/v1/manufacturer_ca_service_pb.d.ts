import type { GenFile, GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import type { ManufacturerCa, ManufacturerCaSchema } from "./manufacturer_ca_pb.js";
import type { EmptySchema, FieldMask } from "@bufbuild/protobuf/wkt";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file deviceregistry/v1/manufacturer_ca_service.proto.
 */
export declare const file_deviceregistry_v1_manufacturer_ca_service: GenFile;
/**
 * Request of GetCaRegistrationCode.
 *
 * @generated from message deviceregistry.v1.GetCaRegistrationCodeRequest
 */
export type GetCaRegistrationCodeRequest = Message<"deviceregistry.v1.GetCaRegistrationCodeRequest"> & {};
/**
 * Describes the message deviceregistry.v1.GetCaRegistrationCodeRequest.
 * Use `create(GetCaRegistrationCodeRequestSchema)` to create a new message.
 */
export declare const GetCaRegistrationCodeRequestSchema: GenMessage<GetCaRegistrationCodeRequest>;
/**
 * Response of GetCaRegistrationCode.
 *
 * @generated from message deviceregistry.v1.GetCaRegistrationCodeResponse
 */
export type GetCaRegistrationCodeResponse = Message<"deviceregistry.v1.GetCaRegistrationCodeResponse"> & {
    /**
     * Put it in the subject CN of a verification certificate signed by the CA's key.
     *
     * @generated from field: string registration_code = 1;
     */
    registrationCode: string;
};
/**
 * Describes the message deviceregistry.v1.GetCaRegistrationCodeResponse.
 * Use `create(GetCaRegistrationCodeResponseSchema)` to create a new message.
 */
export declare const GetCaRegistrationCodeResponseSchema: GenMessage<GetCaRegistrationCodeResponse>;
/**
 * Request of RegisterManufacturerCa.
 *
 * @generated from message deviceregistry.v1.RegisterManufacturerCaRequest
 */
export type RegisterManufacturerCaRequest = Message<"deviceregistry.v1.RegisterManufacturerCaRequest"> & {
    /**
     * Required. The CA: certificate_pem and, optionally, enabled, hardware_id_source, profile_id,
     * groups and tags.
     *
     * @generated from field: deviceregistry.v1.ManufacturerCa ca = 1;
     */
    ca?: ManufacturerCa | undefined;
    /**
     * Required. A certificate (PEM) signed by the CA's key whose subject CN is the tenant's
     * registration code.
     *
     * @generated from field: string verification_certificate_pem = 2;
     */
    verificationCertificatePem: string;
};
/**
 * Describes the message deviceregistry.v1.RegisterManufacturerCaRequest.
 * Use `create(RegisterManufacturerCaRequestSchema)` to create a new message.
 */
export declare const RegisterManufacturerCaRequestSchema: GenMessage<RegisterManufacturerCaRequest>;
/**
 * Request of GetManufacturerCa.
 *
 * @generated from message deviceregistry.v1.GetManufacturerCaRequest
 */
export type GetManufacturerCaRequest = Message<"deviceregistry.v1.GetManufacturerCaRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string ca_id = 1;
     */
    caId: string;
};
/**
 * Describes the message deviceregistry.v1.GetManufacturerCaRequest.
 * Use `create(GetManufacturerCaRequestSchema)` to create a new message.
 */
export declare const GetManufacturerCaRequestSchema: GenMessage<GetManufacturerCaRequest>;
/**
 * Request of ListManufacturerCas.
 *
 * @generated from message deviceregistry.v1.ListManufacturerCasRequest
 */
export type ListManufacturerCasRequest = Message<"deviceregistry.v1.ListManufacturerCasRequest"> & {
    /**
     * At most this many CAs (default 50, at most 1000).
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
 * Describes the message deviceregistry.v1.ListManufacturerCasRequest.
 * Use `create(ListManufacturerCasRequestSchema)` to create a new message.
 */
export declare const ListManufacturerCasRequestSchema: GenMessage<ListManufacturerCasRequest>;
/**
 * Response of ListManufacturerCas.
 *
 * @generated from message deviceregistry.v1.ListManufacturerCasResponse
 */
export type ListManufacturerCasResponse = Message<"deviceregistry.v1.ListManufacturerCasResponse"> & {
    /**
     * The page of CAs.
     *
     * @generated from field: repeated deviceregistry.v1.ManufacturerCa cas = 1;
     */
    cas: ManufacturerCa[];
    /**
     * Token of the next page; empty on the last page.
     *
     * @generated from field: string next_page_token = 2;
     */
    nextPageToken: string;
};
/**
 * Describes the message deviceregistry.v1.ListManufacturerCasResponse.
 * Use `create(ListManufacturerCasResponseSchema)` to create a new message.
 */
export declare const ListManufacturerCasResponseSchema: GenMessage<ListManufacturerCasResponse>;
/**
 * Request of UpdateManufacturerCa.
 *
 * @generated from message deviceregistry.v1.UpdateManufacturerCaRequest
 */
export type UpdateManufacturerCaRequest = Message<"deviceregistry.v1.UpdateManufacturerCaRequest"> & {
    /**
     * Required. The CA with ca_id set and the new values of the fields in update_mask.
     *
     * @generated from field: deviceregistry.v1.ManufacturerCa ca = 1;
     */
    ca?: ManufacturerCa | undefined;
    /**
     * Required. Fields to change: enabled, hardware_id_source, profile_id, groups, tags.
     *
     * @generated from field: google.protobuf.FieldMask update_mask = 2;
     */
    updateMask?: FieldMask | undefined;
    /**
     * When set, the update applies only if the CA's etag still equals it.
     *
     * @generated from field: string etag = 3;
     */
    etag: string;
};
/**
 * Describes the message deviceregistry.v1.UpdateManufacturerCaRequest.
 * Use `create(UpdateManufacturerCaRequestSchema)` to create a new message.
 */
export declare const UpdateManufacturerCaRequestSchema: GenMessage<UpdateManufacturerCaRequest>;
/**
 * Request of DeleteManufacturerCa.
 *
 * @generated from message deviceregistry.v1.DeleteManufacturerCaRequest
 */
export type DeleteManufacturerCaRequest = Message<"deviceregistry.v1.DeleteManufacturerCaRequest"> & {
    /**
     * Required.
     *
     * @generated from field: string ca_id = 1;
     */
    caId: string;
};
/**
 * Describes the message deviceregistry.v1.DeleteManufacturerCaRequest.
 * Use `create(DeleteManufacturerCaRequestSchema)` to create a new message.
 */
export declare const DeleteManufacturerCaRequestSchema: GenMessage<DeleteManufacturerCaRequest>;
/**
 * A tenant's manufacturer CAs (dashboard / internal callers, JWT). Another tenant's CA is
 * NOT_FOUND.
 *
 * @generated from service deviceregistry.v1.ManufacturerCaService
 */
export declare const ManufacturerCaService: GenService<{
    /**
     * The tenant's registration code, created on first use: the subject CN of the verification
     * certificate that proves, on registration, that the caller holds the CA's private key.
     *
     * @generated from rpc deviceregistry.v1.ManufacturerCaService.GetCaRegistrationCode
     */
    getCaRegistrationCode: {
        methodKind: "unary";
        input: typeof GetCaRegistrationCodeRequestSchema;
        output: typeof GetCaRegistrationCodeResponseSchema;
    };
    /**
     * Registers a CA after checking its certificate and the proof of possession; ALREADY_EXISTS when
     * the CA is registered already.
     *
     * @generated from rpc deviceregistry.v1.ManufacturerCaService.RegisterManufacturerCa
     */
    registerManufacturerCa: {
        methodKind: "unary";
        input: typeof RegisterManufacturerCaRequestSchema;
        output: typeof ManufacturerCaSchema;
    };
    /**
     * One CA of the tenant.
     *
     * @generated from rpc deviceregistry.v1.ManufacturerCaService.GetManufacturerCa
     */
    getManufacturerCa: {
        methodKind: "unary";
        input: typeof GetManufacturerCaRequestSchema;
        output: typeof ManufacturerCaSchema;
    };
    /**
     * The tenant's CAs, oldest first; keyset-paginated.
     *
     * @generated from rpc deviceregistry.v1.ManufacturerCaService.ListManufacturerCas
     */
    listManufacturerCas: {
        methodKind: "unary";
        input: typeof ListManufacturerCasRequestSchema;
        output: typeof ListManufacturerCasResponseSchema;
    };
    /**
     * Changes the fields named in update_mask.
     *
     * @generated from rpc deviceregistry.v1.ManufacturerCaService.UpdateManufacturerCa
     */
    updateManufacturerCa: {
        methodKind: "unary";
        input: typeof UpdateManufacturerCaRequestSchema;
        output: typeof ManufacturerCaSchema;
    };
    /**
     * Deletes a CA: no device registers through it any more, and the certificates of the devices
     * registered through it stop authenticating (the devices stay, for a rotation to a new credential).
     *
     * @generated from rpc deviceregistry.v1.ManufacturerCaService.DeleteManufacturerCa
     */
    deleteManufacturerCa: {
        methodKind: "unary";
        input: typeof DeleteManufacturerCaRequestSchema;
        output: typeof EmptySchema;
    };
}>;
