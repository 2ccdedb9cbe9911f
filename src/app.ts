import type { DescMethod } from "@bufbuild/protobuf";
import type pg from "pg";
import type { Logger } from "pino";
import { createJwtInterceptor } from "./auth/jwt-interceptor.js";
import type { TokenVerifier } from "./auth/token-verifier.js";
import type { Config } from "./config.js";
import { ClaimLookup } from "./db/claim-lookup.js";
import { CrlRepository } from "./db/crl-repository.js";
import { ManufacturerCaRepository } from "./db/manufacturer-ca-repository.js";
import { loadServiceKey } from "./db/service-keys.js";
import { createStore } from "./db/store.js";
import { CertificateRegistration } from "./domain/certificate-registration.js";
import { ChildService } from "./domain/child-service.js";
import { CrlPublisher } from "./domain/crl-publisher.js";
import { ClaimService } from "./domain/claim-service.js";
import { CredentialIssuer } from "./domain/credential-issuer.js";
import { DeviceAuthenticator } from "./domain/device-authenticator.js";
import { DeviceService } from "./domain/device-service.js";
import { ImportService } from "./domain/import-service.js";
import { ManufacturerCaService } from "./domain/manufacturer-ca-service.js";
import { PageTokens } from "./domain/page-token.js";
import { ProfileService } from "./domain/profile-service.js";
import type { OutboxRelay } from "./events/outbox-relay.js";
import { HealthState } from "./health/health-state.js";
import { createReadiness } from "./health/readiness.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { createRpcInterceptor } from "./observability/rpc-interceptor.js";
import type { IssuingCa } from "./pki/issuing-ca.js";
import { batchMethods, createRoutes, servedServices, services } from "./routes.js";
import { createServer, type Server } from "./server/server.js";
import { createCrlRoute } from "./service/crl-route.js";
import { createErrorInterceptor } from "./service/error-interceptor.js";
import { createServiceOpenApiDocument } from "./service/openapi-document.js";

/** What the service is built from: a migrated database, a token verifier and the HTTP settings. */
export interface AppDeps {
  readonly pool: pg.Pool;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  /** The CA that signs device client certificates. */
  readonly issuingCa: IssuingCa;
  /** Shared with the relay by main; by default the app gets a registry of its own. */
  readonly metrics?: Metrics | undefined;
  /** This process's outbox relay, whose state readiness reports; undefined without Kafka. */
  readonly relay?: Pick<OutboxRelay, "state"> | undefined;
  /** False serves unary HTTP/2 calls through connect-node too (the fast path is compared with it). */
  readonly unaryFastPath?: boolean | undefined;
  readonly config: Pick<
    Config,
    | "corsOrigins"
    | "maxBodyBytes"
    | "maxBatchBodyBytes"
    | "httpTimeouts"
    | "tls"
    | "hubs"
    | "claimKeyTtlMs"
    | "claimRateLimits"
    | "trustedProxies"
    | "crlRefreshMs"
  >;
}

/** Wires repositories, domain services, interceptors and routes into a server not yet listening. */
export async function createApp({ pool, verifier, logger, issuingCa, relay, config, unaryFastPath, metrics = createMetrics(pool) }: AppDeps): Promise<Server> {
  const store = createStore(pool);
  const pageTokens = new PageTokens(await loadServiceKey(pool, "page_token"));
  const devices = new DeviceService(store, pageTokens, config.hubs, new CredentialIssuer(issuingCa));
  const manufacturerCaRepository = new ManufacturerCaRepository(pool);
  const health = new HealthState(servedServices.map((service) => service.typeName));
  const maxBodyBytes = (method: DescMethod) => (batchMethods.has(method) ? config.maxBatchBodyBytes : config.maxBodyBytes);
  const routes = createRoutes({
    devices,
    profiles: new ProfileService(store.profiles, pageTokens),
    imports: new ImportService(store, pageTokens, config.claimKeyTtlMs),
    authenticator: new DeviceAuthenticator(store.credentials),
    claims: new ClaimService(devices, new ClaimLookup(pool, config.claimRateLimits), store),
    trustedProxies: config.trustedProxies,
    children: new ChildService(devices, store.devices),
    manufacturerCas: new ManufacturerCaService(manufacturerCaRepository, pageTokens),
    certificateRegistration: new CertificateRegistration(devices, store, manufacturerCaRepository),
    health,
    maxBodyBytes,
  });
  const server = createServer({
    routes,
    restServices: services,
    interceptors: [
      createRpcInterceptor(metrics.rpc),
      createJwtInterceptor({ verifier }),
      createErrorInterceptor((err, procedure) => logger.error({ err, procedure }, "unexpected error")),
    ],
    corsOrigins: config.corsOrigins,
    maxBodyBytes,
    defaultMaxBodyBytes: config.maxBodyBytes,
    httpTimeouts: config.httpTimeouts,
    tls: config.tls,
    metrics: metrics.registry,
    requestLogger: logger,
    openApiDocument: createServiceOpenApiDocument(services),
    plainRoutes: [
      createCrlRoute(new CrlPublisher(new CrlRepository(pool), issuingCa, config.crlRefreshMs), (err) => logger.error({ err }, "CRL not produced")),
    ],
    readiness: createReadiness({ pool, health, relay, logger }),
    unaryFastPath,
  });
  return {
    listen: (port, host) => server.listen(port, host),
    // Health answers NOT_SERVING and /readyz 503 from the moment shutdown begins.
    close: (graceMs) => {
      health.shutDown();
      return server.close(graceMs);
    },
  };
}
