import { pino, type DestinationStream, type Logger } from "pino";
import { currentRequest } from "./request-context.js";

// Secrets are never put in a log line; these paths catch one that slips into a logged object anyway.
const SECRET_KEYS = ["authorization", "api_key", "apiKey", "claim_key", "claimKey", "private_key", "privateKey", "password"];
const REDACT = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/**
 * The service's JSON logger (stdout by default): secrets redacted, the request id on every line
 * logged during a request. Stdout is written asynchronously: lines logged while a write is out go
 * together in the next one, off the event loop, and pino flushes what is left when the process exits.
 */
export function createLogger(level: string, destination: DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
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
