import { readdirSync } from "node:fs";
import { migrate, migrationsDir } from "../../src/db/migrate.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

const migrationFiles = readdirSync(migrationsDir)
  .filter((f) => f.endsWith(".sql"))
  .sort();

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  test("replicas migrating at once apply each migration exactly once", async () => {
    expect(migrationFiles.length).toBeGreaterThanOrEqual(4);
    const results = await Promise.all([migrate(db.pool), migrate(db.pool), migrate(db.pool)]);
    const applied = results.flat();
    expect(applied).toEqual(migrationFiles);
    const rows = await db.pool.query("SELECT name FROM schema_migrations ORDER BY name");
    expect(rows.rows.map((r) => r.name)).toEqual(migrationFiles);
    const keys = await db.pool.query("SELECT length(key) AS n FROM service_keys WHERE name = 'page_token'");
    expect(keys.rows).toEqual([{ n: 32 }]);
  });

  test("a second run applies nothing", async () => {
    await expect(migrate(db.pool)).resolves.toEqual([]);
  });
});
