import pg from "pg";
import type { Logger } from "pino";
import { databaseErrorOf } from "./pg-errors.js";

type Callback = (err: unknown, ...results: unknown[]) => void;

/**
 * A client whose every error passes through databaseErrorOf, whether the call takes a callback
 * (as pg-pool's connect and query do) or returns a promise: the repositories above see a lost
 * database as UnavailableError, a deadlock as AbortedError, and everything else unchanged.
 */
class DatabaseClient extends pg.Client {
  override connect(...args: unknown[]): any {
    return translated((rest) => (pg.Client.prototype.connect as AnyMethod).apply(this, rest), args);
  }

  override query(...args: unknown[]): any {
    return translated((rest) => (pg.Client.prototype.query as AnyMethod).apply(this, rest), args);
  }
}

type AnyMethod = (...args: unknown[]) => unknown;

function translated(call: (args: unknown[]) => unknown, args: unknown[]): unknown {
  const last = args[args.length - 1];
  if (typeof last === "function") {
    const callback = last as Callback;
    return call([...args.slice(0, -1), (err: unknown, ...results: unknown[]) => callback(err ? databaseErrorOf(err) : err, ...results)]);
  }
  const result = call(args);
  return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(databaseErrorOf(err))) : result;
}

/** Creates the node-postgres pool every repository shares. */
export function createPool(connectionString: string, max: number, logger: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: "device-registry", Client: DatabaseClient });
  // An idle client losing its connection must not crash the process; the next checkout reconnects.
  // Only the message is logged: the error never carries the connection string.
  pool.on("error", (err) => logger.warn({ err: err.message }, "idle database connection lost"));
  return pool;
}
