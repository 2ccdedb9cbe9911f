/**
 * Ready clients for browsers over @connectrpc/connect-web (fetch): Connect JSON or gRPC-Web.
 * The service must list the page's origin in CORS_ORIGINS.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { readyClients } from "./ready-clients.js";

export * from "./index.js";

/** How a browser client reaches the service. */
export interface WebTransportOptions {
  /** Default "connect" (JSON); "grpc-web" for proxies that only pass gRPC-Web. */
  readonly protocol?: "connect" | "grpc-web";
  /** Connect only: send calls of NO_SIDE_EFFECTS methods (Get/List) as HTTP GET, which caches can keep. */
  readonly useHttpGet?: boolean;
  /** Per-call timeout (ms) when a call sets none. */
  readonly defaultTimeoutMs?: number;
}

/** A fetch transport of `baseUrl` that runs `interceptors` on every call. */
export function createWebTransport(baseUrl: string, options: WebTransportOptions = {}, interceptors: Interceptor[] = []): Transport {
  const common = { baseUrl, interceptors, ...(options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: options.defaultTimeoutMs }) };
  return options.protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport({ ...common, useHttpGet: options.useHttpGet ?? false });
}

/** The ready clients (admin, hub, device) over this runtime's transports. */
export const { createAdminClient, createHubClient, createDeviceClient } = readyClients<WebTransportOptions>(createWebTransport);
