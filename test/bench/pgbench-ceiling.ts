import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { INSERT_DEVICES } from "../../src/db/device-repository.js";

const run = promisify(execFile);

/** What pgbench measured. */
export interface PgbenchResult {
  readonly tps: number;
  readonly transactions: number;
  readonly failed: number;
  /** pgbench's average latency per transaction, ms. */
  readonly latencyAvgMs: number;
  readonly version: string;
  readonly command: string;
}

/**
 * pgbench's value for each parameter of INSERT_DEVICES (each an array of one element: one
 * registration per transaction), as the service would bind it for a manual registration with a
 * name, a hardware_id and nothing else. Ids and the secret hash are random per
 * transaction (computed by the server, as the service computes them in Node); `:hw` is a random
 * hardware_id; `:tenant` and `:payload` (a real device.registered event) are fixed for the run.
 * With -M prepared every `:variable` goes to the server as a bound parameter, as node-postgres does.
 */
const PARAMETERS: Readonly<Record<number, string>> = {
  1: "gen_random_uuid()",
  2: ":tenant",
  3: "('bench-' || :hw)",
  4: "('bench-' || :hw)",
  5: "'registered'",
  6: "'[]'",
  7: "'{}'",
  8: "0",
  9: "NULL",
  10: "NULL",
  11: "''",
  12: "'{}'",
  13: "NULL",
  14: "''",
  15: "false",
  16: "now()",
  17: "gen_random_uuid()",
  18: "'api_key'",
  19: "sha256(gen_random_uuid()::text::bytea)",
  20: "gen_random_uuid()",
  21: "'device.registered'",
  22: "gen_random_uuid()::text",
  23: ":payload",
  24: "now()",
  25: "''",
  26: "''",
  27: "''",
  28: "''",
  29: "NULL",
  30: "NULL",
};

/** The pgbench script of one registration: the service's statement with its parameters bound as above. */
function registrationScript(): string {
  const sql = INSERT_DEVICES.replace(/\$(\d+)/g, (_: string, n: string) => {
    const value = PARAMETERS[Number(n)];
    if (value === undefined) throw new Error(`INSERT_DEVICES has a parameter $${n} the pgbench script does not know`);
    return `ARRAY[${value}]`;
  });
  // pgbench ends a command at a newline unless the line is continued: one statement, one line.
  return `\\set hw random(1, 9000000000000000000)\n${sql.replace(/\s+/g, " ").trim()};\n`;
}

/**
 * Runs pgbench (`pgbench` on PATH, or PGBENCH) with the registration script against `databaseUrl`
 * (a migrated, dedicated database) at `clients` connections for `durationS` seconds.
 */
export async function runPgbenchCeiling(options: {
  readonly databaseUrl: string;
  readonly workDir: string;
  readonly tenantId: string;
  readonly payload: string;
  readonly clients: number;
  readonly durationS: number;
}): Promise<PgbenchResult> {
  const pgbench = process.env["PGBENCH"] ?? "pgbench";
  const script = path.join(options.workDir, "register-device.pgbench.sql");
  writeFileSync(script, registrationScript());
  const { stdout: versionOut } = await run(pgbench, ["--version"]);
  const args = [
    "--no-vacuum",
    "--protocol=prepared",
    `--client=${options.clients}`,
    `--jobs=${Math.min(options.clients, 2)}`,
    // pgbench counts its connections' setup against --time: 64 clients take ~0.8 s to authenticate
    // (SCRAM) on an idle 2-core machine and longer on a busy one, where a 1 s run did no transaction.
    `--time=${Math.max(3, Math.round(options.durationS))}`,
    `--define=tenant=${options.tenantId}`,
    `--define=payload=${options.payload}`,
    `--file=${script}`,
    options.databaseUrl,
  ];
  const { stdout } = await run(pgbench, args, { maxBuffer: 16 * 1024 * 1024, timeout: (options.durationS + 120) * 1000 });
  const tps = /tps = ([\d.]+)/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  const failed = /number of failed transactions: (\d+)/.exec(stdout);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  return {
    tps: Number(tps[1]),
    transactions: Number(processed?.[1] ?? Number.NaN),
    failed: Number(failed?.[1] ?? 0),
    latencyAvgMs: Number(latency?.[1] ?? Number.NaN),
    version: versionOut.trim(),
    command: `pgbench ${args.slice(0, 5).join(" ")} -f register-device.pgbench.sql`,
  };
}
