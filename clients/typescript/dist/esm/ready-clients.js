import { createClient } from "@connectrpc/connect";
import { DeviceAuthService } from "./gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "./gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "./gen/deviceregistry/v1/device_registry_service_pb.js";
import { bearerCredential } from "./credentials.js";
/** The three ready clients of the service, over the transports of `transport`. */
export function readyClients(transport) {
    return {
        /** A DeviceRegistryService client for dashboards and internal services, authenticated by a JWT. */
        createAdminClient: (baseUrl, options) => createClient(DeviceRegistryService, transport(baseUrl, options, [bearerCredential(options.token)])),
        /** A DeviceAuthService client for hubs, authenticated by a JWT with role `service`. */
        createHubClient: (baseUrl, options) => createClient(DeviceAuthService, transport(baseUrl, options, [bearerCredential(options.token)])),
        /** A DeviceProvisioningService client for a device: its api_key, or none to ClaimDevice. */
        createDeviceClient: (baseUrl, options = {}) => createClient(DeviceProvisioningService, transport(baseUrl, options, options.apiKey === undefined ? [] : [bearerCredential(options.apiKey)])),
    };
}
