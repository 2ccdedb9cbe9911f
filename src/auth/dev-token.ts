import { SignJWT } from "jose";
import type { CryptoKey } from "jose";
import { isUuid } from "../domain/validate.js";
import { isRole, roles } from "./caller.js";
import type { Role } from "./caller.js";

/** What a dev token says about its holder, and how long it lasts. */
export interface DevTokenRequest {
  readonly privateKey: CryptoKey;
  readonly kid: string;
  readonly tenantId: string;
  readonly role: Role | string;
  /** Defaults to "dev-<role>". */
  readonly subject?: string | undefined;
  readonly permissions?: readonly string[] | undefined;
  /** Lifetime in seconds (default 3600, at most 30 days). */
  readonly ttlSeconds?: number | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

const MAX_TTL_SECONDS = 30 * 24 * 3600;

/** Throws an Error with a one-line reason unless tenant, role, ttl and subject can make a valid token. */
export function checkDevTokenRequest(request: Omit<DevTokenRequest, "privateKey" | "kid">): void {
  const { tenantId, role, ttlSeconds = 3600, subject } = request;
  if (!isUuid(tenantId)) throw new Error(`tenant must be a UUID, got "${tenantId}"`);
  if (!isRole(role)) throw new Error(`role must be one of ${roles.join(", ")}, got "${role}"`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw new Error(`ttl must be an integer from 1 to ${MAX_TTL_SECONDS} seconds`);
  }
  if (subject !== undefined && subject.length === 0) throw new Error("sub must not be empty");
}

/** Signs a dev-mode JWT (EdDSA, kid header, exp, iat, sub, tenant_id, role, permissions); throws on bad input. */
export async function mintDevToken(request: DevTokenRequest): Promise<string> {
  checkDevTokenRequest(request);
  const { tenantId, role, ttlSeconds = 3600 } = request;
  const jwt = new SignJWT({ tenant_id: tenantId.toLowerCase(), role, permissions: [...(request.permissions ?? [])] })
    .setProtectedHeader({ alg: "EdDSA", kid: request.kid, typ: "JWT" })
    .setSubject(request.subject ?? `dev-${role}`)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`);
  if (request.issuer !== undefined) jwt.setIssuer(request.issuer);
  if (request.audience !== undefined) jwt.setAudience(request.audience);
  return jwt.sign(request.privateKey);
}
