import type { DescService, JsonObject } from "@bufbuild/protobuf";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { accessPolicy, procedureOf } from "../auth/policy.js";
import { createOpenApiDocument } from "../rest/openapi.js";

// A device claims itself with the claim key in the body; its later calls present its api_key.
const claimDevice = procedureOf(DeviceProvisioningService.method.claimDevice);

/** The OpenAPI 3.1 document of the service's REST mapping, with each operation's authentication. */
export function createServiceOpenApiDocument(services: readonly DescService[]): JsonObject {
  return createOpenApiDocument({
    services,
    info: {
      title: "Device registry",
      version: "v1",
      description: "The REST mapping of the device registry's gRPC API. JSON uses proto field names and enum names.",
    },
    securitySchemes: {
      bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An EdDSA JWT of the caller (admin, member or service)." },
      deviceApiKey: { type: "http", scheme: "bearer", description: "The device's own api_key." },
    },
    securityOf: (rpc) =>
      accessPolicy.authenticationOf(rpc) === "jwt" ? ["bearerAuth"] : procedureOf(rpc) === claimDevice ? [] : ["deviceApiKey"],
  });
}
