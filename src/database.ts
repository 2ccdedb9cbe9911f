import type pg from "pg";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { createPool } from "./db/pool.js";

/** The pool and how to release everything behind it. */
export interface Database {
  readonly pool: pg.Pool;
  /** Connection string, for components that need a dedicated connection. */
  readonly url: string;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL under the data folder when unset. */
export async function openDatabase(config: Pick<Config, "databaseUrl" | "dataDir" | "dbPoolSize">, logger: Logger): Promise<Database> {
  if (config.databaseUrl !== undefined) {
    const pool = createPool(config.databaseUrl, config.dbPoolSize);
    return { pool, url: config.databaseUrl, close: () => pool.end() };
  }
  // Imported only when used: the package installs SIGINT/SIGTERM handlers of its own (to stop its
  // PostgreSQL), which would cut a graceful shutdown short when an external database is used.
  const { startEmbeddedPostgres } = await import("./db/embedded-postgres.js");
  const embedded = await startEmbeddedPostgres(config.dataDir, (line) => logger.debug({ postgres: line.trim() }));
  logger.info({ dataDir: config.dataDir, address: new URL(embedded.url).host }, "DATABASE_URL not set: started embedded PostgreSQL");
  const pool = createPool(embedded.url, config.dbPoolSize);
  return {
    pool,
    url: embedded.url,
    close: async () => {
      await pool.end();
      await embedded.stop();
    },
  };
}
