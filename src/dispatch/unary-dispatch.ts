import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createMethodImplSpec,
  createServiceImplSpec,
  type ConnectRouter,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
} from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";

/** A unary method's implementation with its descriptor. */
export type UnaryMethodSpec = Extract<MethodImplSpec, { kind: "unary" }>;

/**
 * The unary methods of the served services, called the way connect-es's own handlers call them:
 * through the server's interceptors, with the implementations the routes register. The HTTP/2
 * fast path and the REST mapping both call through it; connect-node serves everything else.
 */
export interface UnaryDispatch {
  /** The unary method at a request path ("/package.Service/Method"), or undefined. */
  method(path: string): UnaryMethodSpec | undefined;
  /**
   * Runs the interceptors and the implementation. Response headers and trailers land in the
   * context's; what it throws is always a ConnectError ("internal error" for anything else).
   */
  call(spec: UnaryMethodSpec, context: HandlerContext, input: MessageShape<DescMessage>): Promise<MessageShape<DescMessage>>;
}

/**
 * The reason a call's signal aborts with once it has ended (connect-es aborts it too): one shared
 * error instead of a DOMException, and its stack trace, built for every call.
 */
export const callEnded = new ConnectError("the call has ended", Code.Canceled);

/** Builds the dispatch from the same routes function the connect-node adapter is given. */
export function createUnaryDispatch(routes: (router: ConnectRouter) => void, interceptors: readonly Interceptor[]): UnaryDispatch {
  const specs = new Map<string, UnaryMethodSpec>();
  const add = (spec: MethodImplSpec) => {
    if (spec.kind === "unary") specs.set(`/${spec.method.parent.typeName}/${spec.method.name}`, spec);
  };
  // Records what the routes register, as createConnectRouter does, without building its handlers.
  const recorder: ConnectRouter = {
    handlers: [],
    service(service, implementation, options) {
      refuseOptions(service.typeName, options);
      Object.values(createServiceImplSpec(service, implementation).methods).forEach(add);
      return recorder;
    },
    rpc(method, implementation, options) {
      refuseOptions(method.name, options);
      add(createMethodImplSpec(method, implementation));
      return recorder;
    },
  };
  routes(recorder);
  const chain = [...interceptors];
  return {
    method: (path) => specs.get(path),
    call: async (spec, context, input) => {
      try {
        return await invokeUnaryImplementation(spec, context, input, chain);
      } catch (e) {
        throw e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
      }
    },
  };
}

// Per-service interceptors would apply on connect-node's path only. A method's own body limit
// (readMaxBytes) is the one the dispatch's callers read too: the server's maxBodyBytes(method).
function refuseOptions(name: string, options: object | undefined): void {
  const unsupported = Object.keys(options ?? {}).filter((key) => key !== "readMaxBytes");
  if (unsupported.length > 0) throw new Error(`${name}: router options ${unsupported.join(", ")} are not supported`);
}
