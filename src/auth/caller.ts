import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { HandlerContext } from "@connectrpc/connect";

/**
 * The roles a JWT may carry in its `role` claim. `platform_service` is for services that serve
 * every tenant (hubs of the whole platform); it may call only what the policy grants it.
 */
export const roles = ["tenant_admin", "platform_admin", "member", "service", "platform_service"] as const;

/** A caller's role, from the token's `role` claim. */
export type Role = (typeof roles)[number];

/** The authenticated identity of one request; the tenant always comes from here, never the request. */
export interface Caller {
  /** The token's `sub`. */
  readonly subject: string;
  /** The token's `tenant_id`, a lower-case UUID. */
  readonly tenantId: string;
  readonly role: Role;
  /** The token's `permissions`; empty when the claim is absent. */
  readonly permissions: readonly string[];
}

/** Context key under which the JWT interceptor stores the Caller for the handler. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "caller" });

/** Returns the request's authenticated Caller; throws Unauthenticated if the interceptor set none. */
export function callerOf(context: HandlerContext): Caller {
  const caller = context.values.get(callerKey);
  // Reaching a handler without a Caller means the route skipped JWT auth: refuse, never guess a tenant.
  if (caller === undefined) throw new ConnectError("unauthenticated", Code.Unauthenticated);
  return caller;
}

/** Whether a value is one of the roles. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}
