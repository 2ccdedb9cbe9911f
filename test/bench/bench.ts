/**
 * `npm run bench [-- --duration 10 --concurrency 64 | --smoke]`
 *
 * The service's benchmark suite, in one run on this machine (everything on 127.0.0.1):
 *
 *   PostgreSQL  DATABASE_URL (an admin URL; the bench creates its own databases), else embedded
 *   Kafka       KAFKA_BROKERS, else a single-node Apache Kafka from test/kafka
 *   service     `node dist/src/main.js` with the node options of `npm start`, as its own process,
 *               relaying events to Kafka, default log level (one JSON line per request)
 *
 *  1. ceiling       pgbench running the service's own registration statement (device + credential
 *                   + outbox row), random hardware ids, at the same concurrency: tx/s
 *     framework     the floor of the gRPC loads: an empty gRPC handler on node:http2's core API
 *                   (empty-service.ts) under the same load tools as the service's gRPC loads
 *  2. register      RegisterDevice over gRPC (a node:http2 client, unique pre-encoded bodies),
 *                   Connect JSON and REST, closed loop
 *  3. import        ImportDevices of --import entries, 10,000 per call: rows/s
 *     claim         ClaimDevice with the imported claim keys (the node:http2 client): first claims,
 *                   then re-claims of the devices they created
 *     authenticate  AuthenticateDevice of a registered device (h2load, one fixed body); then credentials are rotated and the
 *                   old keys must be refused at once
 *  4. events        commit -> consumer latency at fixed rates, then the relay draining a backlog
 *                   against a plain kafkajs producer (events-bench.ts, phases A and B)
 *
 * It prints a table (each throughput also as a ratio to the pgbench ceiling) and writes it with the
 * machine, versions and method to BENCHMARKS.md. It never fails on a figure: it exits non-zero only
 * when it, or one of its phases, cannot run (the other phases still run and are reported).
 */
import { create, fromBinary, toBinary, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { randomBytes, randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { DeviceAuthService } from "../../gen/deviceregistry/v1/device_auth_service_pb.js";
import { DeviceProvisioningService } from "../../gen/deviceregistry/v1/device_provisioning_service_pb.js";
import { DeviceRegistryService } from "../../gen/deviceregistry/v1/device_registry_service_pb.js";
import { migrate } from "../../src/db/migrate.js";
import { IMPORT_MAX_ENTRIES } from "../../src/domain/import-service.js";
import { createGrpcJsClient, type GrpcJsUnary } from "../support/grpc-js-client.js";
import { startServiceProcess, type ServiceProcess } from "../support/service-process.js";
import { createTestKeys } from "../support/test-keys.js";
import { GrpcH2Client, grpcEnvelope } from "./grpc-h2-client.js";
import { runH2load } from "./grpc-h2load.js";
import { Cleanup, createDatabase, elapsedMs, progress, repoRoot, serviceMainJs, serviceNodeOptions, startStack, tempDir, type Stack } from "./bench-stack.js";
import { runClosedLoop, type LoadResult } from "./closed-loop-load.js";
import { cpuSnapshot, cpuUsage, type CpuUsage } from "./cpu.js";
import type { EventsFigures } from "./events-bench.js";
import { RegistrationClient } from "./http-load.js";
import { formatMs } from "./percentiles.js";
import { runPgbenchCeiling, type PgbenchResult } from "./pgbench-ceiling.js";
import { processTree, sampleResidentPeak } from "./process-memory.js";
import { deleteTopics } from "./timed-consumer.js";

// ---------------------------------------------------------------------------------------------
// Options

const PHASES = ["ceiling", "framework", "register", "import", "claim", "authenticate", "events"] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  readonly smoke: boolean;
  readonly durationS: number;
  readonly warmupS: number;
  readonly concurrency: number;
  /** gRPC calls in flight. */
  readonly grpcConcurrency: number;
  /** HTTP/2 connections the gRPC calls are spread over. */
  readonly grpcConnections: number;
  readonly importCount: number;
  /** Devices whose credentials are rotated after the AuthenticateDevice load. */
  readonly rotations: number;
  readonly eventsRates: readonly number[];
  readonly eventsDurationS: number;
  readonly phases: ReadonlySet<Phase>;
  readonly cpuProfDir: string | undefined;
  /** Extra node options of the service process. */
  readonly nodeArgs: readonly string[];
  /** Extra environment of the service process (NAME=value). */
  readonly serviceEnv: Readonly<Record<string, string>>;
  readonly out: string;
}

const USAGE = `usage: npm run bench -- [options]

  --duration <s>       measured seconds of each load (default 10; smoke 1)
  --warmup <s>         warm-up seconds before each load (default 2; smoke 0.3)
  --concurrency <n>    calls in flight, and pgbench clients (default 64)
  --grpc-concurrency <n> gRPC calls in flight (default 32)
  --grpc-connections <n> HTTP/2 connections the gRPC calls are spread over (default 4)
  --import <n>         ImportDevices entries, 10,000 per call (default 100000; smoke 2000)
  --rotations <n>      credentials rotated after the AuthenticateDevice load (default 200; smoke 20)
  --events-rate <n,...> registrations/s of the events latency phase, one run at each (default 1000,3000; smoke 200,600)
  --events-duration <s> length of the events phase (default 20; smoke 3)
  --phases <list>      some of ${PHASES.join(",")} (default: all)
  --cpu-prof <dir>     write a V8 CPU profile of the service into <dir>
  --node-args=<args>   extra node options of the service (e.g. --node-args=--max-semi-space-size=8)
  --service-env <n=v>  extra environment of the service, repeatable (e.g. --service-env DB_POOL_SIZE=8)
  --out <file>         the report (default BENCHMARKS.md; smoke: a temp file)
  --smoke              tiny durations and counts, well under a minute (CI)

  DATABASE_URL   admin URL of an existing PostgreSQL (default: embedded, temporary)
  KAFKA_BROKERS  existing Kafka bootstrap servers (default: a local broker, temporary)
  PGBENCH        the pgbench binary (default: pgbench on PATH)
  H2LOAD         the h2load binary (default: h2load on PATH; Debian's nghttp2-client)
`;

class UsageError extends Error {
  override name = "UsageError";
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      duration: { type: "string" },
      warmup: { type: "string" },
      concurrency: { type: "string" },
      "grpc-concurrency": { type: "string" },
      "grpc-connections": { type: "string" },
      import: { type: "string" },
      rotations: { type: "string" },
      "events-rate": { type: "string" },
      "events-duration": { type: "string" },
      phases: { type: "string" },
      "cpu-prof": { type: "string" },
      "node-args": { type: "string" },
      "service-env": { type: "string", multiple: true },
      out: { type: "string" },
      smoke: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const smoke = values.smoke === true;
  const num = (name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = false): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  const phases = new Set<Phase>();
  for (const name of (values.phases ?? PHASES.join(",")).split(",").map((p) => p.trim())) {
    if (!(PHASES as readonly string[]).includes(name)) throw new UsageError(`--phases takes some of ${PHASES.join(",")}, got "${name}"`);
    phases.add(name as Phase);
  }
  // Claims need imported keys; the rotation check needs registered devices.
  if (phases.has("claim")) phases.add("import");
  if (phases.has("authenticate")) phases.add("register");
  return {
    smoke,
    durationS: num("duration", values.duration, smoke ? 1 : 10, 0.1, 3600),
    warmupS: num("warmup", values.warmup, smoke ? 0.3 : 2, 0, 600),
    concurrency: num("concurrency", values.concurrency, 64, 1, 4096, true),
    grpcConcurrency: num("grpc-concurrency", values["grpc-concurrency"], 32, 1, 4096, true),
    grpcConnections: num("grpc-connections", values["grpc-connections"], 4, 1, 256, true),
    importCount: num("import", values.import, smoke ? 2000 : 100_000, 1, 10_000_000, true),
    rotations: num("rotations", values.rotations, smoke ? 20 : 200, 1, 100_000, true),
    eventsRates: (values["events-rate"] ?? (smoke ? "200,600" : "1000,3000")).split(",").map((r) => num("events-rate", r.trim(), 0, 1, 100_000)),
    eventsDurationS: num("events-duration", values["events-duration"], smoke ? 3 : 20, 0.1, 3600),
    phases,
    cpuProfDir: values["cpu-prof"] === undefined ? undefined : path.resolve(values["cpu-prof"]),
    nodeArgs: (values["node-args"] ?? "").split(" ").filter(Boolean),
    serviceEnv: Object.fromEntries(
      (values["service-env"] ?? []).map((pair) => {
        const at = pair.indexOf("=");
        if (at < 1) throw new UsageError(`--service-env takes NAME=value, got "${pair}"`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
    out: path.resolve(values.out ?? (smoke ? path.join(os.tmpdir(), "BENCHMARKS.smoke.md") : path.join(repoRoot(), "BENCHMARKS.md"))),
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up

interface Bench {
  readonly options: Options;
  readonly cleanup: Cleanup;
  readonly stack: Stack;
  readonly runId: string;
  readonly workDir: string;
  readonly tenantId: string;
  readonly service: ServiceProcess;
  readonly databaseUrl: string;
  readonly admin: Record<string, string>;
  readonly hub: Record<string, string>;
  readonly registry: GrpcClients;
  readonly provisioning: GrpcClients;
  readonly auth: GrpcClients;
}

/** One grpc-js client per connection; call `i` goes over connection i mod n. */
interface GrpcClients {
  call: GrpcJsUnary;
  at(index: number): { call: GrpcJsUnary };
  close(): void;
}

function grpcClients(service: DescService, address: string, connections: number): GrpcClients {
  // A local subchannel pool per client: grpc-js would otherwise share one connection between them.
  const clients = Array.from({ length: connections }, () =>
    createGrpcJsClient(service, address, grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    }),
  );
  return {
    call: clients[0]!.call,
    at: (index) => clients[index % clients.length]!,
    close: () => clients.forEach((c) => c.close()),
  };
}

let abortReason: string | undefined;
const aborted = () => abortReason !== undefined;

async function setUp(options: Options, cleanup: Cleanup): Promise<Bench> {
  const mainJs = serviceMainJs();
  const runId = randomBytes(4).toString("hex");
  const workDir = tempDir("bench-", cleanup);
  const keys = await createTestKeys("bench-key");
  cleanup.add("JWKS file", () => rmSync(path.dirname(keys.jwksPath), { recursive: true, force: true }));
  const tenantId = randomUUID();
  const adminToken = await keys.token({ tenant_id: tenantId, role: "tenant_admin", sub: "bench" });
  const hubToken = await keys.token({ tenant_id: tenantId, role: "service", sub: "bench-hub" });

  const stack = await startStack(workDir, cleanup);
  const db = await createDatabase(stack, `bench_${runId}`, cleanup);
  const topic = `bench-${runId}`;
  if (stack.broker === undefined) cleanup.add("bench topic", () => deleteTopics(stack.brokers, [topic]));
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  progress("starting the service");
  const service = await startServiceProcess(
    {
      DATABASE_URL: db.url,
      AUTH_JWKS: keys.jwksPath,
      DATA_DIR: path.join(workDir, "service"),
      KAFKA_BROKERS: stack.brokers.join(","),
      KAFKA_TOPIC: topic,
      // Every claim comes from 127.0.0.1, like a factory batch behind one NAT address: lift that limit.
      CLAIM_RATE_LIMIT_PER_ADDRESS: "1000000000",
      ...options.serviceEnv,
    },
    {
      mainJs,
      nodeArgs: [...serviceNodeOptions(), ...options.nodeArgs, ...(options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`] : [])],
    },
  );
  cleanup.add("service", () => service.kill());
  const address = `127.0.0.1:${service.port}`;
  const registry = grpcClients(DeviceRegistryService, address, options.grpcConnections);
  const provisioning = grpcClients(DeviceProvisioningService, address, options.grpcConnections);
  const auth = grpcClients(DeviceAuthService, address, options.grpcConnections);
  cleanup.add("gRPC clients", () => [registry, provisioning, auth].forEach((c) => c.close()));
  return {
    options,
    cleanup,
    stack,
    runId,
    workDir,
    tenantId,
    service,
    databaseUrl: db.url,
    registry,
    provisioning,
    auth,
    admin: { authorization: `Bearer ${adminToken}` },
    hub: { authorization: `Bearer ${hubToken}` },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring one load

/** A measured load with the machine's CPU and the service's memory during it. */
interface Measured {
  readonly load: LoadResult;
  readonly cpu: CpuUsage | undefined;
  readonly rssPeakBytes: number;
}

/** A warm-up run (not counted), then the measured run, closed loop. */
async function measure(
  bench: Bench,
  label: string,
  call: (index: number) => Promise<void | false>,
  errorKind: (err: unknown) => string,
  servicePid = bench.service.pid,
  concurrency = bench.options.concurrency,
): Promise<Measured> {
  const o = bench.options;
  progress(`${label}: warm-up ${o.warmupS} s, then ${o.durationS} s at ${concurrency} in flight`);
  let offset = 0;
  if (o.warmupS > 0) {
    const warm = await runClosedLoop({ durationMs: o.warmupS * 1000, concurrency, call, errorKind, aborted });
    offset = warm.calls + concurrency;
  }
  return sampled(bench, servicePid, () => runClosedLoop({ durationMs: o.durationS * 1000, concurrency, call: (i) => call(offset + i), errorKind, aborted }));
}

/** One fixed gRPC request from h2load: a warm-up run, then the measured one. */
async function measureH2load(
  bench: Bench,
  label: string,
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  servicePid: number,
): Promise<Measured> {
  const o = bench.options;
  progress(`${label}: h2load warm-up ${o.warmupS} s, then ${o.durationS} s at ${o.grpcConcurrency} in flight`);
  const run = (durationS: number) =>
    runH2load({
      url,
      headers: { "content-type": "application/grpc", te: "trailers", ...headers },
      body,
      connections: o.grpcConnections,
      concurrency: o.grpcConcurrency,
      durationS,
      workDir: bench.workDir,
    });
  if (o.warmupS > 0) await run(o.warmupS);
  return sampled(bench, servicePid, () => run(o.durationS));
}

/** Runs the measured load while sampling the machine's CPU and the service's memory. */
async function sampled(bench: Bench, servicePid: number, run: () => Promise<LoadResult>): Promise<Measured> {
  const tree = processTree(servicePid);
  const postgres = bench.stack.postgresPid === undefined ? undefined : processTree(bench.stack.postgresPid);
  const broker = bench.stack.broker?.pid;
  const rss = sampleResidentPeak(servicePid);
  const before = cpuSnapshot();
  const load = await run();
  const cpu = cpuUsage(before, cpuSnapshot(), [
    { name: "bench", match: (pid) => pid === process.pid },
    { name: "service", match: (pid) => tree.has(pid) },
    // Ours only where we started them: other PostgreSQL and Java processes on the machine count as "other".
    { name: "PostgreSQL", match: (pid, comm) => (postgres ? postgres.has(pid) : comm === "postgres") },
    { name: "Kafka", match: (pid, comm) => (broker === undefined ? comm === "java" : pid === broker) },
  ]);
  return { load, cpu, rssPeakBytes: rss.stop() };
}

const registerDevice = DeviceRegistryService.method.registerDevice;
const importMethod = DeviceRegistryService.method.importDevices;
const rotateMethod = DeviceRegistryService.method.rotateDeviceCredential;
const claimMethod = DeviceProvisioningService.method.claimDevice;
const authenticateMethod = DeviceAuthService.method.authenticateDevice;

const connectErrorKind = (err: unknown) => `Connect ${Code[ConnectError.from(err).code]}`;

// ---------------------------------------------------------------------------------------------
// Phases

async function ceiling(bench: Bench): Promise<PgbenchResult> {
  progress("ceiling: pgbench with the registration statement");
  // A real device.registered event as the payload: the one of a device registered through the service.
  const hardwareId = `payload-${bench.runId}`;
  await bench.registry.call(registerDevice, create(registerDevice.input, { name: hardwareId, hardwareId }), bench.admin);
  const source = new pg.Client({ connectionString: bench.databaseUrl });
  await source.connect();
  const payload = await source
    .query("SELECT payload::text FROM outbox ORDER BY id LIMIT 1")
    .then((r) => String(r.rows[0]?.payload ?? "{}"))
    .finally(() => source.end());
  // A database of its own, migrated like the service's, so the relay never sees these rows.
  const target = await createDatabase(bench.stack, `bench_${bench.runId}_ceiling`, bench.cleanup);
  await migrate(target.pool);
  return runPgbenchCeiling({
    databaseUrl: target.url,
    workDir: bench.workDir,
    tenantId: bench.tenantId,
    payload,
    clients: bench.options.concurrency,
    durationS: bench.options.durationS,
  });
}

/** The floor of the gRPC loads: the empty node:http2 handler of empty-service.ts under both load tools. */
interface Floor {
  /** h2load with one fixed AuthenticateDevice body. */
  readonly h2load: Measured;
  /** The node:http2 client with unique pre-encoded bodies. */
  readonly client: Measured;
}

async function framework(bench: Bench): Promise<Floor> {
  progress("framework: starting an empty gRPC handler on node:http2's core API");
  const empty = await startServiceProcess(
    {},
    { mainJs: path.join(path.dirname(fileURLToPath(import.meta.url)), "empty-service.js"), nodeArgs: serviceNodeOptions() },
  );
  bench.cleanup.add("empty service", () => empty.kill());
  try {
    const request = create(authenticateMethod.input, { deviceId: randomUUID(), apiKey: `sk_live_${randomBytes(32).toString("base64url")}` });
    const h2load = await measureH2load(
      bench,
      "empty gRPC handler, h2load",
      `${empty.baseUrl}${pathOf(authenticateMethod)}`,
      bench.hub,
      grpcEnvelope(toBinary(authenticateMethod.input, request)),
      empty.pid,
    );
    const client = await measureGrpcClient(
      bench,
      "empty gRPC handler, node:http2 client",
      empty,
      registerDevice,
      (i) => registration(bench, `empty-${i}`),
      () => undefined,
      empty.pid,
    );
    return { h2load, client };
  } finally {
    await empty.kill();
  }
}

const pathOf = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

/** A RegisterDevice request body, encoded. */
function registration(bench: Bench, name: string): Buffer {
  const hardwareId = `${name}-${bench.runId}`;
  return grpcEnvelope(toBinary(registerDevice.input, create(registerDevice.input, { name: hardwareId, hardwareId })));
}

/**
 * Unique requests from the node:http2 client, closed loop: the bodies of the warm-up and of the
 * measured run are encoded before each run starts, so the load generator only frames and sends.
 */
async function measureGrpcClient(
  bench: Bench,
  label: string,
  target: ServiceProcess,
  method: DescMethod,
  body: (index: number) => Buffer | undefined,
  check: (reply: Buffer, index: number) => void,
  servicePid = target.pid,
  headers = bench.admin,
): Promise<Measured> {
  const o = bench.options;
  const client = new GrpcH2Client(target.baseUrl, o.grpcConnections, headers);
  try {
    // Enough bodies for 30,000 calls/s, encoded up front (and fewer when the source runs out).
    const bodies: Buffer[] = [];
    for (let i = 0; i < Math.ceil(30_000 * (o.warmupS + o.durationS)) + o.grpcConcurrency; i++) {
      const encoded = body(i);
      if (encoded === undefined) break;
      bodies.push(encoded);
    }
    const path = pathOf(method);
    return await measure(
      bench,
      label,
      async (i) => {
        const encoded = bodies[i];
        if (encoded === undefined) return false;
        const reply = await client.call(i, path, encoded);
        if (reply.status !== "0") throw new GrpcStatusError(reply.status);
        check(reply.message, i);
        return undefined;
      },
      (err) => (err instanceof GrpcStatusError ? `gRPC ${grpc.status[Number(err.message)] ?? err.message}` : (err as Error).message),
      servicePid,
      o.grpcConcurrency,
    );
  } finally {
    client.close();
  }
}

class GrpcStatusError extends Error {}

/** The service's count of a method's outcomes by code (its /metrics). */
async function rpcOutcomes(baseUrl: string, method: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const [, labels = "", value] of text.matchAll(/^device_registry_rpc_requests_total\{([^}]*)\} (\S+)$/gm)) {
    if (!labels.includes(`method="${method}"`)) continue;
    counts.set(/code="([^"]+)"/.exec(labels)?.[1] ?? "?", Number(value));
  }
  return counts;
}

interface RegisterResults {
  readonly grpc: Measured;
  readonly connect: Measured;
  readonly rest: Measured;
  /** Devices registered over gRPC, with their api keys, for the AuthenticateDevice phase. */
  readonly devices: readonly { readonly deviceId: string; readonly apiKey: string }[];
}

async function register(bench: Bench): Promise<RegisterResults> {
  const devices: { deviceId: string; apiKey: string }[] = [];
  const keep = 20_000;
  const grpcRun = await measureGrpcClient(
    bench,
    "RegisterDevice gRPC",
    bench.service,
    registerDevice,
    (i) => registration(bench, `grpc-${i}`),
    (reply) => {
      if (devices.length >= keep) return;
      const device = fromBinary(registerDevice.output, reply);
      if (device.apiKey === "" || device.deviceId === "") throw new Error("reply without device_id or api_key");
      devices.push({ deviceId: device.deviceId, apiKey: device.apiKey });
    },
  );

  const agent = new http.Agent({ keepAlive: true, maxSockets: bench.options.concurrency });
  const connect = createClient(DeviceRegistryService, createConnectTransport({ baseUrl: bench.service.baseUrl, httpVersion: "1.1", nodeOptions: { agent } }));
  const connectRun = await measure(
    bench,
    "RegisterDevice Connect JSON",
    async (i) => {
      const hardwareId = `connect-${bench.runId}-${i}`;
      const device = await connect.registerDevice({ name: hardwareId, hardwareId }, { headers: bench.admin });
      if (device.apiKey === "") throw new Error("reply without api_key");
    },
    connectErrorKind,
  );
  agent.destroy();

  const rest = new RegistrationClient(bench.service.baseUrl, bench.admin["authorization"]!.slice("Bearer ".length), bench.options.concurrency);
  const restRun = await measure(
    bench,
    "RegisterDevice REST",
    async (i) => {
      const reply = await rest.register(`rest-${bench.runId}-${i}`);
      if (reply.status !== 200) throw new Error(reply.status === 0 ? (reply.error ?? "transport error") : `HTTP ${reply.status}`);
      if (reply.error !== undefined) throw new Error(reply.error);
    },
    (err) => (err as Error).message,
  );
  rest.close();
  return { grpc: grpcRun, connect: connectRun, rest: restRun, devices };
}

interface ImportResults {
  readonly entries: number;
  readonly stored: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly rowsPerSecond: number;
  readonly claims: readonly { readonly hardwareId: string; readonly claimKey: string }[];
}

async function importDevices(bench: Bench): Promise<ImportResults> {
  const total = bench.options.importCount;
  progress(`ImportDevices: ${total} entries, ${IMPORT_MAX_ENTRIES} per call`);
  const claims: { hardwareId: string; claimKey: string }[] = [];
  let errors = 0;
  const start = performance.now();
  for (let first = 0; first < total && !aborted(); first += IMPORT_MAX_ENTRIES) {
    const devices = Array.from({ length: Math.min(IMPORT_MAX_ENTRIES, total - first) }, (_, k) => {
      const hardwareId = `claim-${bench.runId}-${first + k}`;
      return { hardwareId, name: hardwareId };
    });
    const reply = await bench.registry.call(importMethod, create(importMethod.input, { devices }), bench.admin);
    for (const r of reply.results) {
      if (r.claimKey === "") errors++;
      else claims.push({ hardwareId: r.hardwareId, claimKey: r.claimKey });
    }
  }
  const elapsedMs = performance.now() - start;
  return { entries: total, stored: claims.length, errors, elapsedMs, rowsPerSecond: claims.length / (elapsedMs / 1000), claims };
}

interface ClaimResults {
  /** First claims: each creates its device. */
  readonly first: Measured;
  /** Re-claims of the devices the first claims created: a new credential each. */
  readonly again: Measured;
}

async function claim(bench: Bench, claims: ImportResults["claims"]): Promise<ClaimResults> {
  const body = (entry: ImportResults["claims"][number]) =>
    grpcEnvelope(toBinary(claimMethod.input, create(claimMethod.input, { claimKey: entry.claimKey, hardwareId: entry.hardwareId })));
  const check = (reply: Buffer) => {
    if (fromBinary(claimMethod.output, reply).apiKey === "") throw new Error("reply without api_key");
  };
  const claimed: ImportResults["claims"][number][] = [];
  const first = await measureGrpcClient(
    bench,
    "ClaimDevice gRPC, first claims",
    bench.service,
    claimMethod,
    (i) => claims[i] && body(claims[i]),
    (reply, i) => {
      check(reply);
      claimed.push(claims[i]!);
    },
    bench.service.pid,
    {},
  );
  if (claimed.length === 0) throw new Error("ClaimDevice: no first claim succeeded");
  // Each claimed key again, in turn (a key's per-minute limit allows ten attempts).
  const again = await measureGrpcClient(
    bench,
    "ClaimDevice gRPC, re-claims",
    bench.service,
    claimMethod,
    (i) => (i < claimed.length * 8 ? body(claimed[i % claimed.length]!) : undefined),
    check,
    bench.service.pid,
    {},
  );
  return { first, again };
}

interface AuthResults {
  readonly load: Measured;
  readonly rotated: number;
  /** Old keys refused (UNAUTHENTICATED) right after their rotation committed, out of `rotated`. */
  readonly oldRefused: number;
  readonly newAccepted: number;
}

async function authenticate(bench: Bench, devices: RegisterResults["devices"]): Promise<AuthResults> {
  if (devices.length === 0) throw new Error("AuthenticateDevice: no device was registered over gRPC");
  const authenticateOnce = async (device: { deviceId: string; apiKey: string }, i = 0) => {
    const identity = await bench.auth.at(i).call(authenticateMethod, create(authenticateMethod.input, device), bench.hub);
    if (identity.deviceId !== device.deviceId) throw new Error("another device's identity");
  };
  // h2load counts HTTP statuses: the service's own count of outcomes says how many calls failed.
  const device = devices[0]!;
  const before = await rpcOutcomes(bench.service.baseUrl, authenticateMethod.name);
  const measured = await measureH2load(
    bench,
    "AuthenticateDevice gRPC",
    `${bench.service.baseUrl}${pathOf(authenticateMethod)}`,
    bench.hub,
    grpcEnvelope(toBinary(authenticateMethod.input, create(authenticateMethod.input, device))),
    bench.service.pid,
  );
  const after = await rpcOutcomes(bench.service.baseUrl, authenticateMethod.name);
  const errors = new Map(measured.load.errors);
  let failed = 0;
  for (const [code, n] of after) {
    const delta = n - (before.get(code) ?? 0);
    if (code === "OK" || delta <= 0) continue;
    errors.set(`gRPC ${code}`, delta);
    failed += delta;
  }
  const ok = measured.load.ok - failed;
  const load: Measured = { ...measured, load: { ...measured.load, ok, errors, rate: ok / (measured.load.elapsedMs / 1000) } };

  // Devices the load just authenticated (so any cache would hold them): rotate, then ask at once.
  const picked = devices.slice(0, Math.min(bench.options.rotations, devices.length));
  progress(`AuthenticateDevice: rotating ${picked.length} credentials and checking the old keys are refused`);
  let oldRefused = 0;
  let newAccepted = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, picked.length) }, async (_, worker) => {
      for (let k = worker; k < picked.length; k += 16) {
        const device = picked[k]!;
        await authenticateOnce(device);
        const rotated = await bench.registry.call(rotateMethod, create(rotateMethod.input, { deviceId: device.deviceId }), bench.admin);
        try {
          await authenticateOnce(device);
        } catch (err) {
          if ((err as grpc.ServiceError).code === grpc.status.UNAUTHENTICATED) oldRefused++;
        }
        if (
          await authenticateOnce({ deviceId: device.deviceId, apiKey: rotated.apiKey }).then(
            () => true,
            () => false,
          )
        )
          newAccepted++;
      }
    }),
  );
  return { load, rotated: picked.length, oldRefused, newAccepted };
}

/** Runs events-bench.ts (phase A, then phase B's drain) on the same PostgreSQL and Kafka, and reads its figures. */
async function events(bench: Bench): Promise<EventsFigures> {
  const o = bench.options;
  progress(
    `events: commit -> consumer latency at ${o.eventsRates.join(", ")} /s for ${o.eventsDurationS} s, then the relay's drain (events-bench phases A and B)`,
  );
  const json = path.join(bench.workDir, "events.json");
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "events-bench.js");
  const args = [script, "--phases", "a,b", "--json", json, "--rate", o.eventsRates.join(","), "--duration", String(o.eventsDurationS)];
  if (o.smoke) args.push("--smoke");
  const child = spawn(process.execPath, args, {
    env: { ...process.env, DATABASE_URL: bench.stack.adminUrl, KAFKA_BROKERS: bench.stack.brokers.join(","), KAFKA_VERSION: bench.stack.kafkaVersion },
    stdio: ["ignore", "pipe", "pipe"],
  });
  bench.cleanup.add("events bench", () => child.kill("SIGTERM"));
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) process.stderr.write(`  events | ${line}\n`);
  };
  child.stdout.on("data", forward);
  child.stderr.on("data", forward);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`events-bench exited with ${code}`);
  return JSON.parse(readFileSync(json, "utf8")) as EventsFigures;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Results {
  ceiling?: PgbenchResult | undefined;
  framework?: Floor | undefined;
  register?: RegisterResults | undefined;
  import?: ImportResults | undefined;
  claim?: ClaimResults | undefined;
  authenticate?: AuthResults | undefined;
  events?: EventsFigures | undefined;
  failures: string[];
}

interface Row {
  readonly figure: string;
  readonly value: string;
  readonly ratio: string;
  readonly target: string;
  readonly notes: string;
}

const perSecond = (n: number) => (Number.isFinite(n) ? `${Math.round(n).toLocaleString("en-US")}/s` : "n/a");
const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : "n/a");
const verdict = (met: boolean) => (met ? "met" : "NOT met");

function errorsText(errors: ReadonlyMap<string, number>): string {
  let total = 0;
  for (const n of errors.values()) total += n;
  return total === 0 ? "0" : `${total} (${[...errors].map(([kind, n]) => `${kind}: ${n}`).join(", ")})`;
}

function cpuText(cpu: CpuUsage | undefined, rate: number): string {
  if (!cpu) return "CPU n/a";
  const service = cpu.groups.find((g) => g.name === "service")?.cores ?? Number.NaN;
  return (
    `service CPU ${((service * 1000) / rate).toFixed(2)} ms/call; ` +
    `cores: ${cpu.groups
      .filter((g) => g.cores >= 0.01)
      .map((g) => `${g.name} ${g.cores.toFixed(2)}`)
      .join(", ")}; machine ${cpu.machineBusyPct.toFixed(0)} % busy`
  );
}

function rows(results: Results, options: Options): Row[] {
  const out: Row[] = [];
  const ceilingTps = results.ceiling?.tps ?? Number.NaN;
  const ratio = (n: number) => (Number.isFinite(n / ceilingTps) ? (n / ceilingTps).toFixed(2) : "n/a");
  const c = results.ceiling;
  if (c) {
    out.push({
      figure: "pgbench ceiling (registration statement)",
      value: `${perSecond(c.tps)} tx`,
      ratio: "1.00",
      target: "",
      notes: `${options.concurrency} clients, avg ${c.latencyAvgMs.toFixed(1)} ms, ${c.failed} failed`,
    });
  }
  const serviceMsPerCall = (m: Measured) => ((m.cpu?.groups.find((g) => g.name === "service")?.cores ?? Number.NaN) * 1000) / m.load.rate;
  /** A load's rows; gRPC loads also as a share of the empty handler's rate under the same tool. */
  const load = (name: string, m: Measured, floor?: Measured, target?: { ofFloor: number; p99: number; cpuMs: number; rssMb?: number }) => {
    const l = m.load.latency;
    const errors = m.load.calls - m.load.ok;
    const share = floor === undefined ? Number.NaN : m.load.rate / floor.load.rate;
    const met =
      target === undefined
        ? ""
        : verdict(
            share >= target.ofFloor &&
              l.percentile(99) <= target.p99 &&
              errors === 0 &&
              serviceMsPerCall(m) <= target.cpuMs &&
              (target.rssMb === undefined || m.rssPeakBytes <= target.rssMb * 2 ** 20),
          );
    const targetText =
      target === undefined
        ? ""
        : `>= ${target.ofFloor} of the empty handler's, p99 <= ${target.p99} ms, 0 errors, service CPU <= ${target.cpuMs} ms/call${target.rssMb === undefined ? "" : `, RSS <= ${target.rssMb} MB`}: ${met}`;
    const ofEmpty = Number.isFinite(share) ? `; ${share.toFixed(2)} of the empty handler's` : "";
    out.push({
      figure: `${name}: throughput`,
      value: perSecond(m.load.rate),
      ratio: ratio(m.load.rate),
      target: targetText,
      notes: `${m.load.ok} ok in ${formatMs(m.load.elapsedMs)}${ofEmpty}`,
    });
    out.push({
      figure: `${name}: latency p50 / p90 / p99`,
      value: [50, 90, 99].map((p) => formatMs(l.percentile(p))).join(" / "),
      ratio: "",
      target: "",
      notes: `max ${formatMs(l.max)}`,
    });
    out.push({ figure: `${name}: errors`, value: errorsText(m.load.errors), ratio: "", target: "", notes: "" });
    out.push({ figure: `${name}: service RSS peak, CPU`, value: mb(m.rssPeakBytes), ratio: "", target: "", notes: cpuText(m.cpu, m.load.rate) });
  };
  const floor = results.framework;
  if (floor) {
    load("empty gRPC handler, h2load", floor.h2load);
    load("empty gRPC handler, node:http2 client", floor.client);
  }
  const r = results.register;
  if (r) {
    load("RegisterDevice gRPC", r.grpc, floor?.client, { ofFloor: 0.3, p99: 25, cpuMs: 0.35, rssMb: 200 });
    load("RegisterDevice Connect JSON", r.connect);
    load("RegisterDevice REST", r.rest);
  }
  const i = results.import;
  if (i) {
    out.push({
      figure: "ImportDevices",
      value: `${perSecond(i.rowsPerSecond)} rows`,
      ratio: ratio(i.rowsPerSecond),
      target: "",
      notes: `${i.stored} of ${i.entries} entries stored in ${formatMs(i.elapsedMs)}, ${i.errors} refused`,
    });
  }
  const claimed = results.claim;
  if (claimed) {
    load("ClaimDevice gRPC, first claims", claimed.first, floor?.client);
    const postgresMs = (m: Measured) => ((m.cpu?.groups.find((g) => g.name === "PostgreSQL")?.cores ?? Number.NaN) * 1000) / m.load.rate;
    out.push({
      figure: "ClaimDevice gRPC, first claims: PostgreSQL CPU per claim",
      value: `${postgresMs(claimed.first).toFixed(2)} ms`,
      ratio: "",
      target: `>= 800/s, p99 <= 50 ms, 0 errors: ${verdict(claimed.first.load.rate >= 800 && claimed.first.load.latency.percentile(99) <= 50 && claimed.first.load.calls === claimed.first.load.ok)}`,
      notes: "PostgreSQL's cores / claims per second",
    });
    load("ClaimDevice gRPC, re-claims", claimed.again, floor?.client);
    out.push({
      figure: "ClaimDevice gRPC, re-claims: PostgreSQL CPU per claim",
      value: `${postgresMs(claimed.again).toFixed(2)} ms`,
      ratio: "",
      target: "",
      notes: "",
    });
  }
  const a = results.authenticate;
  if (a) {
    load("AuthenticateDevice gRPC", a.load, floor?.h2load, { ofFloor: 0.3, p99: 10, cpuMs: 0.15 });
    out.push({
      figure: "rotated credentials: old key refused / new accepted",
      value: `${a.oldRefused} / ${a.newAccepted} of ${a.rotated}`,
      ratio: "",
      target: `all: ${verdict(a.oldRefused === a.rotated && a.newAccepted === a.rotated)}`,
      notes: "asked right after each rotation committed",
    });
  }
  for (const e of results.events?.latency ?? []) {
    out.push({
      figure: `events at ${perSecond(e.offered)}: commit -> consumer p50 / p99`,
      value: `${formatMs(e.endToEnd.p50)} / ${formatMs(e.endToEnd.p99)}`,
      ratio: "",
      target: e.offered === 1000 ? `p99 <= 100 ms, 0 missing: ${verdict(e.endToEnd.p99 <= 100 && e.missing === 0)}` : "",
      notes: `REST at ${perSecond(e.achievedRate)} (offered ${perSecond(e.offered)}), ${e.committed} events, ${e.missing} missing, ${e.errors} errors, max ${formatMs(e.endToEnd.max)}`,
    });
  }
  const drain = results.events?.drain;
  if (drain) {
    // JSON has no NaN: a backlog that did not drain in time comes back as null.
    const share = Number(drain.drainRate ?? Number.NaN) / drain.plainRate;
    out.push({
      figure: "relay drain of a backlog",
      value: `${perSecond(Number(drain.drainRate ?? Number.NaN))} events`,
      ratio: "",
      target: `>= 0.5 of the plain producer's: ${verdict(share >= 0.5)}`,
      notes: `${drain.backlog} events; ${share.toFixed(2)} of a plain kafkajs producer's ${perSecond(drain.plainRate)} on the same records; ${drain.missing} missing, ${drain.duplicates} duplicates`,
    });
  }
  return out;
}

function textTable(all: readonly Row[]): string {
  const widths = [44, 28, 6];
  const line = (r: Row) =>
    `  ${r.figure.padEnd(widths[0]!)} ${r.value.padEnd(widths[1]!)} ${r.ratio.padStart(widths[2]!)}  ${[r.target, r.notes].filter(Boolean).join("; ")}`.trimEnd();
  return [line({ figure: "figure", value: "value", ratio: "/ceil", target: "target; notes", notes: "" }), ...all.map(line)].join("\n");
}

function machine(): string[] {
  const cpus = os.cpus();
  return [`${cpus.length} CPU(s) ${cpus[0]?.model.trim() ?? ""}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}`];
}

function markdown(results: Results, options: Options, bench: Bench | undefined): string {
  const table = rows(results, options);
  const md = (s: string) => s.replace(/\|/g, "\\|");
  return `# Benchmarks

Written by \`npm run bench${options.smoke ? " -- --smoke" : ""}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.${
    options.smoke ? " **Smoke run: tiny durations, the figures mean nothing.**" : ""
  }

## Machine and versions

- Machine: ${machine().join("; ")}
- Node.js ${process.version} (service and load generator)
- PostgreSQL ${bench?.stack.postgresVersion ?? "n/a"}; ${results.ceiling?.version ?? "pgbench n/a"}
- Kafka: ${bench?.stack.kafkaVersion ?? "n/a"}
- Service: \`node ${[...serviceNodeOptions(), ...options.nodeArgs, "dist/src/main.js"].join(" ")}\` (as \`npm start\` runs it), default log level (a JSON line per request)${Object.entries(
    options.serviceEnv,
  )
    .map(([k, v]) => `, ${k}=${v}`)
    .join("")}, relay publishing to Kafka

The load generator, the service, PostgreSQL and Kafka share this machine's cores: the figures are for
the machine as a whole, not for the service alone.

## Method

- **Ceiling**: \`${results.ceiling?.command ?? "pgbench"}\` for ${options.durationS} s on a database
  of its own, migrated like the service's. The script is the service's registration statement
  (\`INSERT_DEVICES\` of \`src/db/device-repository.ts\`: device row, credential row and outbox row in one
  statement) with one registration per transaction, random hardware ids, prepared, autocommit, as
  node-postgres sends it. The service batches concurrent registrations into one such statement, so
  it can pass this ceiling.
- **Floor of the gRPC loads**: an empty unary gRPC handler on node:http2's core API, hand-framed
  (no framework, token check, database, metrics or log line: \`test/bench/empty-service.ts\`), behind
  the service's listener and node options, under the same load tools as the service's gRPC loads.
  No handler in Node answers faster here; "of the empty handler's" compares a gRPC load with it
  under the same tool, measured in the same run.
- **Loads**: gRPC with ${options.grpcConcurrency} calls in flight over ${options.grpcConnections} HTTP/2 connections:
  AuthenticateDevice from \`h2load\` (nghttp2's C load generator, one fixed body), RegisterDevice
  and ClaimDevice from a minimal node:http2 client (\`test/bench/grpc-h2-client.ts\`, unique bodies
  encoded before the run), so that the load generator leaves the cores to the server. Connect JSON
  (connect-node client over HTTP/1.1 keep-alive) and REST (\`POST /api/v1/devices\`, HTTP/1.1
  keep-alive) with ${options.concurrency} in flight. Closed loops, ${options.durationS} s after a ${options.warmupS} s warm-up.
  AuthenticateDevice's errors are the service's own count of non-OK outcomes (h2load sees HTTP statuses only).
  Latency is per call, from send to complete reply. RSS is the peak of the service's processes,
  sampled every 200 ms; CPU is from /proc, in cores used on average.
- **ImportDevices**: ${options.importCount.toLocaleString("en-US")} entries in calls of ${IMPORT_MAX_ENTRIES.toLocaleString("en-US")}, one after another
  (gRPC); **ClaimDevice** uses the claim keys it returned: first claims, one per key, then
  re-claims of the devices they created, each key again in turn.
- **AuthenticateDevice**: devices registered over gRPC, with a \`service\` token; then
  ${options.rotations} credentials are rotated and each old key is presented right after the
  rotation commits: it must be refused, the new one accepted.
- **Events**: \`events-bench\` phase A (REST registrations at fixed open-loop rates, a Kafka
  consumer timing each record, after a warm-up at the same rate: 3 s, and 33 s before the first
  rate for the broker's JIT), then phase B (a backlog of registered events, copied in SQL up to
  its size, drained by a relay started after it, against a plain kafkajs producer sending the same
  records in the same run), on the same PostgreSQL and Kafka, with the other service stopped.
- Ratios are throughput / pgbench tx/s.

## Results

| figure | value | / ceiling | target | notes |
| --- | --- | --- | --- | --- |
${table.map((r) => `| ${md(r.figure)} | ${md(r.value)} | ${r.ratio} | ${md(r.target)} | ${md(r.notes)} |`).join("\n")}
${results.failures.length > 0 ? `\nPhases that could not run: ${results.failures.map(md).join("; ")}\n` : ""}`;
}

/** The hand-written "## Findings" section of an earlier report, which a new run keeps. */
function keptFindings(file: string): string {
  let previous: string;
  try {
    previous = readFileSync(file, "utf8");
  } catch {
    return "";
  }
  const at = previous.indexOf("\n## Findings");
  return at < 0 ? "" : previous.slice(at);
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const cleanup = new Cleanup();
  const loads = 7 * (options.warmupS + options.durationS);
  const budgetMs = 300_000 + (loads + options.durationS + (options.eventsDurationS + 60) * options.eventsRates.length + 30) * 1000 + options.importCount * 2;
  let interrupt: (reason: string) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = (reason) => {
      abortReason ??= reason;
      reject(new Error(reason));
    };
  });
  interrupted.catch(() => undefined);
  const limit = setTimeout(() => interrupt(`time limit of ${(budgetMs / 1000).toFixed(0)} s exceeded`), budgetMs);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => interrupt(`interrupted by ${signal}`));

  const results: Results = { failures: [] };
  let bench: Bench | undefined;
  // A phase that cannot run is reported and the others still run.
  const phase = async <T>(name: Phase, work: () => Promise<T>): Promise<T | undefined> => {
    if (!options.phases.has(name) || aborted()) return undefined;
    try {
      return await Promise.race([work(), interrupted]);
    } catch (err) {
      progress(`${name} FAILED: ${(err as Error).stack ?? String(err)}`);
      results.failures.push(`${name}: ${(err as Error).message.split("\n")[0]}`);
      return undefined;
    }
  };
  try {
    bench = await Promise.race([setUp(options, cleanup), interrupted]);
    const b = bench;
    results.ceiling = await phase("ceiling", () => ceiling(b));
    results.framework = await phase("framework", () => framework(b));
    results.register = await phase("register", () => register(b));
    results.import = await phase("import", () => importDevices(b));
    const claims = results.import?.claims ?? [];
    results.claim = await phase("claim", () => claim(b, claims));
    const devices = results.register?.devices ?? [];
    results.authenticate = await phase("authenticate", () => authenticate(b, devices));
    if (options.phases.has("events")) await b.service.kill();
    results.events = await phase("events", () => events(b));
    progress("done; cleaning up");
  } catch (err) {
    progress(`FAILED: ${(err as Error).stack ?? String(err)}`);
    if (bench) process.stderr.write(`service log:\n${bench.service.logs.slice(-40).join("\n")}\n`);
    return 1;
  } finally {
    abortReason ??= "finished";
    clearTimeout(limit);
    if (bench) {
      if (results.failures.length > 0) process.stderr.write(`service log (last lines):\n${bench.service.logs.slice(-20).join("\n")}\n`);
      process.stdout.write(
        `\ndevice-registry bench${options.smoke ? " (--smoke: figures mean nothing)" : ""}: ${machine().join("; ")}, Node ${process.version}\n`,
      );
      process.stdout.write(`${textTable(rows(results, options))}\n`);
      writeFileSync(options.out, markdown(results, options, bench) + keptFindings(options.out));
      process.stdout.write(`\nwritten to ${options.out} (total ${formatMs(elapsedMs())})\n`);
    }
    await cleanup.all();
  }
  // A figure never fails the bench; a phase that could not run does.
  return results.failures.length === 0 ? 0 : 1;
}

process.exit(await main());
