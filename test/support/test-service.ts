import { mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { createApp } from "../../src/app.js";
import { createKeySet } from "../../src/auth/key-set.js";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { defaultHttpTimeouts, defaultMaxBatchBodyBytes, type HttpTimeouts } from "../../src/config.js";
import type { ClaimRateLimits } from "../../src/db/claim-lookup.js";
import type { Hub } from "../../src/domain/hub-pool.js";
import { loadOrCreateDevCa } from "../../src/pki/dev-ca.js";
import { IssuingCa } from "../../src/pki/issuing-ca.js";
import { startKafkaRelay } from "../../src/relay.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";
import { createTestKeys, type TestKeys } from "./test-keys.js";

/** The CRL distribution point the test services' certificates name. */
export const TEST_CRL_URL = "http://crl.test/api/v1/crl";

/** The real service, listening on a loopback port, over a fresh database. */
export interface TestService {
  readonly baseUrl: string;
  readonly port: number;
  readonly db: TestDatabase;
  readonly keys: TestKeys;
  /** The CA that signs device certificates (a dev CA of a temporary folder) and its certificate file. */
  readonly issuingCa: IssuingCa;
  readonly issuingCaCertPath: string;
  /** A valid token for `tenant` with the given role (default tenant_admin). */
  token(tenant: string, role?: string, permissions?: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the service as main does, minus config parsing: port 0, CORS for http://dashboard.test,
 * and with `kafka` an outbox relay polling every 200 ms.
 */
export async function startTestService(
  options: {
    maxBodyBytes?: number;
    /** Connection timeouts; the service's defaults otherwise. */
    httpTimeouts?: HttpTimeouts;
    tls?: { cert: Buffer; key: Buffer };
    kafka?: { brokers: string[]; topic: string };
    hubs?: Hub[];
    /** Claim rate limits; by default too high for any test to reach. */
    claimRateLimits?: ClaimRateLimits;
    /** Proxies whose x-forwarded-for is believed; none by default. */
    trustedProxies?: net.BlockList;
    /** A new CRL at least this often (default an hour). */
    crlRefreshMs?: number;
    /** False serves unary HTTP/2 calls through connect-node, as every other call (default: the fast path). */
    unaryFastPath?: boolean;
    /** Runs as a second replica of this service: same database and token keys, left in place on stop. */
    replicaOf?: TestService;
    /** A database of its own (e.g. on a server the test stops and starts) instead of a new one on the shared test server. */
    db?: TestDatabase;
  } = {},
): Promise<TestService> {
  const db = options.replicaOf?.db ?? options.db ?? (await createTestDatabase());
  const keys = options.replicaOf?.keys ?? (await createTestKeys());
  const logger = pino({ level: "silent" });
  const metrics = createMetrics(db.pool);
  const verifier = createTokenVerifier({ keySet: createKeySet(keys.jwksPath) });
  const devCa = await loadOrCreateDevCa(mkdtempSync(path.join(os.tmpdir(), "issuing-ca-")));
  const issuingCa = await IssuingCa.load(devCa.pem, 30 * 86_400_000, TEST_CRL_URL);
  const relay =
    options.kafka &&
    startKafkaRelay({
      kafka: { ...options.kafka, partitions: 3, replicationFactor: 1, timeoutMs: 5_000 },
      databaseUrl: db.url,
      logger,
      metrics: metrics.relay,
      pollIntervalMs: 200,
      backoffMaxMs: 1_000,
    });
  const server = await createApp({
    pool: db.pool,
    verifier,
    logger,
    relay,
    issuingCa,
    metrics,
    unaryFastPath: options.unaryFastPath,
    config: {
      corsOrigins: ["http://dashboard.test"],
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      maxBatchBodyBytes: defaultMaxBatchBodyBytes,
      httpTimeouts: options.httpTimeouts ?? defaultHttpTimeouts,
      tls: options.tls,
      hubs: options.hubs ?? [],
      claimKeyTtlMs: 86_400_000,
      claimRateLimits: options.claimRateLimits ?? { perAddress: { points: 1_000_000, seconds: 60 }, perKey: { points: 1_000_000, seconds: 60 } },
      trustedProxies: options.trustedProxies ?? new net.BlockList(),
      crlRefreshMs: options.crlRefreshMs ?? 3_600_000,
    },
  });
  const { port } = await server.listen(0, "127.0.0.1");
  return {
    baseUrl: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    db,
    keys,
    issuingCa,
    issuingCaCertPath: devCa.certPath,
    token: (tenant, role = "tenant_admin", permissions = []) => keys.token({ tenant_id: tenant, role, permissions }),
    stop: async () => {
      await server.close(100);
      await relay?.stop();
      if (!options.replicaOf) await db.drop();
    },
  };
}
