import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { readyClients } from "./ready-clients.js";
export * from "./index.js";
/** A transport of `baseUrl` (http://host:port or https://…) that runs `interceptors` on every call. */
export function createNodeTransport(baseUrl, options = {}, interceptors = []) {
    const common = {
        baseUrl,
        interceptors,
        ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }),
        ...(options.tls === undefined ? {} : { nodeOptions: options.tls }),
    };
    switch (options.protocol ?? "connect") {
        case "grpc":
            return createGrpcTransport(common);
        case "grpc-web":
            return createGrpcWebTransport({ ...common, httpVersion: "1.1" });
        case "connect":
            return createConnectTransport({ ...common, httpVersion: "1.1", useHttpGet: options.useHttpGet ?? false });
    }
}
/** The ready clients (admin, hub, device) over this runtime's transports. */
export const { createAdminClient, createHubClient, createDeviceClient } = readyClients(createNodeTransport);
