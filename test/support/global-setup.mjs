import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Gives every test file a real PostgreSQL: TEST_DATABASE_URL when set (an admin URL of an
 * existing server), otherwise an embedded PostgreSQL started once for the whole run.
 * Node loads this file natively, so the service's module is imported as TypeScript source.
 */
export default async function globalSetup() {
  if (process.env.TEST_DATABASE_URL) return;
  const { startEmbeddedPostgres } = await import("../../src/db/embedded-postgres.ts");
  const dir = mkdtempSync(path.join(os.tmpdir(), "device-registry-pg-"));
  chmodSync(dir, 0o755);
  const db = await startEmbeddedPostgres(dir);
  globalThis.embeddedPostgres = { db, dir };
  process.env.TEST_DATABASE_URL = db.url;
}
