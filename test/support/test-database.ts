import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { migrate } from "../../src/db/migrate.js";
import { createPool } from "../../src/db/pool.js";

/** A fresh, migrated database of its own for one test file. */
export interface TestDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env["TEST_DATABASE_URL"];
  if (!url) throw new Error("TEST_DATABASE_URL is not set: run the tests through jest's globalSetup");
  return url;
}

/**
 * Creates a database named after a random suffix on the test server (or the server of `serverUrl`,
 * an admin URL); `migrated: false` leaves it empty.
 */
export async function createTestDatabase({ migrated = true, serverUrl = adminUrl() } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 20, pino({ level: "silent" }));
  if (migrated) await migrate(pool);
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Rows in the three tables a registration writes: what a refused request must leave unchanged. */
export async function registrationRowCounts(pool: pg.Pool): Promise<{ devices: number; credentials: number; outbox: number }> {
  const { rows } = await pool.query(
    `SELECT (SELECT count(*) FROM devices)::int AS devices,
            (SELECT count(*) FROM device_credentials)::int AS credentials,
            (SELECT count(*) FROM outbox)::int AS outbox`,
  );
  return rows[0];
}
