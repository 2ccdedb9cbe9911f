import { rmSync } from "node:fs";

/** Stops the embedded PostgreSQL of global-setup and removes its data folder. */
export default async function globalTeardown() {
  const embedded = globalThis.embeddedPostgres;
  if (!embedded) return;
  await embedded.db.stop();
  rmSync(embedded.dir, { recursive: true, force: true });
}
