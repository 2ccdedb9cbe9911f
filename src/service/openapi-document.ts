import type { DescMethod, DescService, JsonObject } from "@bufbuild/protobuf";
import { docs as certificateRegistrationDocs } from "../../gen/deviceregistry/v1/certificate_registration_service_docs.js";
import { CertificateRegistrationService } from "../../gen/deviceregistry/v1/certificate_registration_service_pb.js";
import { docs as authDocs } from "../../gen/deviceregistry/v1/device_auth_service_docs.js";
import { docs as claimDocs } from "../../gen/deviceregistry/v1/device_claim_docs.js";
import { docs as deviceDocs } from "../../gen/deviceregistry/v1/device_docs.js";
import { docs as profileDocs } from "../../gen/deviceregistry/v1/device_profile_docs.js";
import { docs as provisioningDocs } from "../../gen/deviceregistry/v1/device_provisioning_service_docs.js";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { docs as registryDocs } from "../../gen/deviceregistry/v1/device_registry_service_docs.js";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { docs as manufacturerCaDocs } from "../../gen/deviceregistry/v1/manufacturer_ca_docs.js";
import { docs as manufacturerCaServiceDocs } from "../../gen/deviceregistry/v1/manufacturer_ca_service_docs.js";
import { accessPolicy, procedureOf } from "../auth/policy.js";
import { hardwareIdTaken, notAuthorized } from "../domain/errors.js";
import { createOpenApiDocument, type OperationExamples } from "../rest/index.js";

// A device claims itself with the claim key in the body, or registers itself with its factory
// certificate in the TLS handshake; its later calls present its api_key.
const claimDevice = procedureOf(DeviceProvisioningService.method.claimDevice);
const registerByCertificate = procedureOf(CertificateRegistrationService.method.registerDeviceByCertificate);

const NOT_AUTHORIZED = { code: "UNAUTHENTICATED", message: notAuthorized().message };

// The manual-registration document's own request, answer and refusal.
const MANUAL_REGISTRATION = {
  name: "Lab Bench Thermometer",
  hardware_id: "HW-LAB-0001",
  groups: ["lab", "floor-3"],
  tags: { region: "eu", owner: "qa" },
  anchor_mode: "ANCHOR_MODE_MERKLE_BATCH",
  profile_id: "p_temp_sensor_v2",
};
const EXAMPLES: ReadonlyMap<string, OperationExamples> = new Map([
  [
    procedureOf(DeviceRegistryService.method.registerDevice),
    {
      request: MANUAL_REGISTRATION,
      response: {
        device_id: "3a9f1d22-6b4c-4e8a-bf21-90c7e5d4a118",
        tenant_id: "11111111-1111-1111-1111-111111111111",
        ...MANUAL_REGISTRATION,
        status: "registered",
        api_key: "sk_live_Zr8K2mQx...redacted...",
        created_at: "2026-05-29T10:15:00Z",
      },
      errors: { "409": { code: "ALREADY_EXISTS", message: hardwareIdTaken("HW-LAB-0001").message } },
    },
  ],
  [procedureOf(DeviceAuthService.method.authenticateDevice), { errors: { "401": NOT_AUTHORIZED } }],
  [procedureOf(DeviceProvisioningService.method.getDeviceConfig), { errors: { "401": NOT_AUTHORIZED } }],
]);

/**
 * The OpenAPI 3.1 document of the service's REST mapping: each operation's authentication,
 * descriptions from the proto comments, and the seed documents' examples. The server URL is
 * relative, so the document is right behind any host or proxy that serves it.
 */
export function createServiceOpenApiDocument(services: readonly DescService[]): JsonObject {
  return createOpenApiDocument({
    services,
    info: {
      title: "Device registry",
      version: "v1",
      description:
        "The REST mapping of the device registry's gRPC API. JSON uses proto field names and enum names; errors are " +
        '`{"code": "<google.rpc.Code name>", "message": "…"}` with the HTTP status of the standard gRPC mapping.',
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/", description: "The service that serves this document" }],
    docs: {
      ...deviceDocs,
      ...claimDocs,
      ...profileDocs,
      ...manufacturerCaDocs,
      ...registryDocs,
      ...provisioningDocs,
      ...authDocs,
      ...manufacturerCaServiceDocs,
      ...certificateRegistrationDocs,
    },
    examplesOf: (rpc: DescMethod) => EXAMPLES.get(procedureOf(rpc)),
    securitySchemes: {
      bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An EdDSA JWT of the caller (admin, member or service)." },
      deviceApiKey: { type: "http", scheme: "bearer", description: "The device's own api_key." },
      deviceCertificate: { type: "mutualTLS", description: "The device's factory certificate, presented in the TLS handshake." },
    },
    securityOf: (rpc) => {
      if (accessPolicy.authenticationOf(rpc) === "jwt") return ["bearerAuth"];
      const procedure = procedureOf(rpc);
      if (procedure === claimDevice) return [];
      return procedure === registerByCertificate ? ["deviceCertificate"] : ["deviceApiKey"];
    },
  });
}
