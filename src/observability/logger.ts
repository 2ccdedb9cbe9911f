import { pino, type DestinationStream, type Logger } from "pino";
import { currentRequest } from "./request-context.js";

// Secrets are never put in a log line; these paths catch one that slips into a logged object anyway.
const SECRET_KEYS = ["authorization", "api_key", "apiKey", "claim_key", "claimKey", "private_key", "privateKey", "password"];
const REDACT = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** The service's JSON logger (stdout by default): secrets redacted, the request id on every line logged during a request. */
export function createLogger(level: string, destination: DestinationStream = pino.destination(1)): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: "[redacted]" },
      mixin: () => {
        const request = currentRequest();
        return request === undefined ? {} : { requestId: request.requestId };
      },
    },
    destination,
  );
}
