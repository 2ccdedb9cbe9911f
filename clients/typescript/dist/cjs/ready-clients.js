"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.readyClients = readyClients;
const connect_1 = require("@connectrpc/connect");
const device_auth_service_pb_js_1 = require("./gen/deviceregistry/v1/device_auth_service_pb.js");
const device_provisioning_service_pb_js_1 = require("./gen/deviceregistry/v1/device_provisioning_service_pb.js");
const device_registry_service_pb_js_1 = require("./gen/deviceregistry/v1/device_registry_service_pb.js");
const credentials_js_1 = require("./credentials.js");
/** The three ready clients of the service, over the transports of `transport`. */
function readyClients(transport) {
    return {
        /** A DeviceRegistryService client for dashboards and internal services, authenticated by a JWT. */
        createAdminClient: (baseUrl, options) => (0, connect_1.createClient)(device_registry_service_pb_js_1.DeviceRegistryService, transport(baseUrl, options, [(0, credentials_js_1.bearerCredential)(options.token)])),
        /** A DeviceAuthService client for hubs, authenticated by a JWT with role `service`. */
        createHubClient: (baseUrl, options) => (0, connect_1.createClient)(device_auth_service_pb_js_1.DeviceAuthService, transport(baseUrl, options, [(0, credentials_js_1.bearerCredential)(options.token)])),
        /** A DeviceProvisioningService client for a device: its api_key, or none to ClaimDevice. */
        createDeviceClient: (baseUrl, options = {}) => (0, connect_1.createClient)(device_provisioning_service_pb_js_1.DeviceProvisioningService, transport(baseUrl, options, options.apiKey === undefined ? [] : [(0, credentials_js_1.bearerCredential)(options.apiKey)])),
    };
}
