import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeOf } from "../convert/error-code.js";
import { DomainError, RateLimitedError, UnavailableError } from "../domain/errors.js";

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
