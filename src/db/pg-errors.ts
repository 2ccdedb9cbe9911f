/** PostgreSQL error codes the repositories translate into domain errors. */
export const PgError = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  /** An ON DELETE RESTRICT foreign key refused the delete. */
  restrictViolation: "23001",
  invalidTextRepresentation: "22P02",
} as const;

/** The SQLSTATE and constraint of a node-postgres error, if it is one. */
export function pgErrorOf(err: unknown): { code: string; constraint: string | undefined } | undefined {
  if (typeof err !== "object" || err === null || !("code" in err) || typeof err.code !== "string") return undefined;
  const constraint = "constraint" in err && typeof err.constraint === "string" ? err.constraint : undefined;
  return { code: err.code, constraint };
}
