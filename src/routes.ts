import type { ConnectRouter } from "@connectrpc/connect";
import { DeviceAuthService } from "../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../gen/deviceregistry/v1/device_registry_service_pb.js";
import type { ClaimRateLimiter } from "./db/claim-rate-limiter.js";
import type { ChildService } from "./domain/child-service.js";
import type { ClaimService } from "./domain/claim-service.js";
import type { DeviceAuthenticator } from "./domain/device-authenticator.js";
import { createDeviceAuthService } from "./service/device-auth-service.js";
import { createDeviceProvisioningService } from "./service/device-provisioning-service.js";
import { createDeviceRegistryService, type DeviceRegistryDeps } from "./service/device-registry-service.js";

/** What the services are built from. */
export interface RouteDeps extends DeviceRegistryDeps {
  readonly authenticator: DeviceAuthenticator;
  readonly claims: ClaimService;
  readonly claimLimiter: ClaimRateLimiter;
  readonly children: ChildService;
}

/** The services the server answers, also the source of the REST mapping. */
export const services = [DeviceRegistryService, DeviceProvisioningService, DeviceAuthService] as const;

/** Which service answers which RPC. */
export function createRoutes(deps: RouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(DeviceRegistryService, createDeviceRegistryService(deps));
    router.service(DeviceProvisioningService, createDeviceProvisioningService(deps));
    router.service(DeviceAuthService, createDeviceAuthService(deps.authenticator));
  };
}
