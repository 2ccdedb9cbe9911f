import { Code, ConnectError } from "@connectrpc/connect";
import { errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import { isUuid } from "../domain/validate.js";
import { isRole } from "./caller.js";
import type { Caller } from "./caller.js";
import type { KeySet } from "./key-set.js";
import { toConnectError, unauthenticated } from "./token-error.js";

/** Options of {@link createTokenVerifier}; issuer and audience are checked only when set. */
export interface TokenVerifierOptions {
  readonly keySet: KeySet;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** Allowed clock skew for exp and nbf, in seconds. */
  readonly clockTolerance?: number | undefined;
  /** Most verified tokens remembered (default 10,000). */
  readonly cacheSize?: number;
  /** Longest a verified token is remembered, in ms (default 60 s; never past its exp nor past the key set's validUntil). */
  readonly cacheTtlMs?: number;
  /** Current time in ms; tests move it. */
  readonly clock?: () => number;
}

/** Turns a bearer token into the Caller it proves, or throws a ConnectError. */
export interface TokenVerifier {
  /** Verifies signature, algorithm, times and claims; Unauthenticated on any token problem. */
  verify(token: string): Promise<Caller>;
}

// Real tokens are well under 1 KB; a cap keeps garbage out of the parser and the cache.
const MAX_TOKEN_LENGTH = 8192;

/** Creates a verifier for EdDSA JWTs whose keys come from `keySet`, with a small cache of verified tokens. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { keySet, issuer, audience, clockTolerance } = options;
  const cacheSize = options.cacheSize ?? 10_000;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const clock = options.clock ?? Date.now;
  const cache = new Map<string, { caller: Caller; until: number }>();
  const inFlight = new Map<string, Promise<Caller>>();

  // Key-set outages are the server's problem, not the token's: report them as Unavailable (retryable).
  const getKey: KeySet = async (header, token) => {
    // Every token names its key, even while the JWKS holds only one: a token that passed by being
    // the only candidate would break the day a second key is published, and could not be told
    // apart from a token of a key since removed.
    if (typeof header.kid !== "string" || header.kid === "") throw unauthenticated("missing kid");
    try {
      return await keySet(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
      if (err instanceof errors.JOSENotSupported) throw err;
      throw new ConnectError("key set unavailable", Code.Unavailable, undefined, undefined, err);
    }
  };

  async function verifyUncached(token: string): Promise<Caller> {
    const now = clock();
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: ["EdDSA"],
      requiredClaims: ["exp"],
      currentDate: new Date(now),
      ...(issuer !== undefined && { issuer }),
      ...(audience !== undefined && { audience }),
      ...(clockTolerance !== undefined && { clockTolerance }),
    });
    const caller = callerFromClaims(payload);
    // Never remember a token past its exp, nor past the moment the key set re-checks the keys
    // it was verified with: a key removed from the JWKS must not live on in the cache.
    const until = Math.min((payload.exp as number) * 1000, now + cacheTtlMs, keySet.validUntil?.() ?? Infinity);
    if (until > now) {
      cache.set(token, { caller, until });
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return caller;
  }

  return {
    async verify(token) {
      if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw unauthenticated("malformed");
      }
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (clock() < hit.until) {
          cache.delete(token); // re-insert: most recently used goes last, evictions take the oldest
          cache.set(token, hit);
          return hit.caller;
        }
        cache.delete(token);
      }
      let pending = inFlight.get(token);
      if (pending === undefined) {
        // Concurrent requests with one new token share a single verification.
        pending = verifyUncached(token).catch((err: unknown) => {
          throw toConnectError(err);
        });
        inFlight.set(token, pending);
        void pending.then(
          () => inFlight.delete(token),
          () => inFlight.delete(token),
        );
      }
      return pending;
    },
  };
}

function callerFromClaims(payload: JWTPayload): Caller {
  const { sub, tenant_id: tenantId, role, permissions } = payload;
  if (typeof sub !== "string" || sub.length === 0) throw unauthenticated("claim sub");
  if (!isUuid(tenantId)) throw unauthenticated("claim tenant_id");
  if (!isRole(role)) throw unauthenticated("claim role");
  if (permissions !== undefined && !(Array.isArray(permissions) && permissions.every((p) => typeof p === "string"))) {
    throw unauthenticated("claim permissions");
  }
  return Object.freeze({
    subject: sub,
    tenantId: tenantId.toLowerCase(),
    role,
    permissions: Object.freeze([...((permissions as string[] | undefined) ?? [])]),
  });
}
