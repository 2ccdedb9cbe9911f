/**
 * Ready clients for Node.js over @connectrpc/connect-node: Connect (JSON, HTTP/1.1 or HTTP/2),
 * gRPC (HTTP/2, also h2c) or gRPC-Web.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { ConnectionOptions } from "node:tls";
import { readyClients } from "./ready-clients.js";

export * from "./index.js";

/** How a Node.js client reaches the service. */
export interface NodeTransportOptions {
  /** Default "connect" (JSON over HTTP/1.1); "grpc" uses HTTP/2. */
  readonly protocol?: "connect" | "grpc" | "grpc-web";
  /** Connect only: send calls of NO_SIDE_EFFECTS methods (Get/List) as HTTP GET, which caches can keep. */
  readonly useHttpGet?: boolean;
  /** TLS options of https:// connections, e.g. `{ ca }` for a private CA or `{ cert, key }` for mutual TLS. */
  readonly tls?: Pick<ConnectionOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername">;
  /** Per-call timeout (ms) when a call sets none. */
  readonly defaultTimeoutMs?: number;
}

/** A transport of `baseUrl` (http://host:port or https://…) that runs `interceptors` on every call. */
export function createNodeTransport(baseUrl: string, options: NodeTransportOptions = {}, interceptors: Interceptor[] = []): Transport {
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
export const { createAdminClient, createHubClient, createDeviceClient } = readyClients<NodeTransportOptions>(createNodeTransport);
