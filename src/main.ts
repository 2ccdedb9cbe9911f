// First: on an old Node.js this stops with one line before the other modules run.
import "./node-version.js";
import type { Logger } from "pino";
import { createApp } from "./app.js";
import { createKeySet } from "./auth/key-set.js";
import { loadOrCreateDevKey } from "./auth/dev-key.js";
import { createTokenVerifier } from "./auth/token-verifier.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { openDatabase } from "./database.js";
import { migrate } from "./db/migrate.js";
import { UnavailableError } from "./domain/errors.js";
import type { OutboxRelay } from "./events/outbox-relay.js";
import { loadOrCreateDevCa } from "./pki/dev-ca.js";
import { IssuingCa, type IssuingCaPem } from "./pki/issuing-ca.js";
import { createLogger } from "./observability/logger.js";
import { createMetrics, type RelayMetrics } from "./observability/metrics.js";
import { startKafkaRelay } from "./relay.js";

/** Reads the configuration once, wires the service, listens, and shuts down on SIGTERM/SIGINT. */
async function main(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  // Node prints process warnings to stderr as text; here they become log lines like the others.
  process.removeAllListeners("warning");
  process.on("warning", (warning) => logger.warn({ warning: { name: warning.name, message: warning.message } }, "process warning"));

  let jwks: string;
  if (config.authJwks !== undefined) {
    jwks = config.authJwks;
  } else {
    const dev = await loadOrCreateDevKey(config.dataDir);
    jwks = dev.jwksPath;
    logger.warn(
      { jwks },
      "AUTH_JWKS not set: DEV MODE authentication with a local key; mint tokens with `npm run token -- --tenant <uuid> --role tenant_admin`. Never run like this in production.",
    );
  }
  const verifier = createTokenVerifier({
    keySet: createKeySet(jwks),
    ...(config.authIssuer === undefined ? {} : { issuer: config.authIssuer }),
    ...(config.authAudience === undefined ? {} : { audience: config.authAudience }),
  });
  if (config.hubs.length === 0) {
    logger.warn("HUBS not set: devices get no hub (empty hub_url, hub_url_static_cert and mqtt_hub_url); list the hub pool in HUBS");
  }
  const database = await openDatabase(config, logger);
  // The first queries: a database that cannot be used stops startup here, and the line says so.
  const applied = await migrate(database.pool).catch((err: unknown) => {
    // The driver's reason (e.g. ECONNREFUSED), not the retry advice the service gives its callers.
    const reason = err instanceof UnavailableError && err.cause instanceof Error ? err.cause : (err as Error);
    throw new Error(`database: ${reason.message}`, { cause: err });
  });
  if (applied.length > 0) logger.info({ applied }, "migrations applied");
  const metrics = createMetrics(database.pool);
  const relay = startRelay(config, database.url, logger, metrics.relay);

  const issuingCa = await IssuingCa.load(config.issuingCa ?? (await devIssuingCa(config, logger)), config.deviceCertValidityMs, config.crlUrl);

  const server = await createApp({ pool: database.pool, verifier, logger, issuingCa, relay, config, metrics });
  const address = await server.listen(config.port, config.host);

  // Health turns NOT_SERVING, the server stops accepting and lets in-flight calls finish (forced
  // after 10 s), the relay finishes its batch, then the pool (and the embedded PostgreSQL) closes.
  const shutdown = async (signal: string) => {
    logger.info({ signal }, "shutting down");
    await server.close();
    await relay?.stop();
    await database.close();
    logger.info("stopped");
    process.exit(0);
  };
  // One shutdown however many signals arrive: the grace period already bounds it, and a second run
  // would close the pool twice.
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => void (stopping ??= shutdown(signal));
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Only now: whoever waits for this line may signal at once, and must not meet the default action.
  logger.info({ port: address.port, tls: config.tls !== undefined }, "device registry listening");
}

/** Dev mode's issuing CA under the data folder, generated on first use; logged, as it is not for production. */
async function devIssuingCa(config: Config, logger: Logger): Promise<IssuingCaPem> {
  const dev = await loadOrCreateDevCa(config.dataDir);
  logger.warn(
    { caCert: dev.certPath, created: dev.created },
    `ISSUING_CA_CERT not set: DEV MODE issuing CA ${dev.created ? "generated" : "loaded"} under the data folder signs device certificates. Never run like this in production.`,
  );
  return dev.pem;
}

/** The outbox relay to Kafka, or none (events wait in the outbox) when no brokers are configured. */
function startRelay(config: Config, databaseUrl: string, logger: Logger, metrics: RelayMetrics): OutboxRelay | undefined {
  if (config.kafkaBrokers.length === 0) {
    logger.warn("KAFKA_BROKERS not set: events wait in the outbox table until a relay publishes them");
    return undefined;
  }
  const relay = startKafkaRelay({
    kafka: {
      brokers: config.kafkaBrokers,
      topic: config.kafkaTopic,
      partitions: config.kafkaTopicPartitions,
      replicationFactor: config.kafkaReplicationFactor,
    },
    databaseUrl,
    logger,
    metrics,
    retentionMs: config.outboxRetentionMs,
  });
  logger.info({ brokers: config.kafkaBrokers, topic: config.kafkaTopic }, "relaying events to Kafka");
  return relay;
}

try {
  await main(loadConfig());
} catch (err) {
  // One clear line, before listening: a configuration or startup error is fatal.
  const message = err instanceof ConfigError ? `configuration error: ${err.message}` : `startup failed: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
