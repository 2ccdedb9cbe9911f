/**
 * The device registry's API for TypeScript: the generated messages and service descriptors of
 * proto/deviceregistry/v1, and the credentials of its callers. Ready clients come from
 * `@device-registry/client/node` (Node.js) and `@device-registry/client/web` (browsers).
 */
export * from "./gen/deviceregistry/v1/device_pb.js";
export * from "./gen/deviceregistry/v1/device_claim_pb.js";
export * from "./gen/deviceregistry/v1/device_profile_pb.js";
export * from "./gen/deviceregistry/v1/device_registry_service_pb.js";
export * from "./gen/deviceregistry/v1/device_provisioning_service_pb.js";
export * from "./gen/deviceregistry/v1/device_auth_service_pb.js";
export * from "./gen/deviceregistry/v1/events_pb.js";
export { bearerCredential, type Credential } from "./credentials.js";
export {
  readyClients,
  type AdminClient,
  type DeviceClient,
  type DeviceOptions,
  type HubClient,
  type TokenOptions,
  type TransportFactory,
} from "./ready-clients.js";
