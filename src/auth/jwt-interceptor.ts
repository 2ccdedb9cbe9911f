import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { callerKey } from "./caller.js";
import { accessPolicy } from "./policy.js";
import type { Policy } from "./policy.js";
import type { TokenVerifier } from "./token-verifier.js";

/** Options of {@link createJwtInterceptor}. */
export interface JwtInterceptorOptions {
  readonly verifier: Pick<TokenVerifier, "verify">;
  /** Defaults to the service's {@link accessPolicy}. */
  readonly policy?: Policy;
}

// RFC 6750 b64token after a case-insensitive "Bearer" scheme; anything else is not a bearer token.
const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/**
 * Creates the interceptor that authenticates JWT procedures: verifies the bearer token, enforces the
 * policy and hands the Caller to the handler via `callerKey`. Procedures authenticated by a device
 * credential, or open to anyone (health, reflection), pass untouched.
 */
export function createJwtInterceptor({ verifier, policy = accessPolicy }: JwtInterceptorOptions): Interceptor {
  return (next) => async (req) => {
    if (policy.authenticationOf(req.method) !== "jwt") return next(req);
    const match = BEARER.exec(req.header.get("authorization") ?? "");
    if (match === null) throw new ConnectError("missing bearer token", Code.Unauthenticated);
    try {
      const caller = await verifier.verify(match[1] as string);
      policy.authorize(caller, req.method);
      req.contextValues.set(callerKey, caller);
    } catch (err) {
      // A plain Error would surface as INTERNAL; an auth failure must never look like a server bug.
      throw err instanceof ConnectError ? err : new ConnectError("invalid token", Code.Unauthenticated);
    }
    return next(req);
  };
}
