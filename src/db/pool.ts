import pg from "pg";

/** Creates the node-postgres pool every repository shares. */
export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: "device-registry" });
  // An idle client losing its connection must not crash the process; the next checkout reconnects.
  pool.on("error", () => undefined);
  return pool;
}
