import { type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { DeviceAuthService } from "./gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "./gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "./gen/deviceregistry/v1/device_registry_service_pb.js";
import { type Credential } from "./credentials.js";
/** Client of DeviceRegistryService: devices, profiles and imports of the token's tenant. */
export type AdminClient = Client<typeof DeviceRegistryService>;
/** Client of DeviceAuthService: a hub checks a device's credential. */
export type HubClient = Client<typeof DeviceAuthService>;
/** Client of DeviceProvisioningService: a device claims itself, registers children, reads its config. */
export type DeviceClient = Client<typeof DeviceProvisioningService>;
/** Builds a transport of `baseUrl` with `options` that runs `interceptors` on every call (one per runtime: Node, browser). */
export type TransportFactory<O> = (baseUrl: string, options: O, interceptors: Interceptor[]) => Transport;
/** Options of an admin or hub client. */
export interface TokenOptions {
    /** An Ed25519 JWT sent as `Authorization: Bearer`, or a function returning the current one. */
    readonly token: Credential;
}
/** Options of a device client. */
export interface DeviceOptions {
    /**
     * The device's api_key, sent as `Authorization: Bearer` (RegisterChildDevices, GetDeviceConfig).
     * Leave it out to claim the device: ClaimDevice carries its claim key in the request body.
     */
    readonly apiKey?: Credential;
}
/** The three ready clients of the service, over the transports of `transport`. */
export declare function readyClients<O extends object>(transport: TransportFactory<O>): {
    /** A DeviceRegistryService client for dashboards and internal services, authenticated by a JWT. */
    createAdminClient: (baseUrl: string, options: TokenOptions & O) => AdminClient;
    /** A DeviceAuthService client for hubs, authenticated by a JWT with role `service`. */
    createHubClient: (baseUrl: string, options: TokenOptions & O) => HubClient;
    /** A DeviceProvisioningService client for a device: its api_key, or none to ClaimDevice. */
    createDeviceClient: (baseUrl: string, options?: DeviceOptions & O) => DeviceClient;
};
