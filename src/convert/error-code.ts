import { Code } from "@connectrpc/connect";
import {
  AbortedError,
  AlreadyExistsError,
  DomainError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
} from "../domain/errors.js";

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

/** The google.rpc.Code name of a Connect code. */
export function errorCodeName(code: Code): string {
  return CODE_NAMES[code] ?? "UNKNOWN";
}

/** The one place domain errors become RPC codes. */
export function codeOf(err: DomainError): Code {
  if (err instanceof NotFoundError) return Code.NotFound;
  if (err instanceof AlreadyExistsError) return Code.AlreadyExists;
  if (err instanceof InvalidArgumentError) return Code.InvalidArgument;
  if (err instanceof FailedPreconditionError) return Code.FailedPrecondition;
  if (err instanceof AbortedError) return Code.Aborted;
  if (err instanceof PermissionDeniedError) return Code.PermissionDenied;
  if (err instanceof RateLimitedError) return Code.ResourceExhausted;
  if (err instanceof UnauthenticatedError) return Code.Unauthenticated;
  if (err instanceof UnavailableError) return Code.Unavailable;
  return Code.Internal;
}

/** The error of one entry of a batch call as its API message: the code's name and the error's message. */
export function entryErrorToMessage(err: DomainError): { code: string; message: string } {
  return { code: errorCodeName(codeOf(err)), message: err.message };
}
