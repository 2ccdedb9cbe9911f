/**
 * A Connect Transport that calls the handlers of a ConnectRouter in-process, built exactly as
 * connect-es's createRouterTransport does internally, but for an existing router: requests run
 * through the router's handlers, so server-side interceptors (authentication, logging, ...) and
 * the request headers the REST layer forwards are seen as for any network call.
 *
 * The context values a caller passes with a call reach the handler, as they do on a network
 * server (createUniversalHandlerClient alone drops them).
 *
 * The router must have the Connect protocol enabled (createConnectRouter's default). Handlers
 * are looked up on the first call, so services may be registered after the transport is created.
 */
import type { BinaryReadOptions, BinaryWriteOptions } from "@bufbuild/protobuf";
import { AsyncLocalStorage } from "node:async_hooks";
import type { ConnectRouter, ContextValues, Interceptor, Transport } from "@connectrpc/connect";
import { createUniversalHandlerClient } from "@connectrpc/connect/protocol";
import type { UniversalClientFn, UniversalHandler } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-connect";

/** Options of createInProcessTransport. */
export interface InProcessTransportOptions {
  /** Client-side interceptors of the transport (server interceptors belong on the router). */
  interceptors?: Interceptor[];
  /** Largest response message accepted, in bytes (default: no limit). */
  readMaxBytes?: number;
  /** Largest request message sent, in bytes (default: no limit). */
  writeMaxBytes?: number;
  /** Timeout applied to calls that do not pass one. */
  defaultTimeoutMs?: number;
  /** Binary format options of the serialization between the caller and the handlers. */
  binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
}

/** Creates a Transport that dispatches to `router`'s handlers without any network I/O. */
export function createInProcessTransport(router: ConnectRouter, options: InProcessTransportOptions = {}): Transport {
  let client: UniversalClientFn | undefined;
  // The Connect client protocol carries no context values to the HTTP client: they travel beside the call.
  const callValues = new AsyncLocalStorage<ContextValues | undefined>();
  const withCallValues = (handler: UniversalHandler): UniversalHandler =>
    Object.assign((req: Parameters<UniversalHandler>[0]) => {
      const contextValues = callValues.getStore();
      return handler(contextValues === undefined ? req : { ...req, contextValues });
    }, handler);
  const httpClient: UniversalClientFn = (request) => {
    if (client === undefined) {
      const missing = router.handlers.filter((h) => !h.protocolNames.includes("connect"));
      if (missing.length > 0) {
        throw new Error(`createInProcessTransport: the router's handler for ${missing[0]!.requestPath} does not speak the Connect protocol`);
      }
      client = createUniversalHandlerClient(router.handlers.map(withCallValues));
    }
    return client(request);
  };
  const transport = createTransport({
    httpClient,
    baseUrl: "https://in-memory",
    useBinaryFormat: true,
    interceptors: options.interceptors ?? [],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    readMaxBytes: options.readMaxBytes ?? Number.MAX_SAFE_INTEGER,
    writeMaxBytes: options.writeMaxBytes ?? Number.MAX_SAFE_INTEGER,
    ...(options.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
    ...(options.binaryOptions !== undefined ? { binaryOptions: options.binaryOptions } : {}),
  });
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      callValues.run(contextValues, () => transport.unary(method, signal, timeoutMs, header, input, contextValues)),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      callValues.run(contextValues, () => transport.stream(method, signal, timeoutMs, header, input, contextValues)),
  };
}
