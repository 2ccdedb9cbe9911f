"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.readyClients = exports.bearerCredential = void 0;
/**
 * The device registry's API for TypeScript: the generated messages and service descriptors of
 * proto/deviceregistry/v1, and the credentials of its callers. Ready clients come from
 * `@device-registry/client/node` (Node.js) and `@device-registry/client/web` (browsers).
 */
__exportStar(require("./gen/deviceregistry/v1/device_pb.js"), exports);
__exportStar(require("./gen/deviceregistry/v1/device_claim_pb.js"), exports);
__exportStar(require("./gen/deviceregistry/v1/device_profile_pb.js"), exports);
__exportStar(require("./gen/deviceregistry/v1/device_registry_service_pb.js"), exports);
__exportStar(require("./gen/deviceregistry/v1/device_provisioning_service_pb.js"), exports);
__exportStar(require("./gen/deviceregistry/v1/device_auth_service_pb.js"), exports);
__exportStar(require("./gen/deviceregistry/v1/events_pb.js"), exports);
var credentials_js_1 = require("./credentials.js");
Object.defineProperty(exports, "bearerCredential", { enumerable: true, get: function () { return credentials_js_1.bearerCredential; } });
var ready_clients_js_1 = require("./ready-clients.js");
Object.defineProperty(exports, "readyClients", { enumerable: true, get: function () { return ready_clients_js_1.readyClients; } });
