import { pino } from "pino";
import { loadConfig } from "../config.js";
import { openDatabase } from "../database.js";
import { migrate } from "../db/migrate.js";

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
const config = loadConfig();
const logger = pino({ level: config.logLevel });
const database = await openDatabase(config, logger);
try {
  const applied = await migrate(database.pool);
  logger.info({ applied }, applied.length > 0 ? "migrations applied" : "schema is up to date");
} finally {
  await database.close();
}
