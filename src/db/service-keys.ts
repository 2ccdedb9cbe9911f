import type pg from "pg";

/** Reads a key that migrations generated once for all replicas. */
export async function loadServiceKey(pool: pg.Pool, name: string): Promise<Buffer> {
  const result = await pool.query<{ key: Buffer }>(`SELECT key FROM service_keys WHERE name = $1`, [name]);
  const row = result.rows[0];
  if (!row) throw new Error(`service key "${name}" is missing: are migrations applied?`);
  return row.key;
}
