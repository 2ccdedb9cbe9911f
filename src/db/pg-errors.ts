import { AbortedError, UnavailableError } from "../domain/errors.js";

/** PostgreSQL error codes the repositories translate into domain errors. */
export const PgError = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  /** An ON DELETE RESTRICT foreign key refused the delete. */
  restrictViolation: "23001",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
} as const;

/** The SQLSTATE and constraint of a node-postgres error, if it is one. */
export function pgErrorOf(err: unknown): { code: string; constraint: string | undefined } | undefined {
  if (typeof err !== "object" || err === null || !("code" in err) || typeof err.code !== "string") return undefined;
  const constraint = "constraint" in err && typeof err.constraint === "string" ? err.constraint : undefined;
  return { code: err.code, constraint };
}

// The server going away or refusing sessions: connection_exception (class 08), admin_shutdown,
// crash_shutdown, cannot_connect_now (starting up or shutting down), too_many_connections.
const UNAVAILABLE_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
// The socket failing under node-postgres.
const UNAVAILABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// node-postgres's own errors for a connection that ended or never came up.
const UNAVAILABLE_MESSAGES = /^Connection terminated|is not queryable|timeout exceeded when trying to connect/;

/**
 * A database error as the domain error it means for the caller: the database unreachable or
 * restarting is UnavailableError (retry later), a deadlock or serialization failure AbortedError
 * (retry now); anything else is returned as it is, for the repositories to interpret.
 */
export function databaseErrorOf(err: unknown): unknown {
  const code = pgErrorOf(err)?.code;
  if (code === PgError.deadlockDetected || code === PgError.serializationFailure) {
    return new AbortedError("a concurrent change got in the way; try again", { cause: err });
  }
  const message = err instanceof Error ? err.message : "";
  if ((code !== undefined && (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) || UNAVAILABLE_MESSAGES.test(message)) {
    return new UnavailableError("the database is unavailable; try again", 1, { cause: err });
  }
  return err;
}
