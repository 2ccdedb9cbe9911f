/**
 * Errors as HTTP/JSON responses: the standard gRPC-to-HTTP status mapping and the body
 * `{"code":"NOT_FOUND","message":"..."}` (the google.rpc.Code name, and the ConnectError's
 * rawMessage, without Connect's "[not_found] " prefix). Error metadata is returned as headers.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { returnedResponseHeaders } from "./forward-headers.js";

/** google.rpc.Code names by Connect code (note the gRPC spelling "CANCELLED"). */
const CODE_NAMES: Readonly<Record<Code, string>> = {
  [Code.Canceled]: "CANCELLED",
  [Code.Unknown]: "UNKNOWN",
  [Code.InvalidArgument]: "INVALID_ARGUMENT",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.NotFound]: "NOT_FOUND",
  [Code.AlreadyExists]: "ALREADY_EXISTS",
  [Code.PermissionDenied]: "PERMISSION_DENIED",
  [Code.ResourceExhausted]: "RESOURCE_EXHAUSTED",
  [Code.FailedPrecondition]: "FAILED_PRECONDITION",
  [Code.Aborted]: "ABORTED",
  [Code.OutOfRange]: "OUT_OF_RANGE",
  [Code.Unimplemented]: "UNIMPLEMENTED",
  [Code.Internal]: "INTERNAL",
  [Code.Unavailable]: "UNAVAILABLE",
  [Code.DataLoss]: "DATA_LOSS",
  [Code.Unauthenticated]: "UNAUTHENTICATED",
};

/** HTTP status by Connect code, as in google/rpc/code.proto and grpc-gateway. */
const HTTP_STATUS: Readonly<Record<Code, number>> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

const statusOverrides = new WeakMap<ConnectError, number>();

/** The JSON body of an error response. */
type RestErrorBody = {
  /** google.rpc.Code name, e.g. "ALREADY_EXISTS". */
  code: string;
  /** The error's rawMessage. */
  message: string;
};

/** An error response: status, JSON body and headers taken from the error's metadata. */
export interface RestErrorResponse {
  /** HTTP status. */
  readonly status: number;
  /** JSON body. */
  readonly body: RestErrorBody;
  /** Headers from the error metadata (e.g. retry-after). */
  readonly headers: Headers;
}

/** The google.rpc.Code name of a Connect code. */
export function errorCodeName(code: Code): string {
  return CODE_NAMES[code] ?? "UNKNOWN";
}

/** The HTTP status of a Connect code. */
export function httpStatusForCode(code: Code): number {
  return HTTP_STATUS[code] ?? 500;
}

/** Marks an error to be sent with a specific HTTP status (e.g. 405, 413) instead of its code's. */
export function withHttpStatus(error: ConnectError, status: number): ConnectError {
  statusOverrides.set(error, status);
  return error;
}

/** Converts any thrown value to an error response; non-Connect errors become a bare INTERNAL. */
export function toRestError(reason: unknown): RestErrorResponse {
  const error =
    reason instanceof ConnectError ? reason : new ConnectError("internal error", Code.Internal, undefined, undefined, reason);
  return {
    status: statusOverrides.get(error) ?? httpStatusForCode(error.code),
    body: { code: errorCodeName(error.code), message: error.rawMessage },
    headers: returnedResponseHeaders(error.metadata),
  };
}
