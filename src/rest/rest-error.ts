/**
 * Errors as HTTP/JSON responses: the standard gRPC-to-HTTP status mapping and the body
 * `{"code":"NOT_FOUND","message":"..."}` (the google.rpc.Code name, and the ConnectError's
 * rawMessage, without Connect's "[not_found] " prefix). Error metadata is returned as headers.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { errorCodeName } from "../convert/error-code.js";
import { returnedResponseHeaders } from "./forward-headers.js";

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
  const error = reason instanceof ConnectError ? reason : new ConnectError("internal error", Code.Internal, undefined, undefined, reason);
  return {
    status: statusOverrides.get(error) ?? httpStatusForCode(error.code),
    body: { code: errorCodeName(error.code), message: error.rawMessage },
    headers: returnedResponseHeaders(error.metadata),
  };
}
