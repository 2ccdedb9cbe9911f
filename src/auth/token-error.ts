import { Code, ConnectError } from "@connectrpc/connect";
import { errors } from "jose";

/** Maps a jose (or any) verification failure to Unauthenticated with a short, fixed reason that never echoes the token. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof errors.JWTExpired) return unauthenticated("expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "nbf") return unauthenticated("not yet valid");
    if (err.claim === "iss") return unauthenticated("issuer");
    if (err.claim === "aud") return unauthenticated("audience");
    if (err.reason === "missing") return unauthenticated(`missing ${err.claim}`);
    return unauthenticated(`claim ${err.claim}`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return unauthenticated("algorithm");
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated("signature");
  if (err instanceof errors.JWKSNoMatchingKey) return unauthenticated("unknown key");
  if (err instanceof errors.JWKSMultipleMatchingKeys) return unauthenticated("ambiguous key");
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return unauthenticated("malformed");
  return unauthenticated("unverifiable");
}

/** Unauthenticated "invalid token: <reason>". */
export function unauthenticated(reason: string): ConnectError {
  return new ConnectError(`invalid token: ${reason}`, Code.Unauthenticated);
}
