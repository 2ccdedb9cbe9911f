import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type net from "node:net";
import type { ClaimRateLimits } from "./db/claim-lookup.js";
import { parseHubList, type Hub } from "./domain/hub-pool.js";
import { checkIssuingCa, type IssuingCaPem } from "./pki/issuing-ca.js";
import { trustedProxyList } from "./server/client-address.js";
import { CRL_PATH } from "./service/crl-route.js";

/** Service configuration, read once from the environment by {@link loadConfig}. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Folder for the embedded PostgreSQL, dev keys and other local state. */
  readonly dataDir: string;
  /** PostgreSQL URL; undefined starts the embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | undefined;
  readonly dbPoolSize: number;
  /** Kafka bootstrap brokers; empty keeps events in the outbox. */
  readonly kafkaBrokers: readonly string[];
  readonly kafkaTopic: string;
  /** Partitions and replication factor of the topic when the service creates it (-1: broker default). */
  readonly kafkaTopicPartitions: number;
  readonly kafkaReplicationFactor: number;
  /** How long published outbox rows are kept before cleanup, in ms. */
  readonly outboxRetentionMs: number;
  /** JWKS file path or http(s) URL; undefined means dev-mode auth. */
  readonly authJwks: string | undefined;
  readonly authIssuer: string | undefined;
  readonly authAudience: string | undefined;
  /** PEM certificate and key; both set enables TLS with ALPN. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** Browser origins allowed by CORS; "*" allows any. */
  readonly corsOrigins: readonly string[];
  /** Largest accepted request body in bytes. */
  readonly maxBodyBytes: number;
  /** Largest accepted body of the batch RPCs (ImportDevices, RevokeClaimKeys), in bytes. */
  readonly maxBatchBodyBytes: number;
  /** How long a connection may take over each part of an exchange. */
  readonly httpTimeouts: HttpTimeouts;
  readonly logLevel: string;
  /** How long an imported device's claim key works, in ms. */
  readonly claimKeyTtlMs: number;
  /** Hubs new devices are assigned to; empty assigns none. */
  readonly hubs: readonly Hub[];
  /** ClaimDevice attempts allowed per window, per client address and per claim key. */
  readonly claimRateLimits: ClaimRateLimits;
  /** Proxies whose x-forwarded-for names the client address (claim limits); empty trusts none. */
  readonly trustedProxies: net.BlockList;
  /** PEM certificate and key of the CA that signs device certificates; undefined generates a dev CA under dataDir. */
  readonly issuingCa: IssuingCaPem | undefined;
  /** How long a device client certificate is valid, in ms. */
  readonly deviceCertValidityMs: number;
  /** The URL of the CRL that certificates name as their distribution point. */
  readonly crlUrl: string;
  /** A new CRL is signed at least this often, in ms (and whenever a certificate is revoked). */
  readonly crlRefreshMs: number;
}

/** Bounds on the time a connection may take, in ms (slow clients must not hold connections forever). */
export interface HttpTimeouts {
  /** From the connection's first byte, or the end of the previous request, to the end of the request's headers. */
  readonly headersMs: number;
  /** From the start of a request to the last byte of its body (HTTP/2: per stream). */
  readonly requestMs: number;
  /** An HTTP/1.1 connection between requests. */
  readonly keepAliveMs: number;
  /** An HTTP/2 connection without open streams, before it is closed with GOAWAY. */
  readonly idleMs: number;
}

/** The defaults of HTTP_*_TIMEOUT_SECONDS. */
export const defaultHttpTimeouts: HttpTimeouts = Object.freeze({ headersMs: 20_000, requestMs: 120_000, keepAliveMs: 5_000, idleMs: 120_000 });

/** The default of MAX_BATCH_BODY_BYTES: 10,000 entries with every string at its maximum length need about 45 MB. */
export const defaultMaxBatchBodyBytes = 64 * 1024 * 1024;

/** A configuration value that cannot be used; main prints it as one line and exits. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const tlsCert = optional(env, "TLS_CERT");
  const tlsKey = optional(env, "TLS_KEY");
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError("TLS_CERT and TLS_KEY must be set together");
  }
  const caCert = optional(env, "ISSUING_CA_CERT");
  const caKey = optional(env, "ISSUING_CA_KEY");
  if ((caCert === undefined) !== (caKey === undefined)) {
    throw new ConfigError("ISSUING_CA_CERT and ISSUING_CA_KEY must be set together");
  }
  if (env["ISSUING_CA_KEY_PASSPHRASE"] && caKey === undefined) throw new ConfigError("ISSUING_CA_KEY_PASSPHRASE is set without ISSUING_CA_KEY");
  if (optional(env, "KAFKA_REPLICATION_FACTOR") === "0") throw new ConfigError("KAFKA_REPLICATION_FACTOR must be -1 or at least 1");
  const databaseUrl = optional(env, "DATABASE_URL");
  if (databaseUrl !== undefined) url(databaseUrl, "DATABASE_URL", ["postgres:", "postgresql:"]);
  const authJwks = optional(env, "AUTH_JWKS");
  if (authJwks !== undefined && /^[a-z]+:\/\//i.test(authJwks)) url(authJwks, "AUTH_JWKS", ["http:", "https:"]);
  const port = integer(env, "PORT", 8080, 0, 65535);
  const crlUrl = optional(env, "CRL_URL");
  if (crlUrl !== undefined) url(crlUrl, "CRL_URL", ["http:", "https:"]);
  return Object.freeze({
    port,
    host: optional(env, "HOST") ?? "0.0.0.0",
    dataDir: path.resolve(optional(env, "DATA_DIR") ?? ".data"),
    databaseUrl,
    dbPoolSize: integer(env, "DB_POOL_SIZE", 20, 1, 1000),
    kafkaBrokers: list(env, "KAFKA_BROKERS"),
    kafkaTopic: optional(env, "KAFKA_TOPIC") ?? "device-events",
    kafkaTopicPartitions: integer(env, "KAFKA_TOPIC_PARTITIONS", 12, 1, 10_000),
    kafkaReplicationFactor: integer(env, "KAFKA_REPLICATION_FACTOR", -1, -1, 32),
    outboxRetentionMs: integer(env, "OUTBOX_RETENTION_HOURS", 24, 0, 24 * 365) * 3600_000,
    authJwks,
    authIssuer: optional(env, "AUTH_ISSUER"),
    authAudience: optional(env, "AUTH_AUDIENCE"),
    tls: tlsCert && tlsKey ? tls(tlsCert, tlsKey) : undefined,
    corsOrigins: corsOrigins(list(env, "CORS_ORIGINS")),
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxBatchBodyBytes: integer(env, "MAX_BATCH_BODY_BYTES", defaultMaxBatchBodyBytes, 1024, 1024 * 1024 * 1024),
    httpTimeouts: httpTimeouts(env),
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    hubs: hubs(optional(env, "HUBS")),
    claimKeyTtlMs: integer(env, "CLAIM_KEY_TTL_DAYS", 90, 1, 3650) * 86_400_000,
    claimRateLimits: claimRateLimits(env),
    trustedProxies: trustedProxies(env),
    issuingCa: caCert && caKey ? issuingCa(caCert, caKey, env["ISSUING_CA_KEY_PASSPHRASE"] || undefined) : undefined,
    deviceCertValidityMs: integer(env, "DEVICE_CERT_VALIDITY_DAYS", 365, 1, 3650) * 86_400_000,
    // Hubs fetch it from where they reach the service: set CRL_URL to that address.
    crlUrl: crlUrl ?? `${tlsCert ? "https" : "http"}://localhost:${port}${CRL_PATH}`,
    crlRefreshMs: integer(env, "CRL_REFRESH_MINUTES", 60, 1, 7 * 24 * 60) * 60_000,
  });
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function list(env: Env, name: string): string[] {
  return (optional(env, name) ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  // Digits only: Number() would also take "8e3" or "0x1F90".
  const value = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function url(raw: string, name: string, protocols: string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(" or ")}, got ${parsed.protocol}`);
  }
  return parsed;
}

function file(filePath: string, name: string): Buffer {
  try {
    return readFileSync(filePath);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${filePath} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/**
 * ISSUING_CA_CERT / ISSUING_CA_KEY: PEM files of a CA certificate and its own private key, which
 * may be kept encrypted at rest and opened with ISSUING_CA_KEY_PASSPHRASE.
 */
function issuingCa(certPath: string, keyPath: string, passphrase: string | undefined): IssuingCaPem {
  const pem = { certPem: file(certPath, "ISSUING_CA_CERT").toString("utf8"), keyPem: file(keyPath, "ISSUING_CA_KEY").toString("utf8"), passphrase };
  try {
    checkIssuingCa(pem);
  } catch (err) {
    throw new ConfigError(`ISSUING_CA_CERT / ISSUING_CA_KEY${passphrase === undefined ? "" : " / ISSUING_CA_KEY_PASSPHRASE"}: ${(err as Error).message}`);
  }
  return pem;
}

/** CLAIM_RATE_LIMIT_*: a factory batch behind one NAT address claims at up to 10/s by default. */
function claimRateLimits(env: Env): ClaimRateLimits {
  const seconds = integer(env, "CLAIM_RATE_LIMIT_WINDOW_SECONDS", 60, 1, 86_400);
  return {
    perAddress: { points: integer(env, "CLAIM_RATE_LIMIT_PER_ADDRESS", 600, 1, 1_000_000_000), seconds },
    perKey: { points: integer(env, "CLAIM_RATE_LIMIT_PER_KEY", 10, 1, 1_000_000_000), seconds },
  };
}

/** HTTP_*_TIMEOUT_SECONDS: Node.js refuses a headers timeout longer than the request timeout. */
function httpTimeouts(env: Env): HttpTimeouts {
  const seconds = (name: string, fallbackMs: number) => integer(env, name, fallbackMs / 1000, 1, 86_400) * 1000;
  const timeouts = {
    headersMs: seconds("HTTP_HEADERS_TIMEOUT_SECONDS", defaultHttpTimeouts.headersMs),
    requestMs: seconds("HTTP_REQUEST_TIMEOUT_SECONDS", defaultHttpTimeouts.requestMs),
    keepAliveMs: seconds("HTTP_KEEP_ALIVE_TIMEOUT_SECONDS", defaultHttpTimeouts.keepAliveMs),
    idleMs: seconds("HTTP_IDLE_TIMEOUT_SECONDS", defaultHttpTimeouts.idleMs),
  };
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS (${timeouts.requestMs / 1000}), got "${timeouts.headersMs / 1000}"`,
    );
  }
  return Object.freeze(timeouts);
}

/** TRUSTED_PROXIES: comma-separated IP addresses and CIDR ranges of the proxies in front. */
function trustedProxies(env: Env): net.BlockList {
  try {
    return trustedProxyList(list(env, "TRUSTED_PROXIES"));
  } catch (err) {
    throw new ConfigError(`TRUSTED_PROXIES: ${(err as Error).message}`);
  }
}

function oneOf(env: Env, name: string, fallback: string, allowed: readonly string[]): string {
  const value = optional(env, name) ?? fallback;
  if (!allowed.includes(value)) throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  return value;
}

/** TLS_CERT / TLS_KEY: PEM files of the server certificate (chain first) and its private key. */
function tls(certPath: string, keyPath: string): { cert: Buffer; key: Buffer } {
  const cert = file(certPath, "TLS_CERT");
  const key = file(keyPath, "TLS_KEY");
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`TLS_CERT: ${certPath} is not a PEM certificate`);
  }
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`TLS_KEY: ${keyPath} is not an unencrypted PEM private key`);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new ConfigError("TLS_KEY is not the private key of TLS_CERT");
  return { cert, key };
}

/**
 * CORS_ORIGINS: browser origins exactly as browsers send them in `Origin` (scheme, host and port
 * only: no path, no trailing slash), or `*` alone.
 */
function corsOrigins(origins: readonly string[]): string[] {
  if (origins.includes("*")) {
    if (origins.length > 1) throw new ConfigError('CORS_ORIGINS: "*" allows any origin and cannot be combined with others');
    return ["*"];
  }
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !["http:", "https:"].includes(parsed.protocol) || parsed.origin !== origin) {
      const hint = parsed !== undefined && ["http:", "https:"].includes(parsed.protocol) ? `; did you mean "${parsed.origin}"?` : "";
      throw new ConfigError(
        `CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com or http://localhost:5173 (scheme, host and port only)${hint}`,
      );
    }
  }
  return [...origins];
}

/** HUBS: a JSON array inline, or the path of a file holding one. */
function hubs(raw: string | undefined): Hub[] {
  if (raw === undefined) return [];
  const json = raw.startsWith("[") ? raw : file(raw, "HUBS").toString("utf8");
  try {
    return parseHubList(json);
  } catch (err) {
    throw new ConfigError(`HUBS ${(err as Error).message}`);
  }
}
