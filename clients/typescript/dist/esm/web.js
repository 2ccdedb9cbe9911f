import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { readyClients } from "./ready-clients.js";
export * from "./index.js";
/** A fetch transport of `baseUrl` that runs `interceptors` on every call. */
export function createWebTransport(baseUrl, options = {}, interceptors = []) {
    const common = { baseUrl, interceptors, ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }) };
    return options.protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport({ ...common, useHttpGet: options.useHttpGet ?? false });
}
/** The ready clients (admin, hub, device) over this runtime's transports. */
export const { createAdminClient, createHubClient, createDeviceClient } = readyClients(createWebTransport);
