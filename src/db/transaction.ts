import type pg from "pg";

/** What a repository sends its statements to: the pool (each statement on its own) or one transaction's client. */
export type Executor = Pick<pg.ClientBase, "query">;

/** Runs `work` in one transaction on one pooled client: committed if it resolves, rolled back if it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
