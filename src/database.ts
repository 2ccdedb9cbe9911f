import type pg from "pg";
import type { Logger } from "pino";
import { ConfigError, type Config } from "./config.js";
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
    const pool = createPool(config.databaseUrl, config.dbPoolSize, logger);
    return { pool, url: config.databaseUrl, close: () => pool.end() };
  }
  // Imported only when used: the package installs SIGINT/SIGTERM handlers of its own (to stop its
  // PostgreSQL), which would cut a graceful shutdown short when an external database is used.
  const { startEmbeddedPostgres } = await import("./db/embedded-postgres.js").catch((err: unknown) => {
    // A production install (npm ci --omit=dev, the container image) has no embedded PostgreSQL.
    if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND" || !(err as Error).message.includes("embedded-postgres")) throw err;
    throw new ConfigError(
      "DATABASE_URL is not set, and the embedded PostgreSQL (a development dependency) is not installed here: set DATABASE_URL=postgres://…",
    );
  });
  const embedded = await startEmbeddedPostgres(config.dataDir, (line) => logger.debug({ postgres: line.trim() }));
  logger.warn(
    { dataDir: config.dataDir, address: new URL(embedded.url).host },
    "DATABASE_URL not set: started an embedded PostgreSQL under the data folder, for development only; set DATABASE_URL in production",
  );
  const pool = createPool(embedded.url, config.dbPoolSize, logger);
  return {
    pool,
    url: embedded.url,
    close: async () => {
      await pool.end();
      await embedded.stop();
    },
  };
}
