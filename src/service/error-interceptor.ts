import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
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

/** The one place domain errors become RPC codes. */
function codeOf(err: DomainError): Code {
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

/**
 * Turns domain errors into ConnectErrors with their message, and anything unexpected into
 * "internal error" — the cause is logged, never sent to the caller.
 */
export function createErrorInterceptor(logError: (err: unknown, procedure: string) => void): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      if (err instanceof DomainError) {
        // A rate-limited caller, or one that met the database down, learns when to come back
        // (HTTP Retry-After on REST, metadata on gRPC and Connect).
        const retryAfter = err instanceof RateLimitedError || err instanceof UnavailableError ? err.retryAfterSeconds : undefined;
        const metadata = retryAfter === undefined ? undefined : { "retry-after": String(retryAfter) };
        throw new ConnectError(err.message, codeOf(err), metadata, undefined, err);
      }
      logError(err, req.url);
      throw new ConnectError("internal error", Code.Internal);
    }
  };
}
