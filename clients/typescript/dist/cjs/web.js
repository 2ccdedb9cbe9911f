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
var _a;
Object.defineProperty(exports, "__esModule", { value: true });
exports.createDeviceClient = exports.createHubClient = exports.createAdminClient = void 0;
exports.createWebTransport = createWebTransport;
const connect_web_1 = require("@connectrpc/connect-web");
const ready_clients_js_1 = require("./ready-clients.js");
__exportStar(require("./index.js"), exports);
/** A fetch transport of `baseUrl` that runs `interceptors` on every call. */
function createWebTransport(baseUrl, options = {}, interceptors = []) {
    const common = { baseUrl, interceptors, ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }) };
    return options.protocol === "grpc-web" ? (0, connect_web_1.createGrpcWebTransport)(common) : (0, connect_web_1.createConnectTransport)({ ...common, useHttpGet: options.useHttpGet ?? false });
}
/** The ready clients (admin, hub, device) over this runtime's transports. */
_a = (0, ready_clients_js_1.readyClients)(createWebTransport), exports.createAdminClient = _a.createAdminClient, exports.createHubClient = _a.createHubClient, exports.createDeviceClient = _a.createDeviceClient;
