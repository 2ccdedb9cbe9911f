import { AbortedError, UnavailableError } from "../../src/domain/errors.js";
import { databaseErrorOf } from "../../src/db/pg-errors.js";

/** An error shaped as node-postgres raises it: a server error with its SQLSTATE, or a socket error with its errno code. */
const pgError = (code: string, message = "from the server") => Object.assign(new Error(message), { code });

describe("database errors as domain errors", () => {
  test.each([
    ["57P01 admin_shutdown", pgError("57P01")],
    ["57P02 crash_shutdown", pgError("57P02")],
    ["57P03 cannot_connect_now", pgError("57P03", "the database system is starting up")],
    ["08006 connection_failure", pgError("08006")],
    ["53300 too_many_connections", pgError("53300")],
    ["ECONNREFUSED", pgError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")],
    ["ECONNRESET", pgError("ECONNRESET", "read ECONNRESET")],
    ["a terminated connection", new Error("Connection terminated unexpectedly")],
    ["a client no longer queryable", new Error("Client has encountered a connection error and is not queryable")],
  ])("%s is UnavailableError, retry after 1 s, with the cause kept", (_, err) => {
    const mapped = databaseErrorOf(err);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped).toMatchObject({ message: "the database is unavailable; try again", retryAfterSeconds: 1, cause: err });
  });

  test.each([
    ["40P01 deadlock_detected", pgError("40P01")],
    ["40001 serialization_failure", pgError("40001")],
  ])("%s is AbortedError", (_, err) => {
    expect(databaseErrorOf(err)).toBeInstanceOf(AbortedError);
  });

  test.each([
    ["23505 unique_violation", pgError("23505")],
    ["23503 foreign_key_violation", pgError("23503")],
    ["22P02 invalid_text_representation", pgError("22P02")],
    ["a programming error", new TypeError("x is not a function")],
  ])("%s is left as it is, for the repository to interpret", (_, err) => {
    expect(databaseErrorOf(err)).toBe(err);
  });
});
