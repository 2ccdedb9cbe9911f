import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** What is known about one HTTP request; the RPC layer fills in the procedure, code and tenant. */
export interface RequestContext {
  readonly requestId: string;
  /** "deviceregistry.v1.DeviceRegistryService/RegisterDevice", once an RPC handles the request. */
  procedure?: string;
  /** google.rpc.Code name of the RPC's outcome, e.g. "OK" or "ALREADY_EXISTS". */
  code?: string;
  /** The caller's tenant, when the caller is authenticated by a token. */
  tenant?: string;
}

// The request's async context reaches the RPC interceptors on every protocol, including REST
// calls, whose handlers never see the HTTP request object.
const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `context` as the current request's context. */
export function runInRequest<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the request being handled, or undefined outside of one. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

// Short and free of spaces, quotes and control characters, so it is safe to log and to echo back.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:=+/-]{1,128}$/;

/** The caller's x-request-id when it is a sane value, otherwise a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === "string" && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}
