import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type net from "node:net";
import { CertificateRegistrationService } from "../gen/deviceregistry/v1/certificate_registration_service_pb.js";
import { DeviceAuthService } from "../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../gen/deviceregistry/v1/device_registry_service_pb.js";
import { ManufacturerCaService } from "../gen/deviceregistry/v1/manufacturer_ca_service_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { CertificateRegistration } from "./domain/certificate-registration.js";
import type { ChildService } from "./domain/child-service.js";
import type { ClaimService } from "./domain/claim-service.js";
import type { DeviceAuthenticator } from "./domain/device-authenticator.js";
import type { ManufacturerCaService as ManufacturerCas } from "./domain/manufacturer-ca-service.js";
import { createHealthService } from "./health/health-service.js";
import type { HealthState } from "./health/health-state.js";
import { createReflectionServices } from "./reflection/reflection-service.js";
import { createCertificateRegistrationService } from "./service/certificate-registration-service.js";
import { createDeviceAuthService } from "./service/device-auth-service.js";
import { createDeviceProvisioningService } from "./service/device-provisioning-service.js";
import { createDeviceRegistryService, type DeviceRegistryDeps } from "./service/device-registry-service.js";
import { createManufacturerCaService } from "./service/manufacturer-ca-service.js";

/** What the services are built from. */
export interface RouteDeps extends DeviceRegistryDeps {
  readonly authenticator: DeviceAuthenticator;
  readonly claims: ClaimService;
  readonly trustedProxies: net.BlockList;
  readonly children: ChildService;
  readonly manufacturerCas: ManufacturerCas;
  readonly certificateRegistration: CertificateRegistration;
  readonly health: HealthState;
  /** The largest request body of each RPC, in bytes. */
  readonly maxBodyBytes: (method: DescMethod) => number;
}

/** The services the server answers, also the source of the REST mapping. */
export const services: readonly DescService[] = [
  DeviceRegistryService,
  DeviceProvisioningService,
  DeviceAuthService,
  ManufacturerCaService,
  CertificateRegistrationService,
];

/** Every service the server answers: the above, gRPC health and server reflection (v1 and v1alpha). */
export const servedServices: readonly DescService[] = [...services, Health, ServerReflection, ServerReflectionV1alpha];

/** The RPCs that take up to 10,000 entries, whose bodies may be larger than the others'. */
export const batchMethods: ReadonlySet<DescMethod> = new Set([DeviceRegistryService.method.importDevices, DeviceRegistryService.method.revokeClaimKeys]);

/** Which service answers which RPC. */
export function createRoutes(deps: RouteDeps): (router: ConnectRouter) => void {
  const reflection = createReflectionServices(servedServices);
  return (router) => {
    const registry = createDeviceRegistryService(deps);
    router.service(DeviceRegistryService, registry);
    // Registered again with their own body limit: a path's last registration is the one that answers.
    router.rpc(DeviceRegistryService.method.importDevices, registry.importDevices, {
      readMaxBytes: deps.maxBodyBytes(DeviceRegistryService.method.importDevices),
    });
    router.rpc(DeviceRegistryService.method.revokeClaimKeys, registry.revokeClaimKeys, {
      readMaxBytes: deps.maxBodyBytes(DeviceRegistryService.method.revokeClaimKeys),
    });
    router.service(DeviceProvisioningService, createDeviceProvisioningService(deps));
    router.service(DeviceAuthService, createDeviceAuthService(deps.authenticator));
    router.service(ManufacturerCaService, createManufacturerCaService(deps.manufacturerCas));
    router.service(CertificateRegistrationService, createCertificateRegistrationService(deps.certificateRegistration, deps.trustedProxies));
    router.service(Health, createHealthService(deps.health));
    router.service(ServerReflection, reflection.v1);
    router.service(ServerReflectionV1alpha, reflection.v1alpha);
  };
}
