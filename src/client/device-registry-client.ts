import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";

/** Wire protocol of a {@link createDeviceRegistryClient} client. */
export type Protocol = "connect" | "grpc" | "grpc-web";

/** Options of {@link createDeviceRegistryClient}. */
export interface DeviceRegistryClientOptions {
  /** Default "connect" (JSON over HTTP/1.1); "grpc" uses HTTP/2. */
  readonly protocol?: Protocol;
  /** A bearer token (Ed25519 JWT) sent with every call, or a function returning the current one. */
  readonly token?: string | (() => string | Promise<string>);
  /** PEM certificate(s) of the CA to trust for an https:// service (default: Node's public roots). */
  readonly ca?: string | Buffer;
}

/** A typed client of DeviceRegistryService for Node.js, over Connect, gRPC or gRPC-Web. */
export function createDeviceRegistryClient(baseUrl: string, options: DeviceRegistryClientOptions = {}): Client<typeof DeviceRegistryService> {
  const interceptors: Interceptor[] = [];
  const token = options.token;
  if (token !== undefined) {
    interceptors.push((next) => async (req) => {
      req.header.set("authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
      return next(req);
    });
  }
  const protocol = options.protocol ?? "connect";
  const nodeOptions = options.ca === undefined ? {} : { nodeOptions: { ca: options.ca } };
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl, interceptors, ...nodeOptions })
      : protocol === "grpc-web"
        ? createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors, ...nodeOptions })
        : createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, ...nodeOptions });
  return createClient(DeviceRegistryService, transport);
}
